"""What a certificate says was done, where and by whom: its scope, and the request's decision.

A certificate of sanitization (NIST SP 800-88's sample: the person, the
method, the tool and its version, the verification and its result, the date,
the person validating it), adapted to a logical erasure through a vendor's
API: the system (CustomerGauge, host, region, API version), the method (the
vendor's anonymize call and the fields its documentation says it
overwrites), the verification as the run did it (or that it did not), what
the method does not reach, who performed it (the input's handler column,
else the operator) and who approved it (``--approved-by``). Nothing here
claims more than was done in CustomerGauge.
"""

from __future__ import annotations

from ..core.decision import approved_by, decision, decision_note, run_by
from ..core.jurisdiction import deadline_rule
from ..core.records import RunFacts, Status
from ..core.requests import Request, RequestOutcome
from .reply import VENDOR_FIELDS

#: What the anonymize call does not reach (the vendor's documentation; the scope of a run).
NOT_REACHED = (
    "custom segment fields not agreed with CustomerGauge beforehand (they stay as they are); "
    "custom fields (the vendor cannot anonymize them); CustomerGauge's backups, until they "
    "expire; and every other system that holds the person's data: this certificate covers "
    "CustomerGauge only"
)
#: The verification setting a run records (``--no-verify`` records "no ...").
VERIFY_SETTING = "verify"
_NOTHING_SENT = (
    RequestOutcome.HELD,
    RequestOutcome.NOT_ERASURE,
    RequestOutcome.INVALID,
    RequestOutcome.READY,
    RequestOutcome.SKIPPED,
)


def setting(facts: RunFacts, name: str) -> str:
    """A run-facts setting's value ("" when the run did not record it)."""
    return dict(facts.settings).get(name, "")


def scope_pairs(r: Request, facts: RunFacts) -> list[tuple[str, str]]:
    """The certificate's scope, as (label, value) lines."""
    system = f"CustomerGauge, anonymize API {facts.api_version or 'v4.1'}"
    system += f", region {facts.region}" if facts.region else ", region not named"
    system += f", host {facts.endpoint_host}"
    if r.handled_by:
        performer = f"{r.handled_by}  (the input's handler column); run by {run_by(facts)}"
    else:
        performer = f"{run_by(facts)}  (the operator who ran it: the input names no handler)"
    return [
        ("System", system),
        (
            "Method",
            "CustomerGauge's own anonymize call, one per key: in every record that matches the "
            "key it overwrites " + "; ".join(VENDOR_FIELDS) + " (the vendor's documentation)",
        ),
        ("Verification", verification(r, facts)),
        ("Does not reach", NOT_REACHED),
        ("Performed by", performer),
        ("Approved by", approved_by(facts) or "not recorded (--approved-by NAME)"),
        ("Tool", f"batch-anonymizer {facts.tool_version}, run {facts.run_id}"),
    ]


def verification(r: Request, facts: RunFacts) -> str:
    """How the run checked the keys of ``r``, and what it found."""
    if r.outcome in _NOTHING_SENT:
        return "none: nothing of this request was sent to CustomerGauge"
    if setting(facts, VERIFY_SETTING).startswith("no"):
        return (
            "not verified (--no-verify): no lookup before or after; the result rests on the "
            "vendor's answer alone"
        )
    keyed = {e.line.key: e.outcome for e in r.entries if e.line.key}
    looked = [o for o in keyed.values() if o.records_before is not None]
    before = sum(o.records_before or 0 for o in looked)
    after = [o.records_after for o in looked if o.status is Status.SUCCESS]
    forms = sorted({o.key_form.value for o in looked if o.key_form is not None})
    said = (
        "each key looked up before the anonymize call and again after it (the vendor's lookup), "
        "in the form it is sent in and, when that finds nothing, in its other plausible forms "
        "(a telephone as written and with +, an email lower-cased)"
    )
    if forms:
        said += f"; form used: {', '.join(forms)}"
    said += f"; records found before: {before}"
    if after:
        said += f"; records left after: {sum(n or 0 for n in after)}"
    if len(looked) < len(keyed):
        said += f"; {len(keyed) - len(looked)} key(s) not looked up (see the keys below)"
    return said


def decision_pairs(r: Request) -> list[tuple[str, str]]:
    """The request's decision lines: the decision in the register's words and its note."""
    out = [("Decision", decision(r) or "none in this run")]
    note = decision_note(r)
    if note:
        out.append(("Decision note", note))
    return out


def due_words(r: Request, facts: RunFacts) -> str:
    """The due date and how it was counted, under the calendar the run used."""
    if r.due is None:
        return "-"
    return (
        f"{r.due.isoformat()}  ({deadline_rule(setting(facts, 'holidays'), extended=r.extended)})"
    )
