"""Stage 5, the audit: the report workbook and its csv twin, safe cells, manifest, handover.

Its face, the modules the other stages may import (``__all__``): ``report``
(write a report), ``reportread`` (read one back), ``manifest`` (write and
verify), ``summary_words`` (the report's counts), ``requests_sheet``,
``cellsafe`` (cells a spreadsheet will not run), ``handover`` (the pseudonymised
copy), ``certificate_pdf`` / ``certificate_folder`` (the PDFs), ``pdffonts``
(their fonts, and what no font could show), ``drafts`` (the reply drafts) and
``redactcommit`` / ``redactfiles`` / ``redactkeys`` (``redact``). The others
(``workbook``, ``styles``, ``summary_sheet``, ``pagesetup``, ``readback``,
``reply``, ``replytemplates``, ``leftovers``, ``limits``, ``sink``, ``spool``,
``tally``) are internal to the stage and may change. Only the top-level
``batch_anonymizer`` package is the supported library face.
"""

__all__ = [
    "cellsafe",
    "certificate_folder",
    "certificate_pdf",
    "drafts",
    "handover",
    "manifest",
    "pdffonts",
    "redactcommit",
    "redactfiles",
    "redactkeys",
    "report",
    "reportread",
    "requests_sheet",
    "summary_words",
]
