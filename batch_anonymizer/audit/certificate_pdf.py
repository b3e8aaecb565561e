"""One request's certificate: a PDF that compliance can attach to the person's ticket.

It says, in plain words, first its scope (``scope``: the system, the method
and what it overwrites, the verification as the run did it, what it does not
reach, who performed and who approved it), then what was done for the request
and when (dates received, due and completed, the due date's rule under the
run's holiday calendar) and its decision, then per key its type, the key
masked as in the handover copy (``j***@example.com``), what happened, the
records before and after, the time and the run; the evidence it rests on (the
report's run id and the SHA-256 of its manifest); and the draft reply to the
person (GDPR Art. 12(3)), as its ``.eml`` has it. It holds no full key and
nothing of any other request but that request's id, and that id with any key
in it masked (``certificates.shown_request``). It claims nothing beyond
CustomerGauge.

fpdf2 with its built-in Helvetica: no font file to ship, about 10 ms a
certificate. That font holds Windows-1252 only; any other character is
written as ``<U+0142>``, so nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import FontFace

from ..core.codes import MEANINGS, Reason
from ..core.decision import EXTENSION_NOT_COUNTED, run_by
from ..core.identity import mask
from ..core.records import RunFacts, Status
from ..core.requests import (
    DEADLINE_MEANINGS,
    NO_IDENTITY_COLUMN,
    NO_TYPE_COLUMN,
    OnTime,
    Request,
    RequestKey,
    RequestOutcome,
)
from .certificate_folder import shown_request
from .pdffonts import FAMILY, UnicodePdf
from .reply import BANNERS, SANDBOX_WARNING, keys_phrase
from .scope import decision_pairs, due_words, scope_pairs


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a certificate points at: the report, its manifest's SHA-256, when it was issued."""

    report_name: str
    manifest_name: str
    manifest_sha256: str
    issued_at: str  # UTC ISO 8601


def certificate_pdf(
    r: Request,
    facts: RunFacts,
    evidence: Evidence,
    reply: str,
    unshown: dict[str, str] | None = None,
    fonts: tuple[Path, ...] = (),
) -> bytes:
    """The certificate of request ``r`` as PDF bytes (any key in a request id masked);
    ``reply`` is the draft reply it quotes (the text of the request's ``.eml``). Each
    character no installed font holds is added to ``unshown``, with what was printed
    instead (its name). ``fonts`` are font files tried first for a character the built-in
    fonts lack (``--font``)."""
    r = shown_request(r)
    pdf = _Pdf(r.request, facts.run_id, facts.tool_version, fonts)
    # a request of another right is never called an erasure request
    kind = "Request" if r.outcome is RequestOutcome.NOT_ERASURE else "Erasure request"
    pdf.set_title(_safe(f"{kind} {r.request}"))
    pdf.set_creator(_safe(f"batch-anonymizer {facts.tool_version}"))
    pdf.add_page()
    title, fill, ink, meaning = BANNERS[r.outcome]
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 8, _safe(f"{kind} {r.request}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(
        0,
        5,
        "Record of what batch-anonymizer did in CustomerGauge",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    pdf.set_fill_color(*fill)
    pdf.set_text_color(*ink)
    pdf.set_font(FAMILY, "B", 12)
    pdf.cell(0, 8, _safe(f"  {title}"), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(
        0, 5, _safe(meaning), fill=True, padding=(1, 2, 2, 2), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    if facts.test_run or _sandbox(facts.endpoint_host):
        pdf.set_fill_color(255, 235, 156)
        pdf.set_text_color(156, 87, 0)
        pdf.set_font(FAMILY, "B", 10)
        pdf.multi_cell(
            0,
            6,
            _safe(SANDBOX_WARNING),
            fill=True,
            padding=(1, 2, 1, 2),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.set_text_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)
    pdf.section("Scope: what was done, where, and by whom")
    pdf.pairs(scope_pairs(r, facts))
    pdf.section("The request and its decision")
    pdf.pairs(_request_facts(r, facts))
    pdf.section("The keys: each email address and telephone number of the request")
    _keys_table(pdf, r)
    pdf.section("Draft reply to the person (GDPR Art. 12(3)): check it before sending")
    pdf.set_fill_color(245, 245, 245)
    pdf.shaded(reply)
    pdf.section("The evidence")
    pdf.pairs(
        (
            ("Run id", facts.run_id),
            ("Report", evidence.report_name),
            ("Report manifest", evidence.manifest_name),
            ("Manifest SHA-256", evidence.manifest_sha256),
            ("Tool", f"batch-anonymizer {facts.tool_version}"),
            ("Run by", run_by(facts)),
            ("Issued (UTC)", _when(evidence.issued_at)),
        )
    )
    pdf.para(
        f'To check it: "batch-anonymizer verify {evidence.report_name}" says whether the '
        f'report and these certificates are unchanged; "sha256sum {evidence.manifest_name}" '
        "must print the SHA-256 above."
    )
    data = bytes(pdf.output())
    if unshown is not None:
        unshown.update(pdf.unshown)
    return data


_PAGES = "\x1fnb\x1f"  # where fpdf2 writes the page count
_HEAD = FontFace(emphasis="BOLD", fill_color=(242, 242, 242))


class _Pdf(UnicodePdf):
    """A4, Noto Sans and the fonts of the other scripts (``pdffonts``), a footer naming
    the request, run and page."""

    def __init__(
        self, request: str, run_id: str, version: str, fonts: tuple[Path, ...] = ()
    ) -> None:
        super().__init__(fonts)
        self.set_margins(18, 14, 18)
        self.set_auto_page_break(True, 18)
        # fpdf2 puts the page count wherever its alias appears, in a request id too
        # ("REQ-{nb}" printed as "REQ-2"): an alias no cell can hold, as a control
        # character in a cell is printed by name (UnicodePdf.normalize_text)
        self.alias_nb_pages(_PAGES)
        self._foot = _safe(f"Request {request}  |  run {run_id}  |  batch-anonymizer {version}")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, self._foot)
        self.cell(0, 5, f"page {self.page_no()} of {_PAGES}", align="R")
        self.set_text_color(0, 0, 0)

    def section(self, title: str, room: float = 45) -> None:
        """A section title; on a new page when less than ``room`` mm are left for it."""
        if self.get_y() > self.h - self.b_margin - room:
            self.add_page()
        else:
            self.ln(4)
        self.set_font(FAMILY, "B", 12)
        self.cell(0, 7, _safe(title), border="B", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def pairs(self, items: Sequence[tuple[str, str]]) -> None:
        for label, value in items:
            self.set_font(FAMILY, "B", 9.5)
            self.cell(42, 5.5, _safe(label))
            self.set_font(FAMILY, "", 9.5)
            text = _safe(value) or "-"
            if self.get_string_width(text) < self.epw - 44:  # one line: no line breaking
                self.cell(0, 5.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                continue
            left = self.get_x()
            for line in self.broken(text, "", 9.5):
                self.set_x(left)
                self.cell(0, 5.5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def para(self, text: str, *, bold: bool = False) -> None:
        """A paragraph, the width of the page."""
        style = "B" if bold else ""
        for line in self.broken(text, style, 9.5):
            self.cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def shaded(self, text: str, pad: float = 3) -> None:
        """``text`` in a box of the fill colour, ``pad`` mm inside it, paragraph by
        paragraph (a reply draft: only its first paragraph differs between requests)."""
        margin, self.c_margin = self.c_margin, pad
        self.cell(0, pad, "", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for paragraph in text.split("\n"):
            for line in self.broken(paragraph, "", 10, self.epw - 2 * pad) if paragraph else [""]:
                self.cell(0, 5, line, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, pad, "", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.c_margin = margin

    def broken(self, text: str, style: str, size: float, width: float = 0) -> list[str]:
        """``text`` broken into the lines that fit in ``width`` mm (0: from here to the
        right margin), in ``FAMILY`` ``style`` at ``size`` (the font left set). Remembered
        per text: line breaking is most of a certificate's cost, and most texts (the scope,
        the method, what is not reached, a reply's paragraphs) are on every certificate."""
        self.set_font(FAMILY, style, size)
        width = width or self.w - self.r_margin - self.get_x()
        key = (text, style, size, round(width, 3), self._given)
        lines = _BROKEN.get(key)
        if lines is None:
            if len(_BROKEN) > 1_000:
                _BROKEN.clear()
            broken = self.multi_cell(
                width, 5, _safe(text), align="L", dry_run=True, output=MethodReturnValue.LINES
            )
            lines = _BROKEN[key] = [str(line) for line in cast(list[str], broken)]
        return lines


#: Texts already broken into lines, by (text, style, size, width, the --font files): the
#: same paragraphs are on every certificate.
_BROKEN: dict[tuple[str, str, float, float, tuple[str, ...]], list[str]] = {}


def _request_facts(r: Request, facts: RunFacts) -> list[tuple[str, str]]:
    received = r.received.isoformat() if r.received else "-"
    if r.code is not None and r.code not in EXTENSION_CODES:
        received += f"  ({DEADLINE_MEANINGS[r.code]})"
    due = due_words(r, facts)
    out = [
        ("Request", r.request + ("  (no request id: one input row)" if r.by_row else "")),
        ("Input rows", _rows(r)),
        ("Date received", received),
        ("Due date", due),
        *_extension(r),
        ("Completed (UTC)", _when(r.completed_at) or "not completed"),
        ("On time", _on_time(r)),
        ("Outcome (code)", r.outcome.value),
        ("Keys", f"{r.key_count}: {keys_phrase(r)}" if r.key_count else "none"),
    ]
    if r.duplicate_of:
        out.append(("Sent with", "its keys were sent for request " + ", ".join(r.duplicate_of)))
    return out + _gate_facts(r) + decision_pairs(r)


def _gate_facts(r: Request) -> list[tuple[str, str]]:
    """What the input says may be done: the request type, the identity check, the hold
    (an Art. 17(3) ground shown as given)."""
    kind = NO_TYPE_COLUMN if r.request_type is None else r.request_type or "(empty)"
    out = [("Request type", kind)]
    if r.identity is None:
        out.append(("Identity verified", NO_IDENTITY_COLUMN))
    else:
        out.append(("Identity verified", r.identity or "(empty): not verified"))
    if r.hold:
        out.append(("Hold", r.hold))
    return out


#: Codes that say an extension cell was not counted (shown on the certificate's Extension line).
EXTENSION_CODES = EXTENSION_NOT_COUNTED


def _extension(r: Request) -> list[tuple[str, str]]:
    """The Extension line, when the input says anything about one."""
    if r.code in EXTENSION_CODES:
        said = f"NOT COUNTED: {DEADLINE_MEANINGS[r.code]}"
    elif r.extended:
        said = "yes (Art. 12(3): two further months)"
    elif not r.extension_reason:
        return []
    else:
        said = "no"
    if r.extension_reason:
        said += f"; reason given: {r.extension_reason}"
    return [("Extension", said)]


def _rows(r: Request) -> str:
    sheets = list(dict.fromkeys(s for s, _ in r.rows))
    rows = ", ".join(str(n) for _, n in r.rows)
    if len(sheets) == 1:
        return f"{rows}" + (f'  (sheet "{sheets[0]}")' if sheets[0] else "")
    return "; ".join(f'sheet "{s}" row {n}' for s, n in r.rows)


def _sandbox(host: str) -> bool:
    """Whether the run went to a sandbox on this computer, not to CustomerGauge."""
    name = host.split(" ", 1)[0].rsplit(":", 1)[0].strip("[]")
    return "sandbox" in host or name in ("localhost", "::1") or name.startswith("127.")


def _on_time(r: Request) -> str:
    if r.on_time is None:
        return "no due date" if r.due is None else "-"
    days = abs(r.days_left or 0)
    plural = "" if days == 1 else "s"
    return {
        OnTime.YES: "yes: completed on or before the due date",
        OnTime.LATE: f"LATE: completed {_late(r)} after the due date",
        OnTime.OVERDUE: f"OVERDUE by {days} day{plural}",
        OnTime.DUE_SOON: f"due in {days} day{plural}",
        OnTime.OPEN: f"open: {days} day{plural} left",
    }[r.on_time]


def _late(r: Request) -> str:
    if r.due is None or not r.completed_at:
        return "after"
    days = (dt.date.fromisoformat(r.completed_at[:10]) - r.due).days
    return f"{days} day{'' if days == 1 else 's'}"


def _keys_table(pdf: _Pdf, r: Request) -> None:
    widths = (19, 44, 60, 14, 14, 23)
    heads = ("Type", "Key (masked)", "What happened", "Before", "After", "Finished (UTC)")
    pdf.set_font(FAMILY, "", 8.5)
    with pdf.table(
        col_widths=widths,
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT"),
        line_height=4.2,
        headings_style=_HEAD,
        padding=1,
        first_row_as_headings=True,
    ) as table:
        table.row(heads)
        for e in r.entries:
            o = e.outcome
            table.row(
                (
                    e.line.key_type.value if e.line.key_type else "-",
                    _safe(mask(e.line.key)) if e.line.key else "(none in the row)",
                    _safe(_result(e)),
                    _count(o.records_before),
                    _count(o.records_after),
                    _safe(_when(o.finished_at).replace(" UTC", "") or "-"),
                )
            )
    runs = sorted({e.outcome.run_id for e in r.entries if e.outcome.run_id})
    if runs:
        pdf.para(("Run: " if len(runs) == 1 else "Runs: ") + ", ".join(runs))


def _result(e: RequestKey) -> str:
    o, via = e.outcome, f" (sent for request {e.via})" if e.via else ""
    if o.status is Status.SUCCESS:
        if o.records_after == 0:
            return f"anonymized; none left afterwards{via}"
        return f"anonymized: the vendor's answer, not verified{via}"
    if o.code is Reason.GONE_UNVERIFIED:
        return f"no record held now; an earlier unverified request may have anonymized it{via}"
    if o.status is Status.NOT_FOUND:
        return f"no record held: nothing to anonymize{via}"
    if o.status is Status.READY:
        return "would be sent (dry run)"
    if o.status is Status.DUPLICATE:
        return "same key as another row: see that row"
    if e.line.key_type is None and not e.line.key:
        return "this row holds no email or telephone"
    why = MEANINGS[o.code] if o.code is not None else o.status.value
    return f"NOT done ({o.status.value}): {why}{via}"


def _count(n: int | None) -> str:
    return "-" if n is None else str(n)


def _when(iso: str) -> str:
    return iso.replace("T", " ").replace("Z", " UTC") if iso else ""


def _safe(text: str) -> str:
    """``text`` as written: every script has its font (``pdffonts``), and a character no
    font holds, or a control character, is printed by name (``UnicodePdf.normalize_text``)."""
    return text
