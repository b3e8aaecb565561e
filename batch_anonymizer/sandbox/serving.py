"""Running the sandbox: in the caller's event loop, in a thread, or until a signal.

``start_sandbox`` serves in the running loop (``batch-anonymizer run
--sandbox``), ``SandboxThread`` from a background thread with its own loop
(tests), ``serve`` blocks until SIGINT or SIGTERM (``batch-anonymizer
sandbox``). All three bind to a loopback address only: the sandbox is for
this machine, and its demo credentials are printed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import signal
import threading
from collections.abc import Callable

from aiohttp import web

from ..core.errors import UsageError
from .vendor import Sandbox


def _check_loopback(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UsageError(f"the sandbox binds to a loopback address only (127.0.0.1), not {host!r}")


async def start_sandbox(
    sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Serve ``sandbox`` in the running loop; return the runner and the base URL.

    Stop it with ``await runner.cleanup()``. ``port=0`` picks a free port.
    """
    _check_loopback(host)
    runner = web.AppRunner(sandbox.make_app(), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise UsageError(
            f"the sandbox cannot listen on {host}:{port} ({exc.strerror}); choose another --port"
        ) from None
    bound = runner.addresses[0][1]
    shown = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown}:{bound}"


class SandboxThread:
    """A ``Sandbox`` served from a background thread with its own event loop.

    Use as a context manager (or ``start()`` / ``stop()``); ``url`` is the base
    URL once started, ``sandbox`` the state tests read.
    """

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> None:
        _check_loopback(host)
        self.sandbox = sandbox
        self.url = ""
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> SandboxThread:
        """Start serving; return once the port is bound (or raise why it could not)."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="sandbox", daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the sandbox thread did not start within 30 s")
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            runner, self.url = loop.run_until_complete(
                start_sandbox(self.sandbox, self._host, self._port)
            )
        except BaseException as exc:  # handed to the starting thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            _cancel_all(loop)
            loop.close()

    def stop(self) -> None:
        """Stop serving (held answers are released) and wait for the thread."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(30)
        self.sandbox.close()

    def __enter__(self) -> SandboxThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def serve(
    sandbox: Sandbox,
    port: int,
    *,
    ready: Callable[[str], None] | None = None,
    host: str = "127.0.0.1",
) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly. ``ready(url)`` once listening."""

    async def main() -> None:
        runner, url = await start_sandbox(sandbox, host, port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        signals = (signal.SIGINT, signal.SIGTERM)
        for signum in signals:
            loop.add_signal_handler(signum, stop.set)
        try:
            if ready is not None:
                ready(url)
            await stop.wait()
        finally:
            for signum in signals:
                loop.remove_signal_handler(signum)
            await runner.cleanup()
            sandbox.close()

    asyncio.run(main())
