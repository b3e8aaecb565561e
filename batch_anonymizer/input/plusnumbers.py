"""The telephone fast path's verdicts for a column of distinct numbers, all at once.

``plus_number_valid`` decides one number in ~4 us of Python, and a 100,000-row
export holds ~90,000 distinct numbers: 0.4 s, a third of the plan. Here the
numbers are grouped by country calling code, and each metadata pattern runs
once over a group with arrow's kernels (RE2). A full match is a question of
which strings a pattern's language holds, so RE2 and ``re`` agree on it for
the metadata's patterns (digits, classes, groups, alternation, counts: no
backreferences or lookarounds); the lookahead ``_Region.known`` uses is
split into its two halves (``_Region.parts``). A group RE2 refuses (a pattern it
cannot compile) goes through ``plus_number_valid`` a number at a time.

Every verdict is the one ``plus_number_valid`` gives: tests/input/test_plusnumbers.py
compares them over every region's example numbers and variations of them, and
``fast_paths_agree`` checks a few again on the installed libraries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import phonenumbers

from .fastpath import Country, country_of, plus_number_valid

if TYPE_CHECKING:
    import pyarrow as pa

    from .fastpath import _Region

VALID, UNKNOWN_RANGE, ASK = 1, 0, -1  # a verdict: valid, in no known range, ask the library
_LONGEST = 15
# a country with fewer numbers than this goes number by number: the kernels cost ~1 ms a
# country, the scalar path ~4 us a number
SCALAR_BELOW = 64


def plus_number_verdicts(
    numbers: Sequence[str], *, scalar_below: int = SCALAR_BELOW
) -> npt.NDArray[np.int8]:
    """``plus_number_valid`` of each number (True 1, False 0, None -1), computed per group.

    ``numbers``: strings of 5 to 15 ASCII digits, as ``plus_layout_digits`` gives them.
    A country with fewer than ``scalar_below`` of them goes number by number.
    """
    import pyarrow as pa  # with the first plan, not with the package
    import pyarrow.compute as pc

    out = np.full(len(numbers), ASK, dtype=np.int8)
    if not numbers:
        return out
    arr = pa.array(numbers, pa.string())
    if not pc.all(pc.match_substring_regex(arr, f"^[0-9]{{5,{_LONGEST}}}$")).as_py():
        raise ValueError("plus_number_verdicts takes strings of 5 to 15 digits")
    # each number's digits as small integers (-48 past its end), to find its country code
    wide = np.array(numbers, dtype=f"<U{_LONGEST}")
    digit = wide.view("<u4").reshape(len(numbers), _LONGEST).astype(np.int16) - 48
    length = (digit >= 0).sum(axis=1)
    one = digit[:, 0]
    two = one * 10 + digit[:, 1]
    three = two * 10 + digit[:, 2]
    codes = np.zeros(1000, dtype=np.bool_)
    codes[[c for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE if 0 < c < 1000]] = True
    # the shortest prefix that is a code, as parse() takes it; a leading 0 is the library's
    code = np.where(codes[one], one, np.where(codes[two], two, np.where(codes[three], three, 0)))
    code[one == 0] = 0
    for c in np.unique(code[code > 0]).tolist():
        country = country_of(c)
        if country is None:
            continue
        at = np.flatnonzero(code == c)
        n = len(str(c))
        try:
            if len(at) >= scalar_below:
                nsn = pc.utf8_slice_codeunits(arr.take(at), n)
                out[at] = _verdicts(country, nsn, length[at] - n)
                continue
        except pa.ArrowInvalid:  # a pattern RE2 does not take: one number at a time
            pass
        scalar = [plus_number_valid(numbers[i]) for i in at.tolist()]
        out[at] = [ASK if v is None else int(v) for v in scalar]
    return out


def _verdicts(
    country: Country, nsn: pa.StringArray, length: npt.NDArray[np.int64]
) -> npt.NDArray[np.int8]:
    """``Country.verdict`` of each national number of one country."""
    out = np.full(len(nsn), ASK, dtype=np.int8)
    ok = (length >= 2) & ~_matches(nsn, "^0")  # too short, or Italian-style leading zeros
    if country.prefix is not None:  # parse() may strip a trunk prefix such as "(0)"
        ok &= ~_matches(nsn, f"^(?:{country.prefix.pattern})")
    possible = np.array([country.possible_length(k) for k in range(_LONGEST + 1)])
    ok &= possible[length]
    at = np.flatnonzero(ok)
    nsn, length = nsn.take(at), length[at]
    # region_code_for_number: the only region, or the first whose leading digits (or,
    # without them, whose numbers) match
    chosen = np.full(len(at), -1, dtype=np.int16)
    regions = country.regions
    if len(regions) == 1:
        chosen[:] = 0 if regions[0][1] is not None else -1
    else:
        for k, (_, region) in enumerate(regions):
            left = np.flatnonzero(chosen < 0)
            if not len(left):
                break
            if region is None:
                continue
            if region.leading is not None:
                hit = _matches(nsn.take(left), f"^(?:{region.leading.pattern})")
            else:
                hit = _known(region, nsn.take(left), length[left])
            chosen[left[hit]] = k
    valid = np.zeros(len(at), dtype=np.int8)  # no region, or another country's: not valid
    for k in np.unique(chosen[chosen >= 0]).tolist():
        region = regions[k][1]
        assert region is not None  # chosen only when loaded
        if region.country_code != country.code:
            continue
        mine = np.flatnonzero(chosen == k)
        valid[mine] = _known(region, nsn.take(mine), length[mine])
    out[at] = valid
    return out


def _known(
    region: _Region, nsn: pa.StringArray, length: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """``_Region.known`` of each number: the general and a type pattern of its length match."""
    hit = np.zeros(len(nsn), dtype=np.bool_)
    for n in np.unique(length).tolist():
        parts = region.parts.get(n)
        if parts is None:
            continue
        at = np.flatnonzero(length == n)
        some = nsn.take(at)
        general, types = parts
        hit[at] = _matches(some, f"^(?:{general})$") & _matches(some, f"^(?:{types})$")
    return hit


def _matches(arr: pa.StringArray, pattern: str) -> npt.NDArray[np.bool_]:
    import pyarrow.compute as pc

    found: npt.NDArray[np.bool_] = pc.match_substring_regex(arr, pattern).to_numpy(
        zero_copy_only=False
    )
    return found
