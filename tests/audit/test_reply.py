"""The draft reply when the extension is in doubt: never a silent apology, never a silent
extension (Art. 12(3): an extension counts only when told within the first month)."""

from __future__ import annotations

import pytest
from request_data import derive

from batch_anonymizer.audit.drafts import Drafter, ReplySettings

SORRY = "We are sorry that this took longer than the one month the law allows."
A = "ann@example.com"


def reply(extension: str) -> str:
    # received 26 Oct 2026, completed 1 Dec 2026: after the one-month date (26 Nov)
    (r,) = derive([["REQ-1", "26/10/2026", extension, A, ""]])
    return Drafter(ReplySettings(), []).draft(r).body


@pytest.mark.parametrize(
    ("extension", "note", "apology"),
    [
        ("", None, "said"),  # no extension: late, and the reply says sorry
        ("Yes (complex)", None, None),  # extended: on time, nothing to apologise for
        ("2026-11-20", None, None),  # told within the month: on time
        # told on 1 Dec: late, and the sender is told why the extension is not counted
        ("01/12/2026", "after the one-month due date; such an extension does not count", "said"),
        # the cell cannot be read: whether to apologise is the sender's choice, said so
        ("maybe", "the extension cell could not be read", "choice"),
        ("2026-10-20", "dated before the request was received", "choice"),
    ],
)
def test_the_reply_for_each_kind_of_extension_cell(
    extension: str, note: str | None, apology: str | None
) -> None:
    said = reply(extension)
    if note is None:
        assert "[Before sending" not in said
    else:
        assert said.startswith("[Before sending: ") and note in said
    if apology is None:
        assert SORRY not in said
    elif apology == "said":
        assert SORRY in said and "[Only if" not in said
    else:
        assert f"[Only if no extension was told within the first month: {SORRY}]" in said
