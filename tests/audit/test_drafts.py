"""Reply drafts: the person's name and address as written, in any script; wording per outcome
that claims only what was done; the organisation's templates per language, strict."""

from __future__ import annotations

from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from request_data import NOT_FOUND, derive

from batch_anonymizer.audit.drafts import Drafter, ReplySettings, load_reply_settings
from batch_anonymizer.core.errors import ReplyTemplateError, UsageError

HEADER = ["Request ID", "Date received", "Email", "Name", "Language"]


def drafted(rows: list[list[str]], settings: ReplySettings | None = None, **kw: object):
    header = kw.pop("header", HEADER)
    requests = derive(rows, header=header, **kw)  # type: ignore[arg-type]
    drafter = Drafter(settings or ReplySettings(), header)  # type: ignore[arg-type]
    return [drafter.draft(r) for r in requests], drafter


def parsed(eml: bytes) -> EmailMessage:
    msg = message_from_bytes(eml, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.mark.parametrize(
    ("name", "address", "masked"),
    [
        ("Łukasz Wójcik", "łukasz@example.com", "ł***@example.com"),
        ("Γιώργος Παπαδόπουλος", "γιώργος@example.com", "γ***@example.com"),
        ("Дмитрий Иванов", "дмитрий@example.org", "д***@example.org"),
        ("王小明", "王小明@example.net", "王***@example.net"),
        ("فاطمة الزهراء", "فاطمة@example.com", "ف***@example.com"),
        ("Zoë Ashby", "zoe@example.com", "z***@example.com"),
    ],
)
def test_the_eml_is_a_draft_to_the_person_with_their_name_and_address_as_written(
    name: str, address: str, masked: str
) -> None:
    (draft,), _ = drafted([["REQ-1", "2026-11-20", address, name, ""]])
    raw = draft.eml()
    msg = parsed(raw)
    assert str(msg["To"]) == address
    # the parser from bytes leaves the parts of a UTF-8 address surrogate-escaped (a
    # limit of the standard library's header parser); read as text it takes them apart
    as_text = message_from_string(raw.decode("utf-8"), policy=policy.default)
    assert as_text["To"].addresses[0].addr_spec == address
    # the address in its script, in UTF-8 (RFC 6532): an encoded word (RFC 2047) is not
    # allowed in an address, and =?utf-8?b?zrPOuc...?=@example.com is nobody's
    assert f"To: {address}\r\n".encode() in raw.split(b"\r\n\r\n")[0] + b"\r\n"
    assert b"=?" not in raw
    assert msg["Subject"] == "Your request to erase your personal data (REQ-1)"
    assert msg["X-Unsent"] == "1" and msg["From"] is None
    body = msg.get_content().replace("\r\n", "\n")  # the .eml's lines end in CRLF
    assert body.startswith(f"Dear {name},\n")
    assert f"found under the email address {masked}:" in body
    for bad in ("<U+", "?", "[name]", "\ufffd"):
        assert bad not in body
    assert address not in body  # the address in full is in To: alone
    txt = (draft.txt()).decode("utf-8")
    assert txt == f"Subject: {msg['Subject']}\n\n{draft.body}"
    assert body == draft.body


def test_the_name_comes_from_first_and_last_name_or_the_named_columns() -> None:
    header = ["Email", "First name", "Last name", "Nick"]
    rows = [["ann@example.com", "Ann", "Lee", "Annie"], ["bob@example.com", "", "", ""]]
    (ann, bob), _ = drafted(rows, header=header)
    assert ann.body.startswith("Dear Ann Lee,\n") and bob.body.startswith("Hello,\n")
    (ann, _), _ = drafted(rows, ReplySettings(name_columns=("Nick",)), header=header)
    assert ann.body.startswith("Dear Annie,\n")
    with pytest.raises(UsageError, match="no column 'Full name' in the input"):
        drafted(rows, ReplySettings(name_columns=("Full name",)), header=header)


GATE = ["Request ID", "Date received", "Email", "Request type", "ID verified", "Hold"]


@pytest.mark.parametrize(
    ("row", "says", "never"),
    [
        (
            ["R-1", "2026-11-20", "ann@example.com", "Erasure", "Yes", ""],
            [
                "On 1 December 2026 we anonymized the records about you in our customer "
                "feedback system, CustomerGauge, found under the email address a***@example.com",
                "This covers our customer feedback system, CustomerGauge, only.",
                "does not reach extra segment fields unless this was agreed with CustomerGauge, "
                "nor custom fields; copies in backups remain until those backups expire",
            ],
            ["We have done so"],
        ),
        (
            ["R-2", "2026-11-20", "nobody@example.com", "Erasure", "Yes", ""],
            ["found no personal data about you there, so there was nothing to erase in it"],
            ["we anonymized"],
        ),
        (
            ["R-3", "2026-11-20", "eva@example.com", "Erasure", "Pending", ""],
            [
                "[Before sending: the requester's identity is not recorded as verified (Pending)",
                "we need to confirm that the request comes from you",
                "Nothing has been erased yet",
            ],
            ["we anonymized"],
        ),
        (
            ["R-4", "2026-11-20", "finn@example.com", "Erasure", "Yes", "Art. 17(3)(b)"],
            [
                "[Before sending: the request is held (hold: Art. 17(3)(b)) and nothing was erased",
                "We have not erased your personal data",
                "You may also seek a judicial remedy.",
                "You may also complain to the data protection authority.",
            ],
            ["we anonymized"],
        ),
        (
            ["R-5", "2026-11-20", "cleo@example.com", "Access", "Yes", ""],
            [
                "[Before sending: this is not an erasure request (Access), and nothing was erased",
                "made a request to us (Access)",
                "will answer by 21 December 2026",
            ],
            ["erase your personal data", "we anonymized"],
        ),
        (
            ["R-6", "2026-11-20", "m@example", "Erasure", "Yes", ""],
            ["your request does not give one we can search for", "Nothing has been erased yet"],
            ["m***@example", "are not one we can", "we anonymized"],
        ),
    ],
    ids=["erased", "no_data_held", "held_identity", "held", "not_erasure", "invalid"],
)
def test_the_wording_per_outcome_claims_only_what_was_done(
    row: list[str], says: list[str], never: list[str]
) -> None:
    (draft,), _ = drafted([row], header=GATE, outcomes={"nobody@example.com": NOT_FOUND})
    for text in says:
        assert text in draft.body
    for text in never:
        assert text not in draft.body
    assert "[signature]" not in draft.body and "[name]" not in draft.body
    assert draft.body.rstrip().endswith(
        "[Signature: add yours here, or give --signature-file FILE]"
    )


def test_signature_file_and_authority(tmp_path: Path) -> None:
    sig = tmp_path / "sig.txt"
    sig.write_text("Joanna Nowak\nData Protection Officer, Example Ltd\n", encoding="utf-8")
    settings = load_reply_settings(signature_file=sig, authority="the Data Protection Commission")
    (draft,), _ = drafted([["R-1", "2026-11-20", "ann@example.com", "", ""]], settings)
    signed = "Kind regards,\n\nJoanna Nowak\nData Protection Officer, Example Ltd\n"
    assert draft.body.endswith(signed)
    assert "You may also complain to the Data Protection Commission." in draft.body
    assert "[Signature" not in draft.body
    (tmp_path / "empty.txt").write_text(" \n", encoding="utf-8")
    with pytest.raises(ReplyTemplateError, match="is empty"):
        load_reply_settings(signature_file=tmp_path / "empty.txt")


GERMAN = """Subject: Ihr Antrag auf Löschung ({{ request }})

{% if name %}Guten Tag {{ name }},{% else %}Guten Tag,{% endif %}


am {{ received_iso }} haben Sie die Löschung Ihrer Daten beantragt. Wir haben die Einträge \
unter {{ keys }} in CustomerGauge anonymisiert.

Mit freundlichen Grüßen
{{ signature }}
"""


def test_a_german_template_for_rows_in_german_and_english_for_the_others(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "erased.de.txt").write_text(GERMAN, encoding="utf-8")
    rows = [
        ["R-1", "2026-11-20", "jürgen@example.com", "Jürgen Groß", "de-DE"],
        ["R-2", "2026-11-20", "ann@example.com", "Ann Lee", "EN"],
        ["R-3", "2026-11-20", "bob@example.com", "Bob Ito", ""],
        ["R-4", "2026-11-20", "zoe@example.com", "Zoé Martin", "fr"],
        ["R-5", "2026-11-20", "eve@example.com", "Eve Roy", "fr_CA"],
    ]
    drafts, drafter = drafted(rows, load_reply_settings(templates=folder))
    de = drafts[0]
    assert de.language == "de" and de.subject == "Ihr Antrag auf Löschung (R-1)"
    assert de.body.startswith("Guten Tag Jürgen Groß,\n\nam 2026-11-20 haben Sie")
    assert "unter the email address j***@example.com in CustomerGauge" in de.body
    assert parsed(de.eml())["Subject"] == "Ihr Antrag auf Löschung (R-1)"
    for d, name in zip(drafts[1:], ("Ann Lee", "Bob Ito", "Zoé Martin", "Eve Roy"), strict=True):
        assert d.language == "en" and d.body.startswith(f"Dear {name},\n")
    # the missing French template is named, with the requests drafted in English instead
    assert drafter.warnings == [
        f"no reply template erased.fr.txt in {folder}: 2 request(s) drafted in English "
        "(R-4, R-5); add the template (--reply-templates) and run `batch-anonymizer "
        "certificates REPORT` again"
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "erased.de.txt",
            "Guten Tag {{ nmae }}",
            "reply template erased.de.txt uses nmae, which is not a field; the fields are: ",
        ),
        ("erased.de.txt", "{% if name %}Guten Tag", "reply template erased.de.txt, line 1: "),
        ("erasd.de.txt", "Guten Tag", "reply template erasd.de.txt: not a name this tool reads"),
    ],
)
def test_a_template_folder_that_cannot_be_used_is_refused_when_loaded(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ReplyTemplateError) as caught:
        load_reply_settings(templates=tmp_path)
    assert caught.value.message.startswith(message)
    assert "\n" not in caught.value.message


def test_a_field_used_wrongly_is_an_error_when_rendered_never_a_gap(tmp_path: Path) -> None:
    (tmp_path / "erased.en.txt").write_text("Dear {{ name.first }},", encoding="utf-8")
    with pytest.raises(ReplyTemplateError) as caught:
        drafted([["R-1", "2026-11-20", "ann@example.com", "Ann", ""]], ReplySettings(tmp_path))
    assert caught.value.message.startswith(
        "reply template erased.en.txt cannot be rendered for request R-1: "
        "'str object' has no attribute 'first'"
    )


def test_a_template_cannot_reach_python_internals(tmp_path: Path) -> None:
    # the folder is the organisation's, but a template is code: the sandbox keeps it to text
    (tmp_path / "erased.en.txt").write_text(
        "{{ name.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8"
    )
    with pytest.raises(ReplyTemplateError, match="cannot be rendered for request R-1"):
        drafted([["R-1", "2026-11-20", "ann@example.com", "Ann", ""]], ReplySettings(tmp_path))


def test_late_overdue_and_extended_are_said_truthfully() -> None:
    from request_data import HEADER, STILL

    rows = [
        ["R-1", "2026-10-20", "", "still@example.com", ""],  # not done, due 20 Nov: overdue
        ["R-2", "2026-11-25", "", "open@example.com", ""],  # not done, due 29 Dec: open
        ["R-3", "2026-10-01", "Yes (complex)", "ann@example.com", ""],  # extended, done in time
    ]
    outcomes = {"still@example.com": STILL, "open@example.com": STILL}
    (overdue, open_, extended), _ = drafted(rows, outcomes=outcomes, header=HEADER)
    assert (
        "not all of it is done yet. We are sorry that this is taking longer than the one month "
        "the law allows. We will finish as soon as we can and write to you again."
    ) in overdue.body
    assert "We will finish by 25 December 2026 and write to you again." in open_.body
    assert "sorry" not in open_.body
    assert (
        "As we told you, we extended the time to answer your request by two further months "
        "(complex), as the law allows"
    ) in extended.body
    assert "sorry" not in extended.body


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=80), st.text(max_size=40), st.text(max_size=40))
def test_any_request_id_name_and_address_make_a_draft_that_parses(
    rid: str, name: str, email: str
) -> None:
    (draft,), _ = drafted([[rid, "2026-11-20", email, name, ""]])
    msg = parsed(draft.eml())
    assert msg["X-Unsent"] == "1" and "\n" not in str(msg["Subject"])
    assert draft.txt().decode() == f"Subject: {draft.subject}\n\n{draft.body}"
    assert "\n" not in draft.subject
    assert msg.get_content().replace("\r\n", "\n") == draft.body
