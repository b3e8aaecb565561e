"""Every request outcome in the Data Rights Protocol's words: each cell of the table."""

from __future__ import annotations

import pytest
from request_data import derive

from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.protocol import protocol_cell, protocol_codes
from batch_anonymizer.core.requests import RequestOutcome


@pytest.mark.parametrize(
    ("outcome", "held", "status", "reason"),
    [
        ("erased", None, "fulfilled", ""),
        ("no_data_held", None, "denied", "no_match"),  # DRP's own pairing for "no data held"
        ("anonymized_unverified", None, "in_progress", ""),  # not proven by a lookup
        ("incomplete", None, "in_progress", ""),
        ("invalid", None, "in_progress", ""),  # the team must find a usable key
        ("ready", None, "open", ""),
        ("skipped", None, "open", ""),
        ("not_erasure", None, "open", ""),  # another right: the answer is owed elsewhere
        ("held", "identity_unverified", "denied", "insuf_verification"),
        ("held", "hold", "in_progress", ""),  # a person decides; a hold may be lifted
    ],
)
def test_each_outcome_maps_to_its_protocol_status_and_reason(
    outcome: str, held: str | None, status: str, reason: str
) -> None:
    code = Reason(held) if held else None
    assert protocol_cell(RequestOutcome(outcome), code) == (status, reason)


def test_the_table_spells_out_every_outcome() -> None:
    cells = {
        "erased", "no_data_held", "anonymized_unverified", "incomplete", "invalid", "ready",
        "skipped", "not_erasure", "held",
    }  # fmt: skip
    assert {o.value for o in RequestOutcome} == cells


@pytest.mark.parametrize(
    ("identity", "hold", "expected"),
    [
        ("Pending", "", ("denied", "insuf_verification")),
        ("Yes", "legal hold", ("in_progress", "")),
        ("Pending", "legal hold", ("in_progress", "")),  # the row's code is hold: it decides
        ("Yes", "", ("fulfilled", "")),
    ],
)
def test_a_held_request_is_named_by_why_it_is_held(
    identity: str, hold: str, expected: tuple[str, str]
) -> None:
    header = ["Request ID", "Date received", "Email", "Identity verified", "Hold"]
    (r,) = derive([["R-1", "2026-11-20", "ann@example.com", identity, hold]], header=header)
    assert protocol_codes(r) == expected
