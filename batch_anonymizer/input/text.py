"""Delimited text (.csv/.tsv/.txt) into a grid: decoding, delimiter sniffing, splitting.

Text files go through the stdlib csv module: it keeps blank lines (row
numbers), ragged rows and quoted newlines exactly. Text without any quote
character is split with ``str.split`` instead, which gives the same rows about
4x faster; ``load_table`` pauses the cyclic garbage collector while rows are
built (``gcpause``). 1M rows load in ~2 s here (was ~8.5 s).
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from ..core.errors import InputError
from .grid import MAX_ROWS, MAX_TEXT_BYTES, Grid, SplitLines, too_many_rows

DELIMITERS = (",", ";", "\t", "|")


def read_text(path: Path, encoding: str | None, delimiter: str | None) -> Grid:
    """The rows of a delimited text file, every field as text, blank lines as ``[]``.

    ``encoding`` and ``delimiter`` override detection (``"\\t"`` and ``tab``
    mean a tab). Raises ``InputError`` for text that cannot be read.
    """
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise InputError(
            f"{path.name} is {size:,} bytes, more than the {MAX_TEXT_BYTES >> 20:,} MiB this tool "
            "reads from a text file; split it into smaller files",
            path=str(path),
        )
    text = _decode(path.read_bytes(), encoding, path)
    if "\x00" in text:
        raise InputError(
            f"{path.name} holds binary data, not text; give a CSV or a workbook",
            path=str(path),
        )
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff(text)
    elif delimiter in ("\\t", "tab", "TAB"):
        delimiter = "\t"
    if len(delimiter) != 1:
        raise InputError(f'--delimiter must be one character, not "{delimiter}"', path=str(path))
    lines = plain_lines(text, delimiter)
    if lines is not None:
        del text  # a file's text is never held twice
        if len(lines) > MAX_ROWS:
            too_many_rows(path)
        return SplitLines(lines, delimiter)  # each line split when the framer takes it
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        grid = list(reader)
    except csv.Error as e:
        raise InputError(
            f"{path.name} line {reader.line_num} cannot be read as CSV ({e}); "
            "check its quotes or export it again",
            path=str(path),
        ) from None
    if len(grid) > MAX_ROWS:
        too_many_rows(path)
    return grid


def _decode(data: bytes, encoding: str | None, path: Path) -> str:
    if encoding:
        codec = text_codec(encoding, path)
        try:
            return data.decode(codec).lstrip("\ufeff")
        except UnicodeError as e:  # UnicodeDecodeError, and the bare kind some codecs raise
            where = f" (byte {e.start})" if isinstance(e, UnicodeDecodeError) else ""
            raise InputError(
                f"{path.name} is not valid {encoding}{where}; "
                "try --encoding utf-8, utf-16 or cp1252",
                path=str(path),
            ) from None
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[3:].decode("utf-8")
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
    except UnicodeDecodeError:
        raise InputError(
            f"{path.name} starts with a Unicode marker but is not valid Unicode text; "
            "export it again as CSV UTF-8",
            path=str(path),
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Windows-1252 leaves five bytes undefined; latin-1 maps them, so no input fails.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


# Codecs Python lists as text encodings that encode something else: domain labels.
_NOT_FOR_FILES = frozenset({"idna", "punycode"})
# A file's text must survive the codec both ways: headers, an address, a telephone.
_PROBE = "Email,Telephone\r\nann@example.com;+44 7700 900123\r\n"


def text_codec(encoding: str, path: Path | None = None) -> str:
    """The codec name of ``--encoding``, when it is a text encoding that reads files.

    Raises ``InputError`` (exit 2, nothing sent) for a name Python does not know,
    a codec that is not a text encoding (``hex``, ``base64``, ``rot13``, ``uu``,
    ``zlib_codec``), one that cannot encode and decode text (``undefined``) and
    the domain-label codecs (``idna``, ``punycode``).
    """
    where = str(path) if path is not None else None
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError):  # ValueError: a name with a NUL in it
        raise InputError(
            f'unknown encoding "{encoding}"; try utf-8, utf-16 or cp1252', path=where
        ) from None
    usable = info._is_text_encoding and info.name not in _NOT_FOR_FILES
    if usable:
        try:
            usable = codecs.decode(codecs.encode(_PROBE, info.name), info.name) == _PROBE
        except (UnicodeError, ValueError, TypeError, LookupError):
            usable = False
    if not usable:
        raise InputError(
            f'"{encoding}" is not an encoding of text files; try utf-8, utf-16 or cp1252',
            path=where,
        )
    return info.name


def _sniff(text: str) -> str:
    """The delimiter that splits the first lines into the most equal, widest rows."""
    sample = [ln for ln in text[:65536].splitlines()[:30] if ln.strip()]
    best, best_score = ",", (0, 0)
    for d in DELIMITERS:
        counts = [len(r) for r in csv.reader(sample, delimiter=d)]
        wide = [c for c in counts if c > 1]
        if not wide:
            continue
        mode = max(set(wide), key=wide.count)
        score = (wide.count(mode), mode)
        if score > best_score:
            best, best_score = d, score
    return best


def split_plain(text: str, delimiter: str) -> Grid | None:
    """The rows ``csv.reader`` gives for text without quotes, by ``str.split``, or None.

    Without a quote character a CSV field is the text between delimiters, so
    splitting lines then fields gives the same rows (a blank line is ``[]``, as
    csv gives it) about 4x faster. Text with quotes or a carriage return that
    does not end a line goes through the csv module. ``read_text`` splits each
    line when it is read (``SplitLines``); this splits them all.
    """
    lines = plain_lines(text, delimiter)
    return None if lines is None else list(SplitLines(lines, delimiter))


def plain_lines(text: str, delimiter: str) -> list[str] | None:
    """The lines of text that ``split_plain`` can split (None: the csv module must)."""
    if '"' in text or delimiter in '\r\n"':
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    lines = text.split("\n")
    if not lines[-1]:
        lines.pop()  # the newline that ends the last line starts no row
    return lines


def looks_like_text(path: Path) -> bool:
    """Whether the start of ``path`` is UTF-8 text holding one of the delimiters.

    Says "rename it to .csv" for a text file saved under a workbook's name.
    """
    with path.open("rb") as f:
        head = f.read(4096)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head and any(d.encode() in head for d in DELIMITERS)


def text_format(path: Path, encoding: str | None, delimiter: str | None) -> tuple[str, str]:
    """(encoding, delimiter) ``read_text`` reads ``path`` with: to write it back alike.

    The encoding is a Python codec name: ``utf-8-sig`` for UTF-8 with a BOM,
    ``utf-16`` (which writes its BOM) for UTF-16, else ``utf-8``, ``cp1252``
    or ``latin-1``, as detected (or ``encoding`` when given).
    """
    data = path.read_bytes()
    text = _decode(data, encoding, path)
    if encoding:
        codec = encoding
    elif data.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    else:
        codec = next(c for c in ("utf-8", "cp1252", "latin-1") if _decodes(data, c))
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff(text)
    elif delimiter in ("\\t", "tab", "TAB"):
        delimiter = "\t"
    return codec, delimiter


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True
