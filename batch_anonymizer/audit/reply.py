"""What a certificate says in words: the banner per outcome, the vendor's fields and caveat,
and the pieces the reply drafts share (``drafts``: the words are in ``reply_templates/``).

Art. 12(3) asks the controller to tell the person what action was taken on
the request, within a month. The drafts name the person's keys only masked.
"""

from __future__ import annotations

import datetime as dt

from ..core.identity import mask
from ..core.records import KeyType
from ..core.requests import DeadlineCode, Request, RequestOutcome

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
    "TEST RUN: the requests went to a sandbox or test server, not to CustomerGauge's "
    "production API. No data in CustomerGauge was changed."
)
#: (title, banner fill, banner text colour, what it means) per outcome
BANNERS = {
    RequestOutcome.ERASED: (
        "ANONYMIZED IN CUSTOMERGAUGE, VERIFIED",
        (198, 239, 206),
        (0, 97, 0),
        "Every key of this request was anonymized in CustomerGauge, and a lookup afterwards "
        "found no record left there (keys CustomerGauge did not hold needed nothing). This "
        "covers CustomerGauge only: what it does not reach is under Scope.",
    ),
    RequestOutcome.NO_DATA_HELD: (
        "NO DATA HELD IN CUSTOMERGAUGE",
        (226, 239, 218),
        (55, 86, 35),
        "CustomerGauge held no record for any key of this request: there was nothing to "
        "anonymize, and nothing was sent.",
    ),
    RequestOutcome.ANONYMIZED_UNVERIFIED: (
        "ANONYMIZED IN CUSTOMERGAUGE, NOT VERIFIED",
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


#: What the person who sends the reply must check first, when the extension cell was not
#: counted: the dates of the reply rest on it.
EXTENSION_CHECKS = {
    DeadlineCode.LATE_EXTENSION: (
        "[Before sending: the input says the person was told of an extension after the "
        "one-month due date; such an extension does not count (Art. 12(3)), so this reply "
        "is measured against the one-month date.]"
    ),
    DeadlineCode.UNCLEAR_EXTENSION: (
        "[Before sending: the extension cell could not be read, so no extension is counted "
        "here. If the person was told of one within the first month, correct the cell (for "
        "example: yes, 2026-11-10, complex) and make the certificates again.]"
    ),
    DeadlineCode.EXTENSION_BEFORE_RECEIPT: (
        "[Before sending: the extension cell is dated before the request was received, so no "
        "extension is counted here. Correct the cell and make the certificates again.]"
    ),
}
