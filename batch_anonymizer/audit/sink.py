"""A file the workbook writer may hold on to after a failure, without harm."""

from __future__ import annotations

from typing import IO


class Sink:
    """Forwards writes to ``out`` until ``detach``; afterwards every call does nothing.

    xlsxwriter writes the workbook through a ``zipfile.ZipFile`` over the file
    it is given. When a write fails (a full disk) that ZipFile stays alive in
    the exception's traceback and, once collected, tries to finish the
    archive on a file that is closed by then: "Exception ignored in
    ZipFile.__del__" and a traceback on the user's screen, after the one
    clear line. Detached, the sink swallows those late calls.
    """

    def __init__(self, out: IO[bytes]) -> None:
        self._out: IO[bytes] | None = out

    def detach(self) -> None:
        """From now on, do nothing: the real file is the caller's again."""
        self._out = None

    def write(self, data: bytes) -> int:
        return self._out.write(data) if self._out is not None else len(data)

    def tell(self) -> int:
        return self._out.tell() if self._out is not None else 0

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._out.seek(offset, whence) if self._out is not None else 0

    def seekable(self) -> bool:
        return True

    def flush(self) -> None:
        if self._out is not None:
            self._out.flush()

    def close(self) -> None:
        """Never closes the real file: its owner does."""
