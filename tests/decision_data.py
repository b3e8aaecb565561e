"""Requests with every decision, as a run makes them, and the facts of a run that names its
approver and writes the reply drafts (the register's and the certificates' tests share them)."""

from __future__ import annotations

from request_data import FAILED, NOT_FOUND, UNVERIFIED

from batch_anonymizer.core.records import Mode, RunFacts

HEADER = [
    "Request ID", "Date received", "Extended", "Email", "Request type", "ID verified",
    "Hold", "Handled by",
]  # fmt: skip
ROWS = [
    ["R-1", "2026-11-20", "Yes (complex)", "ann@example.com", "Erasure", "Yes", "", "Joanna Nowak"],
    ["R-2", "2026-11-20", "", "bob@example.com", "Erasure", "Yes", "", ""],
    ["R-3", "2026-11-20", "", "cleo@example.com", "Erasure", "Yes", "Art. 17(3)(b)", "Li Wei"],
    ["R-4", "2026-11-20", "", "dev@example.com", "Erasure", "Pending", "", "Li Wei"],
    ["R-5", "2026-11-20", "", "eve@example.com", "Access", "Yes", "", "Li Wei"],
    ["R-6", "2026-11-20", "", "not-an-email", "Erasure", "Yes", "", "Li Wei"],
    ["R-7", "2026-11-20", "", "fay@example.com", "Erasure", "Yes", "", "Li Wei"],
    ["R-8", "2026-11-20", "", "gus@example.com", "Erasure", "Yes", "", "Li Wei"],
    ["R-7", "2026-11-21", "", "hal@example.com", "Erasure", "Yes", "", "Omar Haddad"],
]
OUTCOMES = {"bob@example.com": NOT_FOUND, "fay@example.com": FAILED, "gus@example.com": UNVERIFIED}
FACTS = RunFacts(
    run_id="20261201T100000Z-abc123",
    mode=Mode.RUN,
    tool_version="0.4.0",
    started_at="2026-12-01T10:00:00Z",
    ended_at="2026-12-01T10:02:00Z",
    input_name="in.csv",
    input_size=1,
    input_sha256="ab" * 32,
    endpoint_host="api.eu.customergauge.com",
    region="eu",
    operator="alice",
    host_name="dpo-laptop",
    settings=(
        ("request_column", "Request ID"),
        ("received_column", "Date received"),
        ("extension_column", "Extended"),
        ("types_from", "Request type"),
        ("identity_from", "ID verified"),
        ("holds_from", "Hold"),
        ("deadlines_as_of", "2026-12-01"),
        ("approved_by", "Piotr Zieliński"),
        ("certificates", "yes"),
    ),
)
