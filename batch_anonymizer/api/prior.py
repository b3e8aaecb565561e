"""A key that an earlier run already erased: what its outcome says about that.

The ledger (``state.ledger``) tells, before a run, which keys an earlier run
settled by an erasure request (``success`` or ``not_found``). Verification
decides what it means: records found again means the person re-appeared in
CustomerGauge after the earlier erasure (an import brought them back), and
the key was anonymized again (code ``reappeared``); no record means the line
is ``not_found`` as usual, citing the earlier erasure.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.codes import Reason
from ..core.records import Outcome, Status
from . import messages


def after_erasure(earlier: str, outcome: Outcome) -> Outcome:
    """``outcome`` of a key the ledger held as erased by ``earlier`` (``LedgerEntry.cited``)."""
    if outcome.status is Status.SUCCESS and outcome.records_before:
        message = messages.REAPPEARED.format(earlier=earlier, message=outcome.message)
        return replace(outcome, code=Reason.REAPPEARED, message=message, previously_erased=earlier)
    if outcome.status is Status.NOT_FOUND:
        message = outcome.message + messages.ERASED_BEFORE.format(earlier=earlier)
        return replace(outcome, message=message, previously_erased=earlier)
    return replace(outcome, previously_erased=earlier)
