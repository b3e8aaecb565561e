"""The report's lines made a chunk at a time, never all held: what a million-row report reads.

A run's report has a line per planned line (two million for a million-row
sheet), each the planned ``Line`` (its row's cells with it) and its
``Outcome``. Held as records they need gigabytes; ``ReportLines`` makes them
from the plan's lines and an outcome per line each time a stage reads them,
and ``Remade`` is any such sequence of values made again on each reading (the
report's rows, the requests). Both are ``Sequence``s, so every stage reads them
as it reads a tuple; the stages of a large report read each of them a few times,
straight through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar, overload

from .lines import Lines
from .records import Line, Outcome, ReportLine

T = TypeVar("T")
_CHUNK = 8_192  # lines made at once (with their rows' cells)


class Remade(Sequence[T]):
    """``length`` values made by ``make()`` each time they are read (straight through:
    an index or a slice reads from the start). ``teed(sink)``: the same values, each also
    given to ``sink`` when they are read through (not by an index or a slice)."""

    __slots__ = ("_length", "_make", "_sink")

    def __init__(
        self,
        length: int,
        make: Callable[[], Iterable[T]],
        sink: Callable[[T], object] | None = None,
    ) -> None:
        self._length = length
        self._make = make
        self._sink = sink

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[T]:
        if self._sink is None:
            return iter(self._make())
        return self._teed(self._sink)

    def _teed(self, sink: Callable[[T], object]) -> Iterator[T]:
        for value in self._make():
            sink(value)
            yield value

    def teed(self, sink: Callable[[T], object]) -> Remade[T]:
        """These values, each given to ``sink`` as it is read through."""
        return Remade(self._length, self._make, sink)

    @staticmethod
    def of(values: Sequence[T]) -> Remade[T]:
        """``values`` as a ``Remade`` (itself if it is one)."""
        if isinstance(values, Remade):
            return values
        return Remade(len(values), lambda: values)

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            start, stop, step = i.indices(self._length)
            return list(islice(self._make(), start, stop, step))
        if i < 0:
            i += self._length
        if not 0 <= i < self._length:
            raise IndexError("index out of range")
        return next(islice(self._make(), i, None))


class ReportLines(Sequence[ReportLine]):
    """Every line of a report, in order: each planned line with ``outcome(line)``, made
    when read (a plan's ``Lines`` a chunk at a time), never all held at once."""

    __slots__ = ("lines", "outcome")

    def __init__(self, lines: Sequence[Line], outcome: Callable[[Line], Outcome]) -> None:
        self.lines = lines
        self.outcome = outcome

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self) -> Iterator[ReportLine]:
        outcome, lines = self.outcome, self.lines
        # a plan's lines in smaller chunks than its own: a report reads them several times,
        # beside everything a run still holds
        taken = lines.at(range(len(lines)), _CHUNK) if isinstance(lines, Lines) else lines
        for line in taken:
            yield ReportLine(line, outcome(line))

    @overload
    def __getitem__(self, i: int) -> ReportLine: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[ReportLine, ...]: ...
    def __getitem__(self, i: int | slice) -> ReportLine | tuple[ReportLine, ...]:
        if isinstance(i, slice):
            return tuple(self.taking(range(*i.indices(len(self)))))
        line = self.lines[i]
        return ReportLine(line, self.outcome(line))

    def taking(self, indices: Sequence[int]) -> Iterator[ReportLine]:
        """The lines at ``indices`` (positions), in that order."""
        lines, outcome = self.lines, self.outcome
        taken = (
            lines.at(indices, _CHUNK) if isinstance(lines, Lines) else (lines[i] for i in indices)
        )
        for line in taken:
            yield ReportLine(line, outcome(line))


def taking(lines: Sequence[ReportLine], indices: Sequence[int]) -> Iterator[ReportLine]:
    """The report lines at ``indices`` (positions) of ``lines``, in that order, each made
    when taken when ``lines`` are ``ReportLines``."""
    if isinstance(lines, ReportLines):
        return lines.taking(indices)
    return (lines[i] for i in indices)
