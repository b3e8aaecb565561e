"""The verification table, cell by cell: every expectation written out here, none read from it.

Each case gives a step of a key's journey, how its anonymize request ended
and what its lookup found, and the line it must end as (status, code,
records_before, records_after) or the move it must make. The figures a cell
may take are told apart: 5 is the count carried from before anonymizing, 7
the count an earlier run made, 2 what this step's lookup found; the codes
likewise (the failed lookup's, the anonymize answer's, the halt's).
"""

from __future__ import annotations

import pytest
from test_erasure import FakeVendor, jobs_of, run

from batch_anonymizer.api.classify import Answer
from batch_anonymizer.api.verdict import (
    TABLE,
    Facts,
    Found,
    Go,
    Posted,
    Step,
    decide,
)
from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.records import KeyForm, Phase, Status

KEPT, PRIOR, LISTED = 5, 7, 2
LOOKUP_CODE = Reason.VENDOR_ERROR  # the code of the lookup that failed
ANSWER_CODE = Reason.HTTP_ERROR  # the code of the anonymize answer
HALT_CODE = Reason.HALTED_BREAKER

FIRST, FIRST_SENT, SETTLE, SETTLE_UNCOUNTED = (
    Step.FIRST, Step.FIRST_SENT, Step.SETTLE, Step.SETTLE_UNCOUNTED,
)  # fmt: skip
AFTER, RECHECK, CHECK, SEND_ONLY, SEND_ONLY_LOST = (
    Step.AFTER, Step.RECHECK, Step.CHECK, Step.SEND_ONLY, Step.SEND_ONLY_LOST,
)  # fmt: skip
NOT_SENT, STOPPED, ACCEPTED, REFUSED, LOST, EXHAUSTED = (
    Posted.NOT_SENT, Posted.STOPPED, Posted.ACCEPTED, Posted.REFUSED, Posted.LOST,
    Posted.EXHAUSTED,
)  # fmt: skip
ND, FAILED, ZERO, SOME = Found.NOT_DONE, Found.FAILED, Found.ZERO, Found.SOME
S = Status

# (step, posted, found) -> (status, code, records_before, records_after) or (move, before)
CASES: dict[tuple[Step, Posted, Found], tuple[object, ...]] = {
    # the lookup before anonymizing, a key never sent
    (FIRST, NOT_SENT, ND): (S.PENDING, HALT_CODE, None, None),
    (FIRST, NOT_SENT, FAILED): (S.FAILED, LOOKUP_CODE, None, None),
    (FIRST, NOT_SENT, ZERO): (S.NOT_FOUND, Reason.NOT_FOUND, 0, None),
    (FIRST, NOT_SENT, SOME): (Go.ANONYMIZE, 2),
    # ... a key an earlier run sent without leaving its form: nothing now proves nothing
    (FIRST_SENT, NOT_SENT, ND): (S.PENDING, HALT_CODE, None, None),
    (FIRST_SENT, NOT_SENT, FAILED): (S.FAILED, LOOKUP_CODE, None, None),
    (FIRST_SENT, NOT_SENT, ZERO): (S.NOT_FOUND, Reason.GONE_UNVERIFIED, None, 0),
    (FIRST_SENT, NOT_SENT, SOME): (Go.ANONYMIZE, 2),
    # the lookup after an earlier run's request, which had counted 7 records
    (SETTLE, NOT_SENT, ND): (S.PENDING, HALT_CODE, 7, None),
    (SETTLE, NOT_SENT, FAILED): (S.FAILED, LOOKUP_CODE, 7, None),
    (SETTLE, NOT_SENT, ZERO): (S.SUCCESS, None, 7, 0),
    (SETTLE, NOT_SENT, SOME): (Go.ANONYMIZE, 7),
    # ... which had counted nothing (--no-verify)
    (SETTLE_UNCOUNTED, NOT_SENT, ND): (S.PENDING, HALT_CODE, None, None),
    (SETTLE_UNCOUNTED, NOT_SENT, FAILED): (S.FAILED, LOOKUP_CODE, None, None),
    (SETTLE_UNCOUNTED, NOT_SENT, ZERO): (S.NOT_FOUND, Reason.GONE_UNVERIFIED, None, 0),
    (SETTLE_UNCOUNTED, NOT_SENT, SOME): (Go.ANONYMIZE, 2),
    # the lookup after this run's anonymize request (5 records before it)
    (AFTER, STOPPED, ND): (S.PENDING, HALT_CODE, 5, None),
    (AFTER, STOPPED, SOME): (S.PENDING, HALT_CODE, 5, 2),
    (AFTER, ACCEPTED, ND): (S.PENDING, HALT_CODE, 5, None),
    (AFTER, ACCEPTED, FAILED): (S.FAILED, Reason.UNVERIFIED, 5, None),
    (AFTER, ACCEPTED, ZERO): (S.SUCCESS, None, 5, 0),
    (AFTER, ACCEPTED, SOME): (Go.RECHECK, 5),
    (AFTER, REFUSED, ND): (S.PENDING, HALT_CODE, 5, None),
    (AFTER, REFUSED, FAILED): (S.FAILED, ANSWER_CODE, 5, None),
    (AFTER, REFUSED, ZERO): (S.SUCCESS, None, 5, 0),
    (AFTER, REFUSED, SOME): (S.FAILED, ANSWER_CODE, 5, 2),
    (AFTER, LOST, ND): (S.PENDING, HALT_CODE, 5, None),
    (AFTER, LOST, FAILED): (S.FAILED, ANSWER_CODE, 5, None),
    (AFTER, LOST, ZERO): (S.SUCCESS, None, 5, 0),
    (AFTER, LOST, SOME): (Go.SEND_AGAIN, 5),
    (AFTER, EXHAUSTED, ND): (S.PENDING, HALT_CODE, 5, None),
    (AFTER, EXHAUSTED, FAILED): (S.FAILED, Reason.RETRIES_EXHAUSTED, 5, None),
    (AFTER, EXHAUSTED, ZERO): (S.SUCCESS, None, 5, 0),
    (AFTER, EXHAUSTED, SOME): (S.FAILED, Reason.RETRIES_EXHAUSTED, 5, 2),
    # the second lookup after a success answer that left records
    (RECHECK, ACCEPTED, ND): (S.PENDING, HALT_CODE, 5, None),
    (RECHECK, ACCEPTED, FAILED): (S.FAILED, Reason.UNVERIFIED, 5, None),
    (RECHECK, ACCEPTED, ZERO): (S.SUCCESS, None, 5, 0),
    (RECHECK, ACCEPTED, SOME): (S.FAILED, Reason.STILL_PRESENT, 5, 2),
    # check: a lookup, nothing changed
    (CHECK, NOT_SENT, ND): (S.PENDING, HALT_CODE, None, None),
    (CHECK, NOT_SENT, FAILED): (S.FAILED, LOOKUP_CODE, None, None),
    (CHECK, NOT_SENT, ZERO): (S.NOT_FOUND, Reason.NOT_FOUND, 0, None),
    (CHECK, NOT_SENT, SOME): (S.READY, None, 2, None),
    # --no-verify: no lookup, the vendor's word
    (SEND_ONLY, STOPPED, ND): (S.PENDING, HALT_CODE, None, None),
    (SEND_ONLY, ACCEPTED, ND): (S.SUCCESS, None, None, None),
    (SEND_ONLY, REFUSED, ND): (S.FAILED, ANSWER_CODE, None, None),
    (SEND_ONLY, EXHAUSTED, ND): (S.FAILED, Reason.RETRIES_EXHAUSTED, None, None),
    (SEND_ONLY_LOST, STOPPED, ND): (S.PENDING, HALT_CODE, None, None),
    (SEND_ONLY_LOST, ACCEPTED, ND): (S.SUCCESS, None, None, None),
    (SEND_ONLY_LOST, REFUSED, ND): (S.FAILED, Reason.OUTCOME_UNKNOWN, None, None),
    (SEND_ONLY_LOST, LOST, ND): (Go.SEND_AGAIN, 5),  # carries what it had (none, in practice)
    (SEND_ONLY_LOST, EXHAUSTED, ND): (S.FAILED, Reason.RETRIES_EXHAUSTED, None, None),
}

LISTINGS = {ND: None, FAILED: None, ZERO: 0, SOME: LISTED}


def facts(found: Found) -> Facts:
    return Facts(
        looked=LISTINGS[found],
        kept=KEPT,
        prior=PRIOR,
        lookup_code=LOOKUP_CODE,
        answer_code=ANSWER_CODE,
        halt_code=HALT_CODE,
    )


@pytest.mark.parametrize(
    ("cell", "expected"), CASES.items(), ids=["-".join(x.name for x in c) for c in CASES]
)
def test_each_cell_of_the_verification_table(
    cell: tuple[Step, Posted, Found], expected: tuple[object, ...]
) -> None:
    d = decide(*cell, facts(cell[2]))
    if isinstance(expected[0], Go):
        assert (d.go, d.before, d.status) == (expected[0], expected[1], None)
    else:
        assert d.go is None
        assert (d.status, d.code, d.before, d.after) == expected


def test_the_table_holds_exactly_the_cases_a_journey_can_reach() -> None:
    assert set(TABLE) == set(CASES)  # a new cell needs its case here, spelled out


def test_a_combination_no_journey_reaches_is_a_bug_not_an_outcome() -> None:
    with pytest.raises(KeyError):
        decide(Step.AFTER, Posted.STOPPED, Found.ZERO, facts(Found.ZERO))


def test_check_counts_what_it_found() -> None:
    assert decide(CHECK, NOT_SENT, SOME, facts(SOME)).found == 2
    assert decide(FIRST, NOT_SENT, ZERO, facts(ZERO)).found is None


def test_a_success_rests_on_a_lookup_of_zero_after_the_request_or_says_it_is_unverified() -> None:
    # the table read from the other side: every success cell
    successes = {cell for cell, e in CASES.items() if e[0] is S.SUCCESS}
    verified = {c for c in successes if c[2] is ZERO}
    assert {c[0] for c in verified} == {SETTLE, AFTER, RECHECK}
    assert all(c[0].phase is Phase.AFTER for c in verified)
    assert successes - verified == {(SEND_ONLY, ACCEPTED, ND), (SEND_ONLY_LOST, ACCEPTED, ND)}


@pytest.mark.parametrize(
    ("records", "done", "found"),
    [(None, False, ND), (3, False, ND), (None, True, FAILED), (0, True, ZERO), (4, True, SOME)],
)
def test_what_a_lookup_found(records: int | None, done: bool, found: Found) -> None:
    # a failed lookup (None) is never "0 records": the first promise's bug, in this form
    assert Found.of(records, done=done) is found


def test_lookups_before_anonymizing_are_recorded_as_before_and_the_rest_as_after() -> None:
    before = {s for s in Step if s.phase is Phase.BEFORE}
    assert before == {FIRST, FIRST_SENT, CHECK}


# Bug: the lookup before anonymizing left standing when the anonymize request is not
# answered, so a halted key's line claimed its records as "after".
def test_a_key_halted_at_its_anonymize_request_counts_nothing_after() -> None:
    refused = Answer(401, b'{"Error":{"Message":"Invalid API key","Code":100001}}')
    vendor = FakeVendor({"user0@example.com": 3}, post_script={"user0@example.com": [refused]})
    result, _, _ = run(vendor, jobs_of(1))
    o = result.outcomes[0]
    assert (o.status, o.code, o.records_before, o.records_after, o.key_form) == (
        Status.PENDING,
        Reason.HALTED_AUTH,
        3,
        None,
        KeyForm.VENDOR,
    )
    assert vendor.records == {"user0@example.com": 3}
