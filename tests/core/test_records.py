"""Each set of statuses, spelled out here once more (never read from ``core.records``)."""

from __future__ import annotations

import pytest

from batch_anonymizer.core.records import Status

SETS = {
    "settled": {"success", "not_found", "failed"},
    "settles_request": {"success", "not_found"},
    "needs_attention": {"failed", "pending", "invalid", "held"},
    "sends_key": {"success", "not_found", "failed", "pending", "ready"},
    "sendable": {"ready", "duplicate"},
    "retried": {"failed", "pending"},
}


@pytest.mark.parametrize("name", sorted(SETS))
def test_each_status_property_holds_exactly_its_statuses(name: str) -> None:
    assert {s.value for s in Status if getattr(s, name)} == SETS[name]


def test_the_statuses_are_the_reports_contract() -> None:
    assert [s.value for s in Status] == [
        "success", "not_found", "failed", "invalid", "duplicate", "skipped", "held",
        "pending", "ready",
    ]  # fmt: skip
