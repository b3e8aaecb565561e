"""What a certificate says in words: the banner per outcome, the vendor's fields and caveat,
and the short draft reply to the person (GDPR Art. 12(3)).

Art. 12(3) asks the controller to tell the person what action was taken on
the request, within a month. The draft says that in plain words for each
outcome; it names the person's keys only masked, and leaves the name and the
signature for whoever sends it. It is a draft: the text says so.
"""

from __future__ import annotations

import datetime as dt

from ..core.identity import mask
from ..core.records import KeyType
from ..core.requests import OnTime, Request, RequestOutcome

#: The fields CustomerGauge's anonymize call overwrites (its API documentation).
VENDOR_FIELDS = (
    "email (replaced by a random generated address)",
    "first name, last name, SMS / telephone number, customer number, follow-up details "
    "(replaced by ***)",
    "job level (*) and job position (--)",
    "NPS comment, comment translation, workflow comment, auto reply, review comment and "
    'additional comment (replaced by "This comment has been anonymised based on customer '
    'request")',
)
SANDBOX_WARNING = (
    "TEST RUN: the requests went to a sandbox on this computer, not to CustomerGauge. "
    "No real data was changed."
)
CAVEAT = (
    "Custom segment fields are anonymized only when this was agreed with CustomerGauge "
    "(the account's success manager) beforehand; otherwise they stay as they are, and custom "
    "fields cannot be anonymized at all. Check what your account holds there."
)

#: (title, banner fill, banner text colour, what it means) per outcome
BANNERS = {
    RequestOutcome.ERASED: (
        "ERASED",
        (198, 239, 206),
        (0, 97, 0),
        "Every key of this request was anonymized in CustomerGauge, and a lookup afterwards "
        "found no record left (keys CustomerGauge did not hold needed nothing).",
    ),
    RequestOutcome.NO_DATA_HELD: (
        "NO DATA HELD",
        (226, 239, 218),
        (55, 86, 35),
        "CustomerGauge held no record for any key of this request: there was nothing to "
        "anonymize, and nothing was sent.",
    ),
    RequestOutcome.ANONYMIZED_UNVERIFIED: (
        "ANONYMIZED, NOT VERIFIED",
        (255, 242, 204),
        (127, 96, 0),
        "CustomerGauge answered success for every key, but the run did not look the keys up "
        "afterwards (--no-verify): this rests on the vendor's answer alone.",
    ),
    RequestOutcome.INCOMPLETE: (
        "NOT COMPLETED",
        (255, 199, 206),
        (156, 0, 6),
        "Some keys of this request were not anonymized (see below why): the request still "
        "needs action.",
    ),
    RequestOutcome.INVALID: (
        "NOT DONE: NO USABLE KEY",
        (217, 217, 217),
        (58, 58, 58),
        "The request holds no usable email address or telephone number, so nothing could "
        "be sent. The person still needs an answer.",
    ),
    RequestOutcome.READY: (
        "DRY RUN: NOTHING WAS DONE",
        (221, 235, 247),
        (31, 78, 120),
        "This comes from a dry run (or a lookup-only check): nothing was anonymized. It is "
        "not a certificate of erasure.",
    ),
    RequestOutcome.SKIPPED: (
        "NOT PROCESSED",
        (217, 217, 217),
        (58, 58, 58),
        "Every row of this request was left out by a --where filter.",
    ),
    RequestOutcome.NOT_ERASURE: (
        "NOT AN ERASURE REQUEST: NOTHING WAS DONE",
        (217, 217, 217),
        (58, 58, 58),
        "The input records this request as another right (its request type is below), not "
        "erasure: nothing was sent to CustomerGauge and nothing was anonymized. The person "
        "still needs an answer to the request they made.",
    ),
    RequestOutcome.HELD: (
        "HELD: NOTHING WAS DONE",
        (255, 235, 156),
        (156, 87, 0),
        "This request was held back: the requester's identity is not recorded as verified, "
        "or the input holds it (its hold is below). Nothing was sent to CustomerGauge and "
        "nothing was anonymized. It still needs action before its due date.",
    ),
}


def human_date(day: dt.date | None) -> str:
    """``3 November 2026``; "" for None."""
    return f"{day.day} {day:%B %Y}" if day else ""


def keys_phrase(r: Request) -> str:
    """The request's keys in words, masked: "the email address j***@example.com and the
    telephone number 4477*****123"."""
    seen: dict[str, KeyType | None] = {}
    for e in r.entries:
        if e.line.key:
            seen.setdefault(mask(e.line.key), e.line.key_type)
    parts = []
    for kt, one, many in (
        (KeyType.EMAIL, "the email address", "the email addresses"),
        (KeyType.TELEPHONE, "the telephone number", "the telephone numbers"),
    ):
        masked = [m for m, t in seen.items() if t is kt]
        if masked:
            parts.append(f"{one if len(masked) == 1 else many} {', '.join(masked)}")
    return " and ".join(parts) or "no email address or telephone number"


# Outcomes whose draft is a note to the team alone: nothing was erased to tell of.
_NO_REPLY = (
    RequestOutcome.READY,
    RequestOutcome.SKIPPED,
    RequestOutcome.NOT_ERASURE,
    RequestOutcome.HELD,
)


def draft_reply(r: Request) -> str:
    """The draft reply for request ``r``."""
    received = human_date(r.received)
    asked = f"On {received} you asked" if received else "You asked"
    keys = keys_phrase(r)
    done = human_date(dt.date.fromisoformat(r.completed_at[:10])) if r.completed_at else ""
    late = (
        "\n\nWe are sorry that this took longer than the one month the law allows."
        if r.on_time is OnTime.LATE
        else ""
    )
    body = {
        RequestOutcome.ERASED: (
            f"{asked} us to erase your personal data. We have done so: on {done} we "
            "anonymized every record about you in our customer feedback system "
            f"(CustomerGauge) found under {keys}. Your name, contact details and comments "
            "in those records were overwritten, and a check afterwards found no record "
            f"left.{late}"
        ),
        RequestOutcome.NO_DATA_HELD: (
            f"{asked} us to erase your personal data. On {done} we searched our customer "
            f"feedback system (CustomerGauge) for {keys} and found no personal data about "
            f"you there, so there was nothing to erase.{late}"
        ),
        RequestOutcome.ANONYMIZED_UNVERIFIED: (
            "[Before sending: this run did not check the result (--no-verify); run "
            "`batch-anonymizer check` on these keys first.]\n\n"
            f"{asked} us to erase your personal data. We have anonymized the records about "
            f"you in our customer feedback system (CustomerGauge) found under {keys}."
        ),
        RequestOutcome.INCOMPLETE: (
            f"{asked} us to erase your personal data. We have started, but not all of it "
            "is done yet. We will finish"
            + (f" by {human_date(r.due)}" if r.due else " as soon as we can")
            + " and write to you again.\n\n[If more time is needed: the deadline may be "
            "extended by two further months; tell the person so, with the reasons, within "
            "the first month (Art. 12(3)).]"
        ),
        RequestOutcome.INVALID: (
            f"{asked} us to erase your personal data. To find it we need the email address "
            "or telephone number you used with us, and the details we have "
            f"({keys}) are not one we can search for. Please reply with them, and we will "
            "then complete your request."
        ),
        RequestOutcome.READY: "[No reply: this is a dry run, and nothing was done.]",
        RequestOutcome.SKIPPED: "[No reply: this request was not processed in this run.]",
        RequestOutcome.NOT_ERASURE: "[No reply from this tool: the request is not an erasure "
        "request, and nothing was erased. Answer the right the person asked for"
        + (f" ({r.request_type})" if r.request_type else "")
        + (f" by {human_date(r.due)}" if r.due else "")
        + ".]",
        RequestOutcome.HELD: "[No reply yet: the request is held and nothing was erased"
        + (f" (hold: {r.hold})" if r.hold else "")
        + (
            "; the requester's identity is not recorded as verified"
            if not r.hold and r.identity is not None
            else ""
        )
        + ". If the identity is in doubt, ask the person for what confirms it (Art. 12(6)); "
        "if erasure is refused, tell the person why and that they may complain to the data "
        "protection authority (Art. 12(4))" + (f", by {human_date(r.due)}" if r.due else "") + ".]",
    }[r.outcome]
    if r.outcome in _NO_REPLY:
        return body
    contact = (
        "If you have any questions, please reply to this message. You may also complain to "
        "the data protection authority."
    )
    return f"Dear [name],\n\n{body}\n\n{contact}\n\n[signature]"
