"""The reply draft per request (GDPR Art. 12(3)): the text, and the ``.eml`` and ``.txt`` files.

The words come from a template per outcome and language (``replytemplates``);
this module gives them their fields: the person's name from the input's name
column(s), the request's dates, its keys masked, the authority and the
signature. The certificate quotes the same text. The ``.eml`` is addressed to
the request's email (as written, in its script), has no ``From:`` and is
marked ``X-Unsent: 1`` so a mail client opens it as a draft to send.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.message import EmailMessage
from pathlib import Path

from ..core.errors import ReplyTemplateError, UsageError
from ..core.identity import mask_keys_in, redacted_hint
from ..core.records import KeyType, Status
from ..core.requests import DeadlineCode, OnTime, Request, RequestOutcome
from .reply import EXTENSION_CHECKS, human_date, keys_phrase
from .replytemplates import ENGLISH, Templates

DEFAULT_AUTHORITY = "the data protection authority"
#: The signature line when no --signature-file is given: visible, so no draft goes out
#: unsigned by mistake.
NO_SIGNATURE = "[Signature: add yours here, or give --signature-file FILE]"
NAME_HEADERS = ("name", "fullname")
FIRST_LAST = (("firstname", "givenname"), ("lastname", "surname", "familyname"))
LANGUAGE_HEADERS = ("language", "locale")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SMTPUTF8 = policy.SMTPUTF8.clone(linesep="\r\n")


@dataclass(frozen=True, slots=True)
class ReplySettings:
    """How the drafts are made: the templates folder (None: built-in English only), the
    signature text, the authority named, and the name and language columns (None: found
    by header); and the font files the certificates try first for a character the
    built-in fonts lack (``--font``)."""

    templates: Path | None = None
    signature: str = ""
    authority: str = DEFAULT_AUTHORITY
    name_columns: tuple[str, ...] = ()
    language_column: str | None = None
    fonts: tuple[Path, ...] = ()


def load_reply_settings(
    templates: Path | None = None,
    signature_file: Path | None = None,
    authority: str | None = None,
    name_columns: Sequence[str] = (),
    language_column: str | None = None,
    fonts: Sequence[Path] = (),
) -> ReplySettings:
    """The options as settings, the templates folder, signature file and fonts checked (a
    ``UsageError`` now, before anything is sent, rather than after)."""
    if fonts:
        from .pdffonts import font_problem  # fontTools: only when a font is given
    for font in fonts:
        problem = font_problem(font)
        if problem:
            raise UsageError(
                f"--font {font}: {problem}; give a TrueType or OpenType font file "
                "(.ttf, .otf, .ttc)"
            )
    if templates is not None:
        Templates(templates)  # checks every file of the folder
    signature = ""
    if signature_file is not None:
        try:
            signature = signature_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise ReplyTemplateError(
                f"--signature-file {signature_file}: cannot be read as UTF-8 text ({e})"
            ) from e
        if not signature:
            raise ReplyTemplateError(f"--signature-file {signature_file} is empty")
    return ReplySettings(
        templates,
        signature,
        (authority or "").strip() or DEFAULT_AUTHORITY,
        tuple(name_columns),
        language_column,
        tuple(fonts),
    )


@dataclass(frozen=True, slots=True)
class Draft:
    """One request's reply: to whom (its email, "" when none), subject, body, language."""

    to: str
    subject: str
    body: str
    language: str

    def eml(self) -> bytes:
        """The draft as an RFC 5322 message with UTF-8 headers (RFC 6532) and body (8bit).

        An address not in ASCII (``γιώργος@example.com``) cannot be RFC 2047-encoded: an
        encoded word is not allowed in an address, and ``=?utf-8?b?...?=@example.com`` is
        an address nobody has. So the headers are written in UTF-8 as they are
        (``policy.SMTPUTF8``), the form internationalised mail is sent in; the standard
        library's parser reads them back as written."""
        msg = EmailMessage(policy=_SMTPUTF8)
        if self.to:
            # not an address a mail client takes: no To:, the sender fills it in
            with contextlib.suppress(HeaderParseError, ValueError, IndexError):
                msg["To"] = self.to
        msg["Subject"] = self.subject
        msg["X-Unsent"] = "1"
        msg.set_content(self.body, charset="utf-8", cte="8bit")
        return msg.as_bytes()

    def txt(self) -> bytes:
        """The same text to paste into a ticket: the subject line and the body."""
        return f"Subject: {self.subject}\n\n{self.body}".encode()


class Drafter:
    """Drafts the replies of one report; ``warnings`` lists the missing templates after.

    Raises ``UsageError`` when a column named by an option is not among
    ``input_columns``.
    """

    def __init__(self, settings: ReplySettings, input_columns: Sequence[str]) -> None:
        self.settings = settings
        self.templates = Templates(settings.templates)
        cols = list(input_columns)
        for c in (*settings.name_columns, settings.language_column):
            if c is not None and c not in cols:
                raise UsageError(
                    f"no column {c!r} in the input (--name-column / --language-column); its "
                    f"columns are: {', '.join(cols) or '(none)'}"
                )
        names = [cols.index(c) for c in settings.name_columns] or _name_columns(cols)
        self._names = names
        lang = settings.language_column or _find(cols, LANGUAGE_HEADERS)
        self._language = cols.index(lang) if lang is not None else None
        self._missing: dict[str, list[str]] = defaultdict(list)

    def draft(self, r: Request) -> Draft:
        """The reply to request ``r`` (its request id already as a certificate shows it)."""
        wanted = self._language_of(r)
        kind = _kind(r)
        language = wanted
        if not self.templates.has(kind, wanted):
            self._missing[f"{kind}.{wanted}.txt"].append(r.request)
            language = ENGLISH
        fields = self._fields(r, language)
        done = self.templates.render(kind, language, fields, r.request)
        # a cell's own line ends (\r\n, \r) made \n: the .eml writes them all as CRLF
        body = done.body.replace("\r\n", "\n").replace("\r", "\n")
        check = EXTENSION_CHECKS.get(r.code) if r.code else None
        if check and r.outcome is not RequestOutcome.READY:
            body = f"{check}\n\n{body}"
        subject = done.subject or f"Your request {fields['request']}".strip()
        # a line break in a header would end it (and is refused): a request id may hold one
        subject = " ".join(_CONTROL.sub(" ", subject).split())
        return Draft(_address(r), subject, body, language)

    @property
    def warnings(self) -> list[str]:
        """One line per missing template: which, and the requests drafted in English."""
        out = []
        where = f"in {self.settings.templates}" if self.settings.templates else "built in"
        for name, requests in self._missing.items():
            shown = ", ".join(requests[:5]) + (", ..." if len(requests) > 5 else "")
            out.append(
                f"no reply template {name} {where}: {len(requests)} request(s) drafted in "
                f"English ({shown}); add the template (--reply-templates) and run "
                "`batch-anonymizer certificates REPORT` again"
            )
        return out

    def _language_of(self, r: Request) -> str:
        if self._language is None or self._language >= len(r.cells):
            return ENGLISH
        tag = r.cells[self._language].strip().lower().replace("_", "-").split("-")[0]
        return tag or ENGLISH  # a tag no template can have ("deutsch"): English, said so

    def _fields(self, r: Request, language: str) -> dict[str, object]:
        # one line, whatever the cells hold: the name stands in the greeting
        parts = (r.cells[i] for i in self._names if i < len(r.cells))
        name = " ".join(_CONTROL.sub(" ", " ".join(parts)).split())
        completed = dt.date.fromisoformat(r.completed_at[:10]) if r.completed_at else None
        unsure = r.code in (DeadlineCode.UNCLEAR_EXTENSION, DeadlineCode.EXTENSION_BEFORE_RECEIPT)
        late = r.on_time is OnTime.LATE
        return {
            "name": mask_keys_in(name),
            "request": "" if r.by_row else r.request,
            "received": human_date(r.received),
            "received_iso": r.received.isoformat() if r.received else "",
            "due": human_date(r.due),
            "due_iso": r.due.isoformat() if r.due else "",
            "completed": human_date(completed),
            "completed_iso": completed.isoformat() if completed else "",
            "keys": keys_phrase(r),
            "authority": self.settings.authority,
            "signature": self.settings.signature or NO_SIGNATURE,
            "hold": mask_keys_in(r.hold),
            "identity": mask_keys_in(r.identity or ""),
            "request_type": mask_keys_in(r.request_type or ""),
            "extension_reason": mask_keys_in(r.extension_reason),
            "extended": r.extended,
            "late": late and not unsure,
            "late_unsure": late and unsure,
            "overdue": r.on_time is OnTime.OVERDUE,
            "outcome": r.outcome.value,
            "language": language,
        }


def _kind(r: Request) -> str:
    """The template a request's reply takes: its outcome; a held request's split by why."""
    if r.outcome is RequestOutcome.HELD and not r.hold and r.identity is not None:
        return "held_identity"
    return r.outcome.value


def _address(r: Request) -> str:
    """The request's first usable email, as written (never a redacted stand-in)."""
    for e in r.entries:
        line = e.line
        if (
            line.key_type is KeyType.EMAIL
            and line.status is not Status.INVALID
            and line.key
            and redacted_hint(line.key) is None
        ):
            return line.key
    return ""


def _key(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", header).casefold()


def _find(columns: Sequence[str], headers: Sequence[str]) -> str | None:
    keys: dict[str, str] = {}
    for c in columns:
        keys.setdefault(_key(c), c)
    return next((keys[h] for h in headers if h in keys), None)


def _name_columns(columns: list[str]) -> list[int]:
    """The person's name: a ``Name`` / ``Full name`` column, else ``First name`` and
    ``Last name`` (either alone when only one is there); none: a neutral greeting."""
    whole = _find(columns, NAME_HEADERS)
    if whole is not None:
        return [columns.index(whole)]
    parts = [_find(columns, headers) for headers in FIRST_LAST]
    return [columns.index(c) for c in parts if c is not None]
