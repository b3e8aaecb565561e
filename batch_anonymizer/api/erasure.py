"""What one key goes through: look it up, anonymize, look again; or only look (``check``).

This module walks a key's journey; what each step's answers mean is decided
by one table, ``verdict.TABLE``, and nowhere else. A ``success`` means the
lookup after the anonymize call found no record left, not only that the
vendor said so:

1. **before**: look the key up in the form it is sent in; when that finds
   nothing, in its other plausible forms (a telephone as written and with
   ``+``, an email lower-cased) and use the form that finds records. No
   record in any form: ``not_found``, and no anonymize request is sent.
2. **anonymize**, with the run's retries. An answer that was lost (timeout
   after sending, dropped connection) is settled by a lookup first: records
   gone means done; only records still there mean the request goes again.
3. **after**: look again in the same form. None left: ``success``. Records
   left after a success answer: one more look after ``recheck_delay``, then
   ``failed`` / ``still_present``.

A key some earlier run already sent (a resume after a crash) is looked up
before anything else: records gone means an earlier request did the work, and
nothing is sent again. When that earlier run never counted the records
(``--no-verify``), no record now proves nothing: the line is ``not_found``
with code ``gone_unverified``, never a verified ``success``. With ``verify``
off, a key is only sent (``--no-verify``), and a success is the vendor's word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..core.codes import Reason
from ..core.identity import forms_of, key_form, value_in
from ..core.job import Job
from ..core.records import Outcome, Phase, Status
from ..core.timefmt import iso_now
from . import messages
from .attempts import KeyAttempts, Looked, Post, Tally
from .classify import Kind
from .verdict import Decision, Facts, Found, Go, Posted, Step, Words, decide


@dataclass
class _Journey:
    """Where one key is: the step, the form it goes in, the count before, the last answers."""

    job: Job
    tally: Tally
    step: Step
    verify: bool = True  # False: --no-verify, no lookup at all
    value: str | None = None  # the key in the form it is looked up and sent in
    before: int | None = None  # records before anonymizing, carried along
    post: Post | None = None  # the last anonymize phase's end
    posted: Posted = Posted.NOT_SENT
    looked: Looked | None = None  # the step's lookup (None: not done)


class Erasure:
    """The life of each key of a run, on top of ``KeyAttempts``."""

    def __init__(
        self,
        keys: KeyAttempts,
        *,
        recheck_delay: float,
        run_id: str,
        now_iso: Callable[[], str] = iso_now,
    ) -> None:
        self.keys = keys
        self.recheck_delay = recheck_delay
        self.run_id = run_id
        self.now_iso = now_iso

    # -- the three kinds of work -----------------------------------------------------------

    async def verified(self, job: Job) -> Outcome:
        """Look up, anonymize, look again: an outcome that says what happened to the data."""
        tally = Tally.of(job)
        sent = job.prior_form if job.prior_attempts else None
        earlier = value_in(job.line, sent) if sent is not None else ""
        if earlier:
            # An earlier run sent this key without a settled answer: look before sending again.
            counted = job.prior_records is not None
            j = _Journey(job, tally, Step.SETTLE if counted else Step.SETTLE_UNCOUNTED)
            j.value = earlier
            await self._look(j)
        else:
            j = _Journey(job, tally, Step.FIRST_SENT if tally.attempts else Step.FIRST)
            await self._look_before(j)
        return await self._walk(j)

    async def unverified(self, job: Job) -> Outcome:
        """Only anonymize (``--no-verify``): a success is the vendor's word."""
        j = _Journey(job, Tally.of(job), Step.SEND_ONLY, verify=False, value=job.line.key)
        return await self._walk(j, Go.ANONYMIZE)

    async def check(self, job: Job) -> Outcome:
        """``check``: how many records the key would change; nothing is changed."""
        j = _Journey(job, Tally.of(job), Step.CHECK)
        await self._look_before(j)
        return await self._walk(j)

    # -- the journey -------------------------------------------------------------------------

    async def _walk(self, j: _Journey, go: Go | None = None) -> Outcome:
        """Ask the table at every step; move as it says until it says how the key ends."""
        while True:
            if go is not None:
                await self._move(j, go)
            looked = j.looked
            records = looked.records if looked is not None else None
            found = Found.of(records, done=looked is not None)
            facts = Facts(
                looked=records,
                kept=j.before,
                prior=j.job.prior_records,
                lookup_code=_lookup_failure(looked) if looked and found is Found.FAILED else None,
                answer_code=j.post.verdict.code if j.post is not None else None,
                halt_code=self.keys.control.code,
            )
            decision = decide(j.step, j.posted, found, facts)
            if decision.go is None:
                return self._end(j, decision)
            j.before, go = decision.before, decision.go

    async def _move(self, j: _Journey, go: Go) -> None:
        line, tally = j.job.line, j.tally
        assert j.value is not None
        if go is Go.RECHECK:  # the vendor may be slow: look once more
            await self.keys.clock.sleep(self.recheck_delay)  # a stop cuts it short
            j.step = Step.RECHECK
            await self._look(j)
            return
        if go is Go.SEND_AGAIN:
            assert j.post is not None
            await self.keys.wait(j.post.delay, j.post.shared)
            if self.keys.control.stopped:
                j.posted = Posted.STOPPED  # the lookup that asked for it still stands
                return
        j.post = await self.keys.post(line, j.value, tally)
        j.posted = j.post.how if j.post is not None else Posted.STOPPED
        if not j.verify:
            j.step = Step.SEND_ONLY_LOST if tally.unknown else Step.SEND_ONLY
            return
        j.step, j.looked = Step.AFTER, None
        if j.post is not None:
            await self._look(j)

    async def _look(self, j: _Journey) -> None:
        """The step's lookup of ``j.value``; one made after a request settles it."""
        assert j.value is not None
        phase = j.step.phase
        j.looked = await self.keys.look(
            j.job.line, j.value, j.tally, phase, settles=phase is Phase.AFTER
        )

    async def _look_before(self, j: _Journey) -> None:
        """Look in each form until one finds records, fails, or the run stops."""
        forms = forms_of(j.job.line)
        for _, value in forms:
            j.value = value
            await self._look(j)
            if j.looked is None:
                j.value = None  # stopped: no form was settled on
                return
            if j.looked.records != 0:  # records found, or the lookup failed
                return
        j.value = forms[0][1]  # none in any form: the line names the form sent first

    # -- the line ------------------------------------------------------------------------------

    def _end(self, j: _Journey, d: Decision) -> Outcome:
        job, line = j.job, j.job.line
        value = j.value if j.verify else None  # --no-verify lines name no form
        if d.status is Status.PENDING:
            form = key_form(line, value) if value is not None else None
            if form is None and j.verify:
                form = job.prior_form
            return self.keys.pending(
                job, j.tally, records_before=d.before, records_after=d.after, key_form=form
            )
        assert d.status is not None
        # A line quotes this run's anonymize answer when there is one, else the lookup that
        # decided it; a not_found or ready line quotes none (its lookups are in the journal).
        post = j.post if j.posted not in (Posted.NOT_SENT, Posted.STOPPED) else None
        looked = j.looked if post is None and d.status in (Status.FAILED, Status.SUCCESS) else None
        answer = post.answer if post is not None else looked.answer if looked else None
        vendor = post.verdict.vendor_code if post is not None else ""
        if not vendor and looked is not None:
            vendor = looked.verdict.vendor_code
        tally = Tally() if d.words is Words.NOT_FOUND else j.tally  # nothing was sent
        return Outcome(
            d.status,
            d.code,
            self._message(j, d),
            http_status=answer.status if answer is not None else None,
            vendor_code=vendor if d.status is not Status.SUCCESS else "",
            attempts=tally.attempts,
            unknown_attempts=tally.unknown,
            finished_at=self.now_iso(),
            run_id=self.run_id,
            records_found=d.found,
            records_before=d.before,
            records_after=d.after,
            key_form=key_form(line, value) if value is not None else None,
        )

    def _message(self, j: _Journey, d: Decision) -> str:
        """The words of ``d.words``, filled in from the key's answers."""
        tally = j.tally
        said = j.post.verdict.message if j.post is not None else ""
        looked = j.looked.verdict.message if j.looked is not None else ""
        lost = messages.AFTER_LOST.format(unknown=tally.unknown) if tally.unknown else ""
        match d.words:
            case Words.NOT_FOUND:
                forms = forms_of(j.job.line)
                names = ", ".join(f.value for f, _ in forms)
                seen = messages.LOOKED_UP_AS.format(forms=names) if len(forms) > 1 else ""
                return messages.NOT_FOUND + seen
            case Words.VENDOR | Words.GAVE_UP:
                last = said
                if d.words is Words.GAVE_UP:
                    last = messages.GAVE_UP.format(attempts=tally.attempts, last=said)
                return messages.REMAIN.format(last=last, after=d.after) if d.after else last
            case Words.MAY_HAVE_ACTED:
                gave_up = messages.GAVE_UP.format(attempts=tally.attempts, last=said)
                return gave_up + messages.MAY_HAVE_ACTED.format(unknown=tally.unknown)
            case Words.LOOKUP_FAILED:
                return messages.LOOKUP_FAILED.format(last=looked)
            case Words.GONE_UNVERIFIED:
                return messages.GONE_UNVERIFIED
            case Words.VERIFIED:
                return messages.VERIFIED.format(vendor=said, before=d.before) + lost
            case Words.VERIFIED_EARLIER:
                return messages.VERIFIED_EARLIER
            case Words.VERIFIED_ANSWER_LOST:
                return messages.VERIFIED_ANSWER_LOST.format(before=d.before)
            case Words.VERIFIED_DESPITE:
                return messages.VERIFIED_DESPITE.format(last=said)
            case Words.UNVERIFIED:
                return messages.UNVERIFIED.format(last=looked)
            case Words.STILL_PRESENT:
                return messages.STILL_PRESENT.format(after=d.after)
            case Words.UNCERTAIN:
                return messages.UNCERTAIN.format(unknown=tally.unknown, last=said)
            case Words.NOT_VERIFIED:
                return messages.NOT_VERIFIED
            case Words.NOT_VERIFIED_AFTER_LOST:
                return messages.NOT_VERIFIED + lost
            case Words.WOULD_ANONYMIZE:
                return messages.WOULD_ANONYMIZE.format(before=d.before)
        raise AssertionError(d.words)  # pending lines are worded by ``KeyAttempts.pending``


def _lookup_failure(looked: Looked) -> Reason:
    """The code of a lookup that could not be done for this key."""
    if looked.verdict.code is not None and looked.verdict.kind is Kind.PERMANENT:
        return looked.verdict.code
    return Reason.RETRIES_EXHAUSTED
