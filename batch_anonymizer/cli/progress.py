"""The progress bar on stderr (tqdm): the CLI's ``Progress`` for the worker pool, and its
``Steps`` for the certificates."""

from __future__ import annotations

from typing import Any

from tqdm import tqdm

from ..core.records import Outcome


class Bar:
    """A tqdm bar of keys; hidden with ``--no-progress`` or when stderr is not a terminal."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._bar: tqdm[Any] | None = None

    def start(self, total: int, unit: str = "key") -> None:
        """Draw a bar for ``total`` keys (or other things of ``unit``)."""
        self._bar = tqdm(
            total=total,
            unit=unit,
            disable=None if self.enabled else True,  # None: only on a terminal
            dynamic_ncols=True,
            smoothing=0.1,
        )

    def advance(self, outcome: Outcome, rate: float | None) -> None:
        """One key finished; show the lowered rate after a 429, if any."""
        if self._bar is None:
            return
        self._bar.update(1)
        if rate is not None:
            self._bar.set_postfix_str(f"rate {rate:g}/s", refresh=False)

    def step(self) -> None:
        """One more thing made (a certificate)."""
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        """Finish the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
