"""What a sheet's rows leave behind as they are written, so that they are made only once.

A large report's rows are made as they are read (``core.reportlines``), and
making them (the requests above all) costs more than writing them. The Rows
and Requests sheets are written first; as each row goes into its sheet it is
also written here: as csv text, byte for byte the csv twin it becomes (copied
into the twin's file afterwards), and, for the Register sheet, as a pickled
row read back once. The spool files live in a private (0700) folder beside the
report, xlsxwriter's own files beside them, and go with it (a killed run's is
removed as xlsxwriter's folder always was: ``leftovers``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

from ..core.errors import ReportError
from ..core.files import REWRITE_REPORT, private_dir
from .cellsafe import neutralise, neutralise_row
from .workbook import CellValue

Write = Callable[[IO[bytes]], None]


def csv_writer(header: Sequence[str], rows: Sequence[Sequence[CellValue]]) -> Write:
    """What writes a csv twin: UTF-8 with a BOM, every value neutralised (``cellsafe``)."""

    def write(f: IO[bytes]) -> None:
        t = _text(f)
        try:
            w = csv.writer(t)
            w.writerow([neutralise(h) for h in header])
            w.writerows(neutralise_row(row) for row in rows)
            t.flush()
        finally:
            t.detach()  # the caller fsyncs and closes f

    return write


def _text(f: IO[bytes]) -> io.TextIOWrapper:
    # BOM: Excel then opens the file as UTF-8. surrogatepass: never fail on odd text.
    return io.TextIOWrapper(f, encoding="utf-8-sig", errors="surrogatepass", newline="")


class CsvSpool:
    """A csv twin written row by row as its sheet is (``add``); ``writer`` copies it into
    the twin's file, or, if the sheet did not pass every row here, writes it anew."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        self._f = path.open("xb")
        self._t = _text(self._f)
        self._w = csv.writer(self._t)
        self._w.writerow([neutralise(h) for h in header])
        self.rows = 0

    def add(self, row: Sequence[CellValue]) -> None:
        """One more row of the twin."""
        self._w.writerow(neutralise_row(row))
        self.rows += 1

    def writer(self, header: Sequence[str], rows: Sequence[Sequence[CellValue]]) -> Write:
        """What writes the twin of ``rows``: the spooled text when it holds them all."""
        anew = csv_writer(header, rows)

        def write(f: IO[bytes]) -> None:
            self._t.flush()
            if self.rows != len(rows):
                anew(f)
                return
            with self.path.open("rb") as spooled:
                shutil.copyfileobj(spooled, f, 1 << 20)

        return write

    def close(self) -> None:
        """Close the spool file (its folder is removed by ``spool_folder``); a failure to
        flush it (a full disk) has been raised by then, or does not matter."""
        with contextlib.suppress(ValueError, OSError):
            self._t.close()


class RowSpool:
    """Rows kept on disk as they pass (``add``), read back in order (``read``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._f = path.open("xb")
        self.rows = 0

    def add(self, row: Sequence[CellValue]) -> None:
        """One more row."""
        pickle.dump(row, self._f, protocol=pickle.HIGHEST_PROTOCOL)
        self.rows += 1

    def read(self) -> Iterator[Sequence[CellValue]]:
        """The rows added, in order."""
        self._f.flush()
        with self.path.open("rb") as f:
            for _ in range(self.rows):
                yield pickle.load(f)  # noqa: S301 (our own file, in our private folder)

    def close(self) -> None:
        """Close the spool file."""
        with contextlib.suppress(OSError):
            self._f.close()


@contextlib.contextmanager
def spool_folder(beside: Path, prefix: str) -> Iterator[Path]:
    """A private (0700) folder ``<prefix><random>`` in ``beside`` (made 0700 if missing),
    removed afterwards. Raises ``ReportError`` when it cannot be made."""
    try:
        private_dir(beside)
        made = tempfile.TemporaryDirectory(prefix=prefix, dir=beside)
    except OSError as e:
        raise ReportError(
            f"cannot write in {beside} ({e.strerror or e}); free some disk space or choose "
            f"another folder, {REWRITE_REPORT}"
        ) from e
    with made as folder:
        yield Path(folder)
