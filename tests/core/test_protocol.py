"""Every request outcome in the Data Rights Protocol's words: each cell of the table."""

from __future__ import annotations

import pytest

from batch_anonymizer.core.protocol import protocol_codes
from batch_anonymizer.core.requests import RequestOutcome


@pytest.mark.parametrize(
    ("outcome", "status", "reason"),
    [
        ("erased", "fulfilled", ""),
        ("no_data_held", "denied", "no_match"),  # DRP's own pairing for "no data held"
        ("anonymized_unverified", "in_progress", ""),  # not proven by a lookup: not final
        ("incomplete", "in_progress", ""),
        ("invalid", "in_progress", ""),  # the team must find a usable key
        ("ready", "open", ""),
        ("skipped", "open", ""),
    ],
)
def test_each_outcome_maps_to_its_protocol_status_and_reason(
    outcome: str, status: str, reason: str
) -> None:
    assert protocol_codes(RequestOutcome(outcome)) == (status, reason)


def test_the_table_spells_out_every_outcome() -> None:
    cells = {
        "erased", "no_data_held", "anonymized_unverified", "incomplete", "invalid", "ready",
        "skipped",
    }  # fmt: skip
    assert {o.value for o in RequestOutcome} == cells
