"""Ctrl-C and SIGTERM during a run: the CLI's business, not the library's.

The first signal stops the run cleanly (``RunControl.stop``): nothing new is
sent, requests in flight finish, the rest is ``pending``, the report is
written, and the exit code is 128 + the signal. A second signal leaves at
once: the journal is flushed first (it is append-only, and the report is
written atomically, so what is on disk stays consistent).

The report is written inside the event loop, so a signal that arrives while it
is being written waits until the report, its csv and the manifest are complete;
the run had ended by then, and the exit code is the run's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..app import RunControl

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_with_signals(main: Callable[[RunControl], Awaitable[T]]) -> T:
    """Run ``main(control)`` in a new event loop with SIGINT and SIGTERM wired to ``control``."""
    control = RunControl()

    def on_signal(signum: int) -> None:
        if control.signum is not None:
            control.emergency()
            os._exit(128 + signum)
        name = signal.Signals(signum).name
        control.stop(f"interrupted by {name}", signum=signum)
        # A stop for another reason (a breaker) must not swallow the second signal.
        if control.signum is None:
            control.signum = signum

    async def wrapped() -> T:
        loop = asyncio.get_running_loop()
        for signum in SIGNALS:
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            return await main(control)
        finally:
            for signum in SIGNALS:
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(signum)

    return asyncio.run(wrapped())
