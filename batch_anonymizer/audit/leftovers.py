"""What writing a report leaves in its folder when killed midway, and its removal.

``report JOURNAL`` removes these before it writes (``app.rebuild``): temporary
files and xlsxwriter's folder may hold keys. Only those named for the report
being written are touched.
"""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

from ..core.errors import ReportError
from .manifest import CERTIFICATES_SUFFIX, REQUESTS_CSV
from .workbook import TMP_PREFIX


def _requests_csv(xlsx_path: Path) -> Path:
    return xlsx_path.with_name(xlsx_path.stem + REQUESTS_CSV)


def xlsxwriter_prefix(xlsx_path: Path) -> str:
    """The name start of the temporary folder xlsxwriter uses while writing ``xlsx_path``
    (in its folder): the report's name is in it, so ``report`` knows whose leftover it is."""
    return f"{TMP_PREFIX}{xlsx_path.name}."


_RANDOM = "?" * 8  # the random part of a name tempfile makes (mkstemp, mkdtemp)


def leftovers(xlsx_path: Path) -> list[Path]:
    """What writing the report ``xlsx_path`` leaves in its folder when killed midway.

    The temporary files of ``core.files.atomic_write`` (``.NAME.<random>.tmp``)
    for the .xlsx, the .csv, the .requests.csv and the manifest, the certificates
    folder's temporary name, and xlsxwriter's temporary folder
    (``.xlsxwriter.NAME.<random>``); they may hold keys. Only those named for
    this report: another report's, and older unnamed folders, are left alone.
    """
    folder = xlsx_path.parent
    names = (
        xlsx_path.name,
        xlsx_path.with_suffix(".csv").name,
        _requests_csv(xlsx_path).name,
        f"{xlsx_path.stem}.manifest.json",
        xlsx_path.stem + CERTIFICATES_SUFFIX,  # the certificates' folder, made under a temp name
    )
    patterns = [f".{glob.escape(name)}.{_RANDOM}.tmp" for name in names]
    patterns.append(glob.escape(xlsxwriter_prefix(xlsx_path)) + _RANDOM)
    found = {p for pattern in patterns for p in folder.glob(pattern)}
    return sorted(found)


def remove_leftovers(xlsx_path: Path) -> list[Path]:
    """Remove ``leftovers(xlsx_path)``; return what was removed.

    Raises ``ReportError`` when one cannot be removed.
    """
    removed = []
    for p in leftovers(xlsx_path):
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
        except OSError as e:
            raise ReportError(
                f"cannot remove {p}, left by a killed run ({e.strerror}); remove it by hand "
                "(it may hold keys), then run the command again"
            ) from e
        removed.append(p)
    return removed
