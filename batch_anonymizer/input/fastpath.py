"""Fast paths for the two validation libraries, for the keys almost every file holds.

Each fast path decides only keys whose verdict it can give exactly as the
library would (tests/input/test_fastpath.py checks that with generated keys);
everything else returns ``None`` and goes through the library in ``validate``.

- ``plain_email``: a plain ASCII address that email-validator certainly
  accepts and normalises to the same text, so its normalised form is
  ``key.lower()``. email-validator spends ~40 us per address; this is one regex.
- ``plus_layout_digits`` + ``plus_number_valid``: a number written ``+`` and
  digits with spaces, ``-``, ``.``, ``/`` or parentheses between them.
  phonenumbers reads such a string as its digits alone, so the verdict is
  computed once per digit string, from the library's own metadata patterns
  compiled once, instead of ``parse`` + ``is_valid_number`` (~70 us, most of it
  re-looking up compiled patterns).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import compress
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES

if TYPE_CHECKING:
    import pyarrow as pa

# -- email -------------------------------------------------------------------------------

_ATEXT = r"A-Za-z0-9_!#$%&'*+\-/=?^`{|}~"  # RFC 5322 atext, as email_validator.rfc_constants
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # LDH, <= 63, no edge hyphen
_PLAIN_EMAIL = re.compile(
    rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*"  # dot-atom local part
    rf"@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{1,63}}",  # at least one dot, alphabetic TLD
    re.ASCII,
)
_SPECIAL = tuple(d.lower() for d in SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_TLDS = frozenset(d for d in _SPECIAL if "." not in d)
_SPECIAL_BELOW = tuple("." + d for d in _SPECIAL if "." in d)


def plain_email(key: str) -> bool:
    """True when email-validator accepts ``key`` and its normalised form, lowercased,
    is ``key.lower()``; False means "ask the library", not "invalid".

    Accepted: ASCII only, at most 254 characters, a dot-atom local part of at
    most 64, a domain of two or more LDH labels of at most 63 (no edge hyphen)
    with an alphabetic last label, no "--" anywhere (no Punycode, no reserved
    R-LDH label), and not a special-use domain (``.test``, ``.local`` ...) nor
    one below it.
    """
    if len(key) > 254 or "--" in key or _PLAIN_EMAIL.fullmatch(key) is None:
        return False
    at = key.index("@")
    if at > 64:
        return False
    domain = "." + key[at + 1 :].lower()
    if domain[domain.rindex(".") + 1 :] in _SPECIAL_TLDS:
        return False
    return not (_SPECIAL_BELOW and domain.endswith(_SPECIAL_BELOW))


# -- telephone: "+" and digits -------------------------------------------------------------

# "+" then digits and the separators people type. Longer than 250 characters the
# library refuses the string outright, so those go to it.
_PLUS_LAYOUT = re.compile(r"\+[0-9 ().\-/]{1,249}", re.ASCII)
_FRACTION = re.compile(r"\+\d+\.\d+", re.ASCII)  # Excel's 447911123456.5: not a layout
_SEPARATORS = str.maketrans("", "", "+ ().-/")


def plus_layout_digits(key: str) -> str | None:
    """The 5 to 15 digits of a ``+`` number written with common separators, else None."""
    if not _PLUS_LAYOUT.fullmatch(key) or _FRACTION.fullmatch(key):
        return None
    digits = key.translate(_SEPARATORS)
    return digits if 5 <= len(digits) <= 15 else None


def plus_number_valid(digits: str) -> bool | None:
    """What phonenumbers says of ``"+" + digits``, when this can tell exactly.

    True: possible and valid; False: possible, but in a range the library does
    not know. None: anything else (not possible, no country code, a trunk prefix
    the library would strip, a leading zero, a non-geographic code): ask the library.
    The normalised (E.164) form of a decided number is ``"+" + digits``.
    """
    if digits[0] == "0":
        return None  # the library retries such a string without its "+"
    for n in (1, 2, 3):  # the shortest prefix that is a country code, as parse() takes it
        code = int(digits[:n])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            country = country_of(code)
            return None if country is None else country.verdict(digits[n:])
    return None


_TYPES = (  # the descs phonenumbers._number_type_helper tries after general_desc
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
)


@dataclass(frozen=True, slots=True)
class _Region:
    """The parts of a region's metadata that decide whether a number is valid there.

    ``phonenumbers._number_type_helper(nsn, meta) != UNKNOWN`` holds when the
    general desc and at least one type desc match, a desc matching when its
    possible lengths allow ``len(nsn)`` (or it lists none) and its pattern
    matches all of ``nsn``. So, per length, one pattern decides: the general
    pattern as a lookahead, then the alternation of the type patterns that
    allow that length (the metadata patterns hold no backreferences or flags).
    Each length's pattern is compiled when first needed (a region has up to 16).
    """

    # length -> (general pattern, alternation of the type patterns); a length not here is
    # never valid. ``plusnumbers`` runs the two halves as they are (RE2 has no lookahead)
    parts: dict[int, tuple[str, str]]
    leading: re.Pattern[str] | None
    country_code: int
    compiled: dict[int, re.Pattern[str]]

    def known(self, nsn: str) -> bool:
        n = len(nsn)
        pattern = self.compiled.get(n)
        if pattern is None:
            parts = self.parts.get(n)
            if parts is None:
                return False
            pattern = self.compiled[n] = re.compile(rf"(?=(?:{parts[0]})\Z)(?:{parts[1]})")
        return pattern.fullmatch(nsn) is not None


def _allows(desc: Any, length: int) -> bool:
    return (
        desc is not None
        and bool(desc.national_number_pattern)
        and (not desc.possible_length or length in desc.possible_length)
    )


def _region(meta: Any) -> _Region:
    types = [getattr(meta, t) for t in _TYPES]
    if not meta.same_mobile_and_fixed_line_pattern:
        types.append(meta.mobile)  # the library looks at mobile only then
    parts: dict[int, tuple[str, str]] = {}
    general = meta.general_desc
    for length in range(2, 18):  # every national number length parse() lets through
        allowed = [d.national_number_pattern for d in types if _allows(d, length)]
        if _allows(general, length) and allowed:
            alternatives = "|".join(f"(?:{p})" for p in allowed)
            parts[length] = (general.national_number_pattern, alternatives)
    return _Region(
        parts,
        re.compile(meta.leading_digits) if meta.leading_digits is not None else None,
        meta.country_code,
        {},
    )


@dataclass(frozen=True, slots=True)
class Country:
    """A country calling code's metadata, as ``plus_number_valid`` reads it."""

    code: int
    prefix: re.Pattern[str] | None  # national_prefix_for_parsing of the main region
    lengths: tuple[int, ...]  # general_desc.possible_length of the main region
    local: tuple[int, ...]  # general_desc.possible_length_local_only
    regions: tuple[tuple[str, _Region | None], ...]

    def verdict(self, nsn: str) -> bool | None:
        if len(nsn) < 2 or nsn[0] == "0":
            return None  # too short, or Italian-style leading zeros
        if self.prefix is not None and self.prefix.match(nsn):
            return None  # parse() may strip a trunk prefix such as "(0)"
        if not self._possible(nsn):
            return None
        return self._valid(nsn)

    def possible_length(self, n: int) -> bool:
        """Whether a national number of ``n`` digits is possible (``_possible``)."""
        return self._possible("0" * n)

    def _possible(self, nsn: str) -> bool:
        """``phonenumbers._test_number_length`` is IS_POSSIBLE or IS_POSSIBLE_LOCAL_ONLY."""
        n = len(nsn)
        if n in self.local:
            return True
        if self.lengths[0] == n:
            return True
        if self.lengths[0] > n or self.lengths[-1] < n:
            return False
        return n in self.lengths[1:]

    def _valid(self, nsn: str) -> bool:
        """``phonenumbers.is_valid_number`` (region_code_for_number, then the region)."""
        chosen: _Region | None = None
        if len(self.regions) == 1:
            chosen = self.regions[0][1]
        else:
            for _, region in self.regions:
                if region is None:
                    continue
                if region.leading is not None:
                    if region.leading.match(nsn):
                        chosen = region
                        break
                elif region.known(nsn):
                    chosen = region
                    break
        if chosen is None or chosen.country_code != self.code:
            return False
        return chosen.known(nsn)


@cache
def country_of(code: int) -> Country | None:
    """The metadata of a country calling code, or None when the fast path leaves it alone
    (a code of no region, a non-geographic one, a region without possible lengths)."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
    if not regions or phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY in regions:
        return None
    main = phonenumbers.PhoneMetadata.metadata_for_region(regions[0], None)
    if main is None or main.general_desc is None or not main.general_desc.possible_length:
        return None
    prefix = main.national_prefix_for_parsing
    loaded = []
    for r in regions:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(r.upper(), None)
        loaded.append((r, _region(meta) if meta is not None else None))
    return Country(
        code,
        re.compile(prefix) if prefix else None,
        tuple(main.general_desc.possible_length),
        tuple(main.general_desc.possible_length_local_only),
        tuple(loaded),
    )


# -- the same fast paths over a column of distinct cells, vectorised ------------------------
#
# pyarrow's compute kernels (RE2) run the patterns above over a whole column at once.
# Each function answers for a cell exactly what the scalar path gives for it
# (tests/input/test_fastpath.py compares them on generated cells); the cells they
# do not decide go through the scalar path.


def _column(
    cells: Sequence[str], longest: int, arrow: pa.LargeStringArray | None = None
) -> tuple[pa.LargeStringArray, pa.BooleanArray]:
    """The cells as one arrow column, those longer than ``longest`` characters blanked (a
    huge cell is never a plain key, and no kernel should read it), and which were short.
    ``arrow``: the same cells already in arrow (not copied again)."""
    import pyarrow as pa  # imported with the first plan, not with the package
    import pyarrow.compute as pc

    if arrow is not None:
        fits = pc.less_equal(pc.utf8_length(arrow), longest)
        return pc.if_else(fits, arrow, pa.scalar("", pa.large_string())), fits

    # a huge cell is blanked before arrow copies it: a 350 MB cell costs nothing here
    short = [len(c) <= longest for c in cells]
    arr = pa.array([c if ok else "" for c, ok in zip(cells, short, strict=True)], pa.large_string())
    return arr, pa.array(short, type=pa.bool_())


def _whole(pattern: re.Pattern[str]) -> str:
    return f"^(?:{pattern.pattern})$"


def plain_email_cells(
    cells: Sequence[str], arrow: pa.LargeStringArray | None = None
) -> tuple[npt.NDArray[np.bool_], list[str]]:
    """Which cells are one plain email as written, and the normalised form of each of those.

    A cell is decided when ``email_keys(cell) == [cell]`` and ``plain_email(cell)``:
    its key is the cell itself and its normalised form ``cell.lower()`` (the second
    list, one item per decided cell, in order). ``arrow``: the cells as an arrow column.
    """
    import pyarrow.compute as pc

    arr, ok = _column(cells, 254, arrow)
    ok = pc.and_(ok, pc.match_substring_regex(arr, _whole(_PLAIN_EMAIL)))
    ok = pc.and_not(ok, pc.match_substring(arr, "--"))
    ok = pc.and_(ok, pc.less_equal(pc.find_substring(arr, "@"), 64))
    lower = pc.utf8_lower(arr)
    domain = pc.replace_substring_regex(lower, "^[^@]*@", ".")
    for d in _SPECIAL:
        ok = pc.and_not(ok, pc.ends_with(domain, "." + d))
    fast = ok.to_numpy(zero_copy_only=False)
    # a cell already in lower case is its own normalised form: the same string, not a
    # copy (a million addresses are ~70 MB of strings)
    norms = list(compress(cells, fast))
    changed = pc.filter(pc.not_equal(lower, arr), ok)
    lowered = pc.filter(pc.filter(lower, ok), changed).to_pylist()
    at = np.flatnonzero(changed.to_numpy(zero_copy_only=False)).tolist()
    for j, low in zip(at, lowered, strict=True):
        norms[j] = low
    return fast, norms


_PLUS_ENDS_WELL = re.compile(r"\+[0-9 ().\-/]*[0-9().\-/]", re.ASCII)  # nothing to trim


def plus_layout_cells(
    cells: Sequence[str], arrow: pa.LargeStringArray | None = None
) -> tuple[npt.NDArray[np.bool_], list[str], npt.NDArray[np.int32]]:
    """Which cells are one ``+`` number in a common layout as written, and their digits.

    A cell is taken when ``phone_keys(cell) == [cell]`` and ``plus_layout_digits(cell)``
    gives its digits. One number is often written in several layouts, so the digits
    come as the distinct digit strings and, per taken cell in order, the index of its
    own; whether a number is valid is still ``plus_number_valid``'s to say.
    ``arrow``: the cells as an arrow column.
    """
    import pyarrow.compute as pc

    arr, ok = _column(cells, 250, arrow)
    ok = pc.and_(ok, pc.match_substring_regex(arr, _whole(_PLUS_LAYOUT)))
    ok = pc.and_(ok, pc.match_substring_regex(arr, _whole(_PLUS_ENDS_WELL)))
    ok = pc.and_not(ok, pc.match_substring_regex(arr, _whole(_FRACTION)))
    digits = pc.replace_substring_regex(arr, "[^0-9]", "")
    n = pc.binary_length(digits)
    ok = pc.and_(ok, pc.and_(pc.greater_equal(n, 5), pc.less_equal(n, 15)))
    encoded = pc.dictionary_encode(pc.filter(digits, ok))
    return (
        ok.to_numpy(zero_copy_only=False),
        encoded.dictionary.to_pylist(),
        encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32),
    )
