"""Shared by every stage: the records that flow between them, the exception tree, codes, time.

Every module here is the face of ``core`` (``__all__``): the records
(``records``, ``job``, ``lines``, ``requests``), a report's lines made as they
are read (``reportlines``), an input's rows kept as
columns (``table``), a request's decision in the
register's words (``decision``) and the due-date rule's wording
(``jurisdiction``), the codes (``codes``, ``protocol``), the exception tree
(``errors``), a key's identity (``identity``), and small shared tools
(``files``, ``text``, ``timefmt``, ``gcpause``, ``version``). ``core`` imports
no other stage. Only the top-level ``batch_anonymizer`` package is the
supported library face.
"""

__all__ = [
    "codes",
    "decision",
    "errors",
    "files",
    "gcpause",
    "identity",
    "job",
    "jurisdiction",
    "lines",
    "protocol",
    "records",
    "reportlines",
    "requests",
    "table",
    "text",
    "timefmt",
    "version",
]
