"""What one key goes through: look it up, anonymize, look again; or only look (``check``).

A ``success`` means the lookup after the anonymize call found no record left,
not only that the vendor said so:

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

from ..core.codes import Reason
from ..core.job import Job
from ..core.records import KeyForm, Line, Outcome, Status
from ..core.timefmt import iso_now
from . import messages
from .attempts import KeyAttempts, Looked, Post, Posted, Tally, forms_of, key_form, value_in
from .classify import Kind


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
        line, tally = job.line, Tally.of(job)
        if job.prior_attempts and job.prior_form is not None and value_in(line, job.prior_form):
            # An earlier run sent this key without a settled answer: look before sending again.
            value = value_in(line, job.prior_form)
            looked = await self.keys.look(line, value, tally, "after", settles=True)
            if looked is None:
                return self._pending(job, tally, job.prior_records, value)
            if looked.records is None:
                return self._failed(line, tally, looked, value, job.prior_records)
            if looked.records == 0:
                if job.prior_records is None:  # never seen: gone, or never held
                    return self._gone_unverified(line, tally, value)
                return self._done(
                    line, tally, looked, value, messages.VERIFIED_EARLIER, job.prior_records
                )
            before = job.prior_records if job.prior_records is not None else looked.records
        else:
            found = await self._before(job, tally)
            if isinstance(found, Outcome):
                return found
            before, value = found
            if before == 0:
                if tally.attempts:  # sent by an earlier run that never looked (--no-verify)
                    return self._gone_unverified(line, tally, value)
                return self._not_found(line, value)
        return await self._anonymize(job, tally, value, before)

    async def unverified(self, job: Job) -> Outcome:
        """Only anonymize (``--no-verify``): a success is the vendor's word."""
        line, tally = job.line, Tally.of(job)
        while True:
            post = await self.keys.post(line, line.key, tally)
            if post is None:
                return self.keys.pending(job, tally)
            if post.how is Posted.ACCEPTED:
                msg = messages.NOT_VERIFIED
                if tally.unknown:
                    msg += messages.AFTER_LOST.format(unknown=tally.unknown)
                return self._outcome(Status.SUCCESS, None, msg, line, tally, post=post)
            if post.how is Posted.LOST:
                await self.keys.wait(post.delay, post.shared)
                if self.keys.control.stopped:
                    return self.keys.pending(job, tally)
                continue
            if post.how is Posted.EXHAUSTED:
                msg = messages.GAVE_UP.format(attempts=tally.attempts, last=post.verdict.message)
                if tally.unknown:
                    msg += messages.MAY_HAVE_ACTED.format(unknown=tally.unknown)
                code: Reason | None = Reason.RETRIES_EXHAUSTED
            elif tally.unknown:
                msg = messages.UNCERTAIN.format(unknown=tally.unknown, last=post.verdict.message)
                code = Reason.OUTCOME_UNKNOWN
            else:
                msg, code = post.verdict.message, post.verdict.code
            return self._outcome(Status.FAILED, code, msg, line, tally, post=post)

    async def check(self, job: Job) -> Outcome:
        """``check``: how many records the key would change; nothing is changed."""
        line, tally = job.line, Tally.of(job)
        found = await self._before(job, tally)
        if isinstance(found, Outcome):
            return found
        before, value = found
        if before == 0:
            return self._not_found(line, value)
        msg = messages.WOULD_ANONYMIZE.format(before=before)
        return self._outcome(
            Status.READY, None, msg, line, tally, value=value, before=before, found=before
        )

    # -- the steps ---------------------------------------------------------------------------

    async def _before(self, job: Job, tally: Tally) -> tuple[int, str] | Outcome:
        """Records found before anonymizing, and the form that found them (or an outcome)."""
        line = job.line
        forms = forms_of(line)
        for _, value in forms:
            looked = await self.keys.look(line, value, tally, "before")
            if looked is None:
                return self._pending(job, tally, None, None)
            if looked.records is None:
                msg = messages.LOOKUP_FAILED.format(last=looked.verdict.message)
                code = _lookup_failure(looked)
                return self._outcome(
                    Status.FAILED, code, msg, line, tally, looked=looked, value=value
                )
            if looked.records:
                return looked.records, value
        return 0, forms[0][1]

    async def _anonymize(self, job: Job, tally: Tally, value: str, before: int | None) -> Outcome:
        line = job.line
        while True:
            post = await self.keys.post(line, value, tally)
            if post is None:
                return self._pending(job, tally, before, value)
            looked = await self.keys.look(line, value, tally, "after", settles=True)
            if looked is None:
                return self._pending(job, tally, before, value)
            if looked.records is None:
                if post.how is Posted.ACCEPTED:
                    msg = messages.UNVERIFIED.format(last=looked.verdict.message)
                    return self._outcome(
                        Status.FAILED, Reason.UNVERIFIED, msg, line, tally,
                        post=post, value=value, before=before,
                    )  # fmt: skip
                return self._refused(line, tally, post, value, before, None)
            if looked.records == 0:
                if post.how is Posted.ACCEPTED:
                    vendor = post.verdict.message
                    msg = messages.VERIFIED.format(vendor=vendor, before=before)
                    if tally.unknown:
                        msg += messages.AFTER_LOST.format(unknown=tally.unknown)
                elif post.how is Posted.LOST:
                    msg = messages.VERIFIED_ANSWER_LOST.format(before=before)
                else:
                    msg = messages.VERIFIED_DESPITE.format(last=post.verdict.message)
                return self._done(line, tally, looked, value, msg, before, post)
            if post.how is Posted.LOST:  # not done: the request goes again
                await self.keys.wait(post.delay, post.shared)
                if self.keys.control.stopped:
                    return self._pending(job, tally, before, value, looked.records)
                continue
            if post.how is Posted.ACCEPTED:
                return await self._recheck(job, tally, post, value, before)
            return self._refused(line, tally, post, value, before, looked.records)

    async def _recheck(
        self, job: Job, tally: Tally, post: Post, value: str, before: int | None
    ) -> Outcome:
        """Records left after a success answer: the vendor may be slow; look once more."""
        line = job.line
        await self.keys.clock.sleep(self.recheck_delay)  # a stop cuts it short
        looked = await self.keys.look(line, value, tally, "after", settles=True)
        if looked is None:
            return self._pending(job, tally, before, value)
        if looked.records == 0:
            msg = messages.VERIFIED.format(vendor=post.verdict.message, before=before)
            return self._done(line, tally, looked, value, msg, before, post)
        if looked.records is None:
            msg = messages.UNVERIFIED.format(last=looked.verdict.message)
            return self._outcome(
                Status.FAILED, Reason.UNVERIFIED, msg, line, tally,
                post=post, value=value, before=before,
            )  # fmt: skip
        msg = messages.STILL_PRESENT.format(after=looked.records)
        return self._outcome(
            Status.FAILED, Reason.STILL_PRESENT, msg, line, tally,
            post=post, value=value, before=before, after=looked.records,
        )  # fmt: skip

    # -- outcomes ------------------------------------------------------------------------------

    def _done(
        self,
        line: Line,
        tally: Tally,
        looked: Looked,
        value: str,
        msg: str,
        before: int | None,
        post: Post | None = None,
    ) -> Outcome:
        return self._outcome(
            Status.SUCCESS, None, msg, line, tally,
            post=post, looked=looked, value=value, before=before, after=0,
        )  # fmt: skip

    def _gone_unverified(self, line: Line, tally: Tally, value: str) -> Outcome:
        """No record now, for a key sent before without a lookup and without an answer.

        Nobody counted its records before that request: it may have anonymized
        them, or CustomerGauge never held any. Neither an erasure (``success``
        would be counted as verified) nor a plain ``not_found`` (which says
        nothing was ever held): ``not_found`` with its own code.
        """
        return self._outcome(
            Status.NOT_FOUND, Reason.GONE_UNVERIFIED, messages.GONE_UNVERIFIED, line, tally,
            value=value, after=0,
        )  # fmt: skip

    def _not_found(self, line: Line, value: str) -> Outcome:
        forms = forms_of(line)
        msg = messages.NOT_FOUND
        if len(forms) > 1:
            msg += messages.LOOKED_UP_AS.format(forms=", ".join(f.value for f, _ in forms))
        return self._outcome(
            Status.NOT_FOUND, Reason.NOT_FOUND, msg, line, Tally(), value=value, before=0
        )

    def _refused(
        self,
        line: Line,
        tally: Tally,
        post: Post,
        value: str,
        before: int | None,
        after: int | None,
    ) -> Outcome:
        """The vendor refused, or every attempt failed; records remain (or are unknown)."""
        if post.how is Posted.EXHAUSTED:
            msg = messages.GAVE_UP.format(attempts=tally.attempts, last=post.verdict.message)
            code: Reason | None = Reason.RETRIES_EXHAUSTED
        else:
            msg, code = post.verdict.message, post.verdict.code
        if after:
            msg = messages.REMAIN.format(last=msg, after=after)
        return self._outcome(
            Status.FAILED, code, msg, line, tally,
            post=post, value=value, before=before, after=after,
        )  # fmt: skip

    def _failed(
        self, line: Line, tally: Tally, looked: Looked, value: str, before: int | None
    ) -> Outcome:
        msg = messages.LOOKUP_FAILED.format(last=looked.verdict.message)
        return self._outcome(
            Status.FAILED, _lookup_failure(looked), msg, line, tally,
            looked=looked, value=value, before=before,
        )  # fmt: skip

    def _pending(
        self,
        job: Job,
        tally: Tally,
        before: int | None,
        value: str | None,
        after: int | None = None,
    ) -> Outcome:
        form = key_form(job.line, value) if value is not None else job.prior_form
        return self.keys.pending(
            job, tally, records_before=before, records_after=after, key_form=form
        )

    def _outcome(
        self,
        status: Status,
        code: Reason | None,
        message: str,
        line: Line,
        tally: Tally,
        *,
        post: Post | None = None,
        looked: Looked | None = None,
        value: str | None = None,
        before: int | None = None,
        after: int | None = None,
        found: int | None = None,
    ) -> Outcome:
        answer = post.answer if post is not None else looked.answer if looked else None
        vendor = post.verdict.vendor_code if post is not None else ""
        if not vendor and looked is not None:
            vendor = looked.verdict.vendor_code
        form: KeyForm | None = key_form(line, value) if value is not None else None
        return Outcome(
            status,
            code,
            message,
            http_status=answer.status if answer is not None else None,
            vendor_code=vendor if status is not Status.SUCCESS else "",
            attempts=tally.attempts,
            unknown_attempts=tally.unknown,
            finished_at=self.now_iso() if status is not Status.PENDING else "",
            run_id=self.run_id,
            records_found=found,
            records_before=before,
            records_after=after,
            key_form=form,
        )


def _lookup_failure(looked: Looked) -> Reason:
    """The code of a lookup that could not be done for this key."""
    if looked.verdict.code is not None and looked.verdict.kind is Kind.PERMANENT:
        return looked.verdict.code
    return Reason.RETRIES_EXHAUSTED
