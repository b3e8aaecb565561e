"""No behaviour depends on message text: reword every message, and the same keys are chosen.

A run against the sandbox leaves one key of each kind: a transient failure that ran out of
retries, a refusal, records still present after a success answer, a key the vendor does
not hold, a success that could not be verified, a success, and keys left pending by a
halt. Then ``retry``, ``retry --only-transient`` and a resume each choose what to send.
Every message template of the package is then wrapped in «...» (so a test of a prefix or
of a phrase inside a message can no longer match) and the whole story is told again:
each choice must be the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import API_KEY, start_sandbox, write_csv

from batch_anonymizer.api import messages as api_messages
from batch_anonymizer.api.auth import ApiKeyAuth
from batch_anonymizer.api.endpoint import Endpoint
from batch_anonymizer.api.settings import Settings
from batch_anonymizer.app.execute import execute
from batch_anonymizer.app.options import RunOptions
from batch_anonymizer.app.prepare import prepare_retry, prepare_run
from batch_anonymizer.audit.reportread import read_report
from batch_anonymizer.core import lines as core_lines
from batch_anonymizer.input import validate as input_validate
from batch_anonymizer.state import messages as state_messages

KEYS = [f"k{i}@example.com" for i in range(9)]
FAULTS = """{
  "script": {
    "k0@example.com": [503, 503, 503],
    "k1@example.com": [400],
    "k2@example.com": ["sticky"]
  },
  "lookup_script": {
    "k4@example.com": [200, 503, 503, 503],
    "k6@example.com": [401]
  }
}"""
MESSAGE_MODULES = (api_messages, state_messages)
MESSAGE_CONSTANTS = (
    (core_lines, "NO_KEY"),
    (input_validate, "LOST_DIGITS"),
    (input_validate, "UNKNOWN_RANGE"),
)


def reword_everything(monkeypatch: pytest.MonkeyPatch) -> int:
    """Wrap every message template in «...»; return how many were reworded."""
    n = 0
    for module in MESSAGE_MODULES:
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str):
                monkeypatch.setattr(module, name, f"«{value}»")
                n += 1
    for module, name in MESSAGE_CONSTANTS:
        monkeypatch.setattr(module, name, f"«{getattr(module, name)}»")
        n += 1
    return n


def story(tmp_path: Path) -> dict[str, object]:
    """The run, then what retry, retry --only-transient and a resume would each send."""
    tmp_path.mkdir()
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS])
    with start_sandbox(FAULTS) as thread:
        thread.sandbox.seed([k for k in KEYS if k != "k3@example.com"], [])
        opts = RunOptions(
            endpoint=Endpoint.for_base_url(thread.url),
            auth=ApiKeyAuth(API_KEY),
            settings=Settings(
                rate=None, concurrency=1, max_retries=2, backoff_base=0.001, recheck_delay=0.01
            ),
            reports_dir=tmp_path / "reports",
        )
        summary = execute(prepare_run(src), opts)
    rows = read_report(summary.xlsx).rows

    def keys(prep: object) -> list[str]:
        return sorted(job.line.key for job in prep.jobs)  # type: ignore[attr-defined]

    return {
        "statuses": [(r["key"], r["status"], r["error_code"]) for r in rows],
        "messages": [r["message"] for r in rows],
        "retry": keys(prepare_retry(summary.xlsx)),
        "retry_transient": keys(prepare_retry(summary.xlsx, only_transient=True)),
        "resume": keys(prepare_run(src, resume=summary.xlsx)),
        "resume_journal": keys(prepare_run(src, resume=summary.journal)),
        "exit": summary.exit_code,
    }


def test_rewording_every_message_changes_no_choice(tmp_path: Path, monkeypatch) -> None:
    plain = story(tmp_path / "plain")
    assert plain["statuses"] == [
        ("k0@example.com", "failed", "retries_exhausted"),
        ("k1@example.com", "failed", "vendor_error"),
        ("k2@example.com", "failed", "still_present"),
        ("k3@example.com", "not_found", "not_found"),
        ("k4@example.com", "failed", "unverified"),
        ("k5@example.com", "success", ""),
        ("k6@example.com", "pending", "halted_auth"),
        ("k7@example.com", "pending", "halted_auth"),
        ("k8@example.com", "pending", "halted_auth"),
    ]
    pending = ["k6@example.com", "k7@example.com", "k8@example.com"]
    assert plain["retry_transient"] == ["k0@example.com", "k4@example.com", *pending]
    failed = ["k0@example.com", "k1@example.com", "k2@example.com", "k4@example.com"]
    assert plain["retry"] == [*failed, *pending]
    assert plain["resume"] == plain["resume_journal"] == pending

    assert reword_everything(monkeypatch) >= 20
    reworded = story(tmp_path / "reworded")
    assert any("«" in str(m) for m in reworded["messages"])  # the rewording took effect
    for choice in ("statuses", "retry", "retry_transient", "resume", "resume_journal", "exit"):
        assert reworded[choice] == plain[choice], choice
