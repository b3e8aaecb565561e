"""Stage 1, input: read a spreadsheet, find its key columns, validate and dedupe the keys.

Its face, the modules the other stages may import (``__all__``): ``plan`` (a
file read into a ``Plan``), ``loader``, ``validate``, ``columns``, ``headers``,
``rowgate`` (which rows may be erased), ``book``, ``cells``, ``text``,
``dates`` / ``deadlines`` (the requests' dates), ``factorize`` (a column of
cells as numbers, for the stages above), ``columnar``, ``transcend`` (a Transcend pull
file) and ``zipcheck`` (a hostile zip). The others (``fastpath``,
``frame``, ``grid``, ``sheetscan``, ``odsscan``, ``xlscheck``, ``sniff``,
``cellkeys``, ``cellrefs``, ``emailfix``, ``requestkinds``, ``scripts``) are
internal to the stage and may change. Only ``input`` imports pandas and the
spreadsheet readers. Only the top-level ``batch_anonymizer`` package is the
supported library face.
"""

__all__ = [
    "book",
    "cells",
    "columnar",
    "columns",
    "dates",
    "deadlines",
    "factorize",
    "headers",
    "loader",
    "plan",
    "rowgate",
    "text",
    "transcend",
    "validate",
    "zipcheck",
]
