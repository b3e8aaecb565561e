"""Unicode fonts for the certificates: every script of the input, as written, in the PDF.

The certificates once used fpdf2's built-in Helvetica, which holds Windows-1252 only:
``γιώργος@example.com`` printed as ``<U+03B3>...``. ``UnicodePdf`` embeds OFL fonts
instead, a chain fpdf2 falls back along, character by character:

1. Fira Sans (Latin, Greek, Cyrillic), regular and bold: the ``fontpkg-fira-sans``
   package, a dependency (static faces: instancing a variable font such as Noto Sans
   took 1-2 s of CPU per process);
2. IBM Plex Sans Arabic: ``fontpkg-ibm-plex-sans-arabic``, a dependency; Arabic (and any
   right-to-left text) is shaped with HarfBuzz (``uharfbuzz``, a dependency) so its
   letters join and run right to left (Noto Sans Arabic draws a letter's dots as a glyph
   of their own, which the PDF's text layer then reads as a stray character);
3. the font files given with ``--font`` (any script the others lack), then a CJK
   font: Noto Sans CJK SC from ``noto-cjk-sans-otc`` (the ``cjk`` extra: 15 MB,
   too big for everyone), else one the system has (fontconfig, then the usual
   Windows, macOS and Linux folders);
4. for any other character, a font fontconfig finds that holds it.

A font is added to a document only when its text needs it, and each font is read,
measured and instanced once per process (``_Prototype``): a certificate copies it and
embeds only the glyphs it uses. A character no font holds is never dropped nor shown
as a code point: it is written as its Unicode name in brackets (``[GRINNING FACE]``)
and listed in ``UnicodePdf.unshown``, which the run reports (``NO_GLYPH``).
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import io
import logging
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

#: The family the certificates are set in (regular "" and bold "B").
FAMILY = "firasans"
#: The code of the Needs attention line for a character no font holds.
NO_GLYPH = "no_glyph"
#: What to install for the scripts the dependencies do not cover.
CJK_HINT = 'pip install "batch-anonymizer[cjk]" (Chinese, Japanese, Korean)'

_STYLES = {"": 400, "B": 700}

# fontTools says a dozen INFO lines per font it subsets, every certificate: not what
# --verbose (logging at INFO) is for
logging.getLogger("fontTools").setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class _Source:
    """A font file: its path, its face in a collection, and whether it is variable."""

    path: Path
    index: int = 0


def _fontpkg(family: str, weight: int = 400) -> _Source | None:
    try:
        import fontpkg

        return _Source(Path(fontpkg.path(family, weight)))
    except Exception:  # not installed, or a broken package: the chain goes on without it
        return None


def _cjk_package() -> _Source | None:
    """Noto Sans CJK SC (face 2 of the collection) from the ``cjk`` extra's package."""
    try:
        path = Path(str(importlib.resources.files("noto_cjk_sans_otc"))) / "NotoSansCJK-Regular.ttc"
    except (ImportError, TypeError):
        return None
    return _Source(path, 2) if path.is_file() else None


#: Where systems keep a CJK font, when fontconfig is not there to ask (Windows, macOS).
_SYSTEM_CJK = (
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("C:/Windows/Fonts/simsun.ttc", 0),
    ("C:/Windows/Fonts/YuGothR.ttc", 0),
    ("C:/Windows/Fonts/malgun.ttf", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("/System/Library/Fonts/STHeiti Light.ttc", 0),
    ("/Library/Fonts/Arial Unicode.ttf", 0),
    ("/System/Library/Fonts/Supplemental/Arial Unicode.ttf", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)


def _system_font_for(char: str) -> _Source | None:
    """A font on this system that holds ``char``: fontconfig's answer, else none."""
    fc = shutil.which("fc-match")
    if fc is None:
        return None
    try:
        done = subprocess.run(
            [fc, "-f", "%{file}\t%{index}", f":charset={ord(char):x}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    file, _, index = done.stdout.partition("\t")
    if done.returncode != 0 or not file:
        return None
    return _Source(Path(file), int(index) if index.isdigit() else 0)


def _system_cjk() -> _Source | None:
    for name, index in _SYSTEM_CJK:
        if Path(name).is_file():
            return _Source(Path(name), index)
    return _system_font_for("王")


class _Prototype:
    """One font face read and measured once per process; ``install`` gives a document its
    own copy (its own subset, its own fontTools object to subset at the end)."""

    def __init__(self, family: str, style: str, source: _Source) -> None:
        scratch = FPDF()
        scratch.add_font(family, style, source.path, collection_font_number=source.index)
        font = scratch.fonts[f"{family.lower()}{style}"]
        assert isinstance(font, TTFFont)
        self.data, self.index = source.path.read_bytes(), source.index
        font._hbfont = None
        self.font = font
        self.cmap: frozenset[int] = frozenset(font.cmap)
        self.metrics: dict[str, tuple[int, int]] = dict(font.ttfont["hmtx"].metrics)

    @functools.cached_property
    def hbfont(self) -> Any:
        """The HarfBuzz font shaping text in this face (shared: HarfBuzz only reads it)."""
        import uharfbuzz as hb
        from fpdf.fonts import HarfBuzzFont

        return HarfBuzzFont(hb.Face(hb.Blob(self.data), self.index))

    def install(self, pdf: FPDF) -> str:
        """Add this face to ``pdf``, as ``add_font`` would, without reading the file again;
        return its font key."""
        font = copy.copy(self.font)
        font.i = len(pdf.fonts) + 1
        ttfont = ttLib.TTFont(
            io.BytesIO(self.data),
            recalcTimestamp=False,
            recalcBBoxes=False,
            fontNumber=self.index,
            lazy=True,
        )
        # tables fpdf2 drops from the embedded subset anyway (layout: HarfBuzz has shaped
        # the text already) or that only vary the default outlines: deleted unread, as
        # reading them costs most of a certificate's time
        for tag in _UNUSED:
            if tag in ttfont:
                del ttfont[tag]
        # the embedded subset is reached by glyph (fpdf2 maps codes to glyph ids), so its
        # cmap is left empty, and the advance widths are copied from those read once:
        # decoding both tables anew took most of a CJK certificate's time
        cmap = ttLib.newTable("cmap")
        cmap.tableVersion, cmap.tables = 0, []
        ttfont["cmap"] = cmap
        hmtx = ttLib.newTable("hmtx")
        hmtx.metrics = dict(self.metrics)
        ttfont["hmtx"] = hmtx
        font.ttfont = ttfont
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        font._hbfont = self.hbfont if pdf.text_shaping is not None else None
        pdf.fonts[font.fontkey] = font
        if font.is_cff and font.is_cid_keyed:
            pdf._set_min_pdf_version("1.6")
        return str(font.fontkey)


_UNUSED = (
    "GSUB",
    "GPOS",
    "GDEF",
    "BASE",
    "JSTF",
    "MATH",
    "gvar",
    "HVAR",
    "MVAR",
    "VVAR",
    "fvar",
    "avar",
    "STAT",
    "cvar",
    "kern",
    "DSIG",
    "hdmx",
    "LTSH",
    "VDMX",
)


@functools.cache
def _prototype(family: str, style: str) -> _Prototype | None:
    """The face of ``family`` (``FAMILY``, ``arabic``, ``cjk`` or a file path) in
    ``style``, loaded once per process; None when it is not installed or cannot be read."""
    if family == FAMILY:
        source = _fontpkg("Fira Sans", _STYLES[style])
    elif family == "arabic":
        source = _fontpkg("IBM Plex Sans Arabic")
    elif family == "cjk":
        source = _cjk_package() or _system_cjk()
    else:
        path, _, index = family.rpartition("#")
        source = _Source(Path(path), int(index))
    if source is None:
        return None
    try:
        return _Prototype(family, style, source)
    except Exception as e:  # a font file fpdf2 cannot read: the next in the chain serves
        print(f"batch-anonymizer: cannot use the font {source.path} ({e})", file=sys.stderr)
        return None


@functools.cache
def _system_family(char: str) -> str | None:
    """The family name (``path#index``) of a system font that holds ``char``, if any."""
    source = _system_font_for(char)
    if source is None or source.path.suffix.lower() not in (".ttf", ".otf", ".ttc", ".otc"):
        return None
    family = f"{source.path}#{source.index}"
    proto = _prototype(family, "")
    if proto is None or ord(char) not in proto.cmap or not _outlines(proto):
        return None
    return family


def _outlines(proto: _Prototype) -> bool:
    """Whether a face draws with outlines (a colour-bitmap emoji font draws nothing here)."""
    tables = proto.font.ttfont.keys()
    return "glyf" in tables or "CFF " in tables or "CFF2" in tables


#: Characters that need HarfBuzz: right-to-left letters, and marks that combine.
_SHAPED_BIDI = frozenset({"R", "AL", "AN", "NSM"})
#: Unassigned, private-use and surrogate code points: no system font is asked for them.
_NO_FONT = frozenset({"Cn", "Co", "Cs"})
_CJK_RANGES = ((0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF))


class UnicodePdf(FPDF):
    """An A4 ``FPDF`` set in ``FAMILY``, falling back to the other scripts' fonts as its
    text needs them. ``unshown`` maps each character no font holds to what was printed."""

    def __init__(self, fonts: tuple[Path, ...] = ()) -> None:
        super().__init__(format="A4")
        self.unshown: dict[str, str] = {}
        self._given = tuple(f"{path}#0" for path in fonts)  # --font: tried before the rest
        self._fallbacks: list[str] = []
        self._protos: dict[str, _Prototype] = {}
        self._checked: set[str] = set()
        for style in _STYLES:
            proto = _prototype(FAMILY, style)
            if proto is None:
                raise RuntimeError(
                    "the Fira Sans font is not installed: reinstall batch-anonymizer "
                    "(pip install --force-reinstall batch-anonymizer)"
                )
            self._protos[proto.install(self)] = proto
        self._main = self._protos[FAMILY].cmap

    def normalize_text(self, text: str) -> str:
        """``text`` as this document can print it: fonts added for the scripts it holds,
        shaping turned on for right-to-left text, a character no font holds named."""
        main = self._main
        if all(ord(ch) in main or ch in "\n\r\t" for ch in text):
            return text
        alias = self.str_alias_nb_pages
        if alias and alias in text:  # the page count fpdf2 writes in: kept as it is
            return alias.join(self.normalize_text(part) for part in text.split(alias))
        out = []
        for ch in text:
            if ch in self._checked or ord(ch) in main:
                out.append(ch)
                continue
            if ch in self.unshown:
                out.append(self.unshown[ch])
                continue
            if unicodedata.category(ch) == "Cc":
                if ch in "\n\r\t":
                    out.append(ch)
                    continue
                self.unshown[ch] = f"[control {ord(ch):04X}]"
                out.append(self.unshown[ch])
                continue
            if unicodedata.bidirectional(ch) in _SHAPED_BIDI and self.text_shaping is None:
                self._shape()
            if self._cover(ch):
                self._checked.add(ch)
                out.append(ch)
            else:
                name = unicodedata.name(ch, f"character {ord(ch):04X}")
                self.unshown[ch] = f"[{name}]"
                out.append(self.unshown[ch])
        return "".join(out)

    def _shape(self) -> None:
        # the certificate is an English (left-to-right) page: a cell that starts with an
        # Arabic letter (ف***@example.com) is still laid out left to right
        self.set_text_shaping(True, direction="ltr")
        for key, proto in self._protos.items():
            font = self.fonts[key]
            assert isinstance(font, TTFFont)
            font._hbfont = proto.hbfont

    def _cover(self, ch: str) -> bool:
        """Whether a font of the chain holds ``ch``, adding it to the document if so."""
        code = ord(ch)
        if any(code in proto.cmap for proto in self._protos.values()):
            return True
        if any(self._try(family, code) for family in self._given):
            return True
        cjk = any(lo <= code <= hi for lo, hi in _CJK_RANGES)
        for family in ("cjk", "arabic") if cjk else ("arabic", "cjk"):
            if self._try(family, code):
                return True
        if unicodedata.category(ch) in _NO_FONT:  # no font draws these: not looked for
            return False
        found = _system_family(ch)
        return found is not None and self._try(found, code)

    def _try(self, family: str, code: int) -> bool:
        proto = _prototype(family, "")
        if proto is None or code not in proto.cmap:
            return False
        if family not in self._fallbacks:
            self._protos[proto.install(self)] = proto
            self._fallbacks.append(family)
            self.set_fallback_fonts(self._fallbacks, exact_match=False)
        return True


def font_problem(path: Path) -> str:
    """Why ``path`` cannot serve as a certificate font ("" when it can)."""
    if not path.is_file():
        return "no such file"
    try:
        font = ttLib.TTFont(path, fontNumber=0, lazy=True)
        font.getBestCmap()
    except Exception as e:  # fontTools raises many kinds for a file that is no font
        return f"not a font it can read ({type(e).__name__})"
    if not font.getBestCmap():
        return "it maps no character"
    return ""


def missing_note(certificate: str, unshown: dict[str, str]) -> str:
    """The Needs attention line for the characters a certificate could not show."""
    chars = ", ".join(f"{ch!r} as {shown}" for ch, shown in list(unshown.items())[:5])
    more = f" and {len(unshown) - 5} more" if len(unshown) > 5 else ""
    return (
        f"{NO_GLYPH}: {certificate} holds characters no installed font has ({chars}{more}); "
        f"they are printed by name. Install a font that has them (for Chinese, Japanese, "
        f"Korean: {CJK_HINT}) and run `batch-anonymizer certificates REPORT` again"
    )
