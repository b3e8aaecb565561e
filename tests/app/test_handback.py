"""Which pulled lines are handed back to Transcend as settled: each case of the rule."""

from __future__ import annotations

import pytest

from batch_anonymizer.app.handback import settled
from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.records import Outcome, Status


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (Outcome(Status.SUCCESS, records_before=1, records_after=0), True),  # verified
        (Outcome(Status.SUCCESS, Reason.REAPPEARED, records_before=1, records_after=0), True),
        (Outcome(Status.SUCCESS), False),  # --no-verify: not proven by a lookup
        (Outcome(Status.NOT_FOUND, Reason.NOT_FOUND, records_before=0, records_after=0), True),
        (Outcome(Status.NOT_FOUND, Reason.GONE_UNVERIFIED), False),  # not counted as erasure
        (Outcome(Status.FAILED, Reason.STILL_PRESENT, records_before=2, records_after=1), False),
        (Outcome(Status.FAILED, Reason.UNVERIFIED, records_before=1), False),
        (Outcome(Status.PENDING, Reason.INTERRUPTED), False),
        (Outcome(Status.INVALID, Reason.INVALID_EMAIL), False),
        (Outcome(Status.SKIPPED, Reason.IDENTIFIER_TYPE), False),
        (Outcome(Status.READY), False),
    ],
)
def test_only_a_verified_success_or_not_found_is_settled(outcome: Outcome, expected: bool) -> None:
    assert settled(outcome) is expected
