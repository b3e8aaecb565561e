"""The sandbox: a local simulator of the CustomerGauge v4.1 anonymize API.

An ``aiohttp.web`` app on 127.0.0.1 with an in-memory contact store. It answers
exactly as the vendor documents (see ``docs/sandbox.md``), can misbehave on cue
(``sandbox_faults.Faults``) and keeps a request log that tests read::

    POST /v4.1/anonymize.{json,xml}            anonymize every record of one key
    GET  /v4.1/anonymize.{json,xml}?email=...  read-only pre-check: matching records
    POST /oauth2/token                         OAuth2 client credentials
    POST /redirect/v4.1/anonymize.{json,xml}   307 to ``Sandbox.redirect_to``

Three ways to run it: ``start_sandbox`` in the caller's event loop,
``SandboxThread`` in a background thread (tests), ``serve`` blocking (CLI).
The sandbox never logs or echoes a secret: the log records only which kind of
``Authorization`` came (``api_key``, ``bearer``, ``none``...).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from urllib.parse import parse_qsl

from aiohttp import web

from ..core.errors import UsageError
from .auth import DEFAULT_TOKEN_TTL, Credentials
from .faults import NORMAL, Faults, FaultState
from .requestlog import LogEntry, RequestLog
from .store import Contact, ContactStore
from .wire import (
    MSG_BAD_EMAIL,
    MSG_BAD_KEY,
    MSG_BAD_PHONE,
    MSG_NO_KEY,
    MSG_NO_RECORDS,
    SUCCESS,
    answer,
    error,
    listing_body,
    perform,
    plausible,
)

__all__ = ["Faults", "LogEntry", "Sandbox", "SandboxThread", "serve", "start_sandbox"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_CLOSING = web.AppKey("closing", asyncio.Event)


class Sandbox:
    """The simulated API: contacts, credentials, tokens, faults and the request log."""

    def __init__(
        self,
        *,
        api_key: str = "sandbox-demo-key",
        client_id: str = "sandbox-client",
        client_secret: str = "sandbox-demo-secret",  # noqa: S107 - a fixed demo secret
        faults: Faults | None = None,
        clock: Callable[[], float] = time.time,
        log_path: Path | None = None,
    ) -> None:
        token_ttl = faults.token_ttl if faults is not None else DEFAULT_TOKEN_TTL
        self._auth = Credentials(api_key, client_id, client_secret, token_ttl)
        self.faults = faults
        self.clock = clock
        self.redirect_to: str | None = None  # where /redirect/... points; None: localhost
        self._state = FaultState(faults) if faults is not None else None
        self._no_match_error = faults is None or faults.no_match == "error"
        self._store = ContactStore(faults.seed if faults is not None else 0)
        self._log = RequestLog(log_path)

    @property
    def api_key(self) -> str:
        """The API key this sandbox accepts."""
        return self._auth.api_key

    @property
    def client_id(self) -> str:
        """The OAuth2 client id this sandbox accepts."""
        return self._auth.client_id

    # -- the store -------------------------------------------------------------

    @property
    def contacts(self) -> list[Contact]:
        """Every record ever added, in order (anonymized ones included)."""
        return self._store.contacts

    def add_contact(
        self,
        *,
        email: str | None = None,
        telephone: str | None = None,
        first_name: str = "",
        last_name: str = "",
    ) -> None:
        """Add one customer record; it can be found by its email and/or telephone."""
        self._store.add(
            email=email, telephone=telephone, first_name=first_name, last_name=last_name
        )

    def seed(self, emails: Iterable[str], telephones: Iterable[str]) -> None:
        """Add one contact per email and one per telephone."""
        self._store.seed(emails, telephones)

    def find(self, key_type: str, key: str) -> list[Contact]:
        """The records (not yet anonymized) that ``key`` matches."""
        return self._store.find(key_type, key)

    def anonymize(self, key_type: str, key: str) -> int:
        """Overwrite every record of ``key`` as the vendor does; return how many."""
        return self._store.anonymize(key_type, key)

    # -- the log ---------------------------------------------------------------

    @property
    def log(self) -> list[LogEntry]:
        """Every request received, in order of arrival."""
        return self._log.entries

    @property
    def log_path(self) -> Path | None:
        """The JSON-lines file each request is also written to (``None``: none)."""
        return self._log.path

    @log_path.setter
    def log_path(self, path: Path | None) -> None:
        self._log.path = path

    def _record(self, entry: LogEntry) -> None:
        self._log.record(entry)

    def posts(self) -> list[LogEntry]:
        """The anonymize POSTs received, in order of arrival."""
        return self._log.posts()

    def posts_for(self, key: str) -> list[LogEntry]:
        """The anonymize POSTs for ``key``, matched as the store matches keys."""
        return self._log.posts_for(key)

    def close(self) -> None:
        """Close the log file (it is reopened if more requests come)."""
        self._log.close()

    # -- the app ---------------------------------------------------------------

    def make_app(self) -> web.Application:
        """A fresh ``aiohttp`` application serving this sandbox's state."""
        app = web.Application()
        app[_CLOSING] = asyncio.Event()

        async def on_shutdown(app: web.Application) -> None:
            app[_CLOSING].set()  # releases held ("hanging") answers at once

        async def on_cleanup(app: web.Application) -> None:
            self.close()

        app.on_shutdown.append(on_shutdown)
        app.on_cleanup.append(on_cleanup)
        r = app.router
        for fmt in ("json", "xml"):
            r.add_post(f"/v4.1/anonymize.{fmt}", self._handler(self._anonymize_post, fmt))
            r.add_get(f"/v4.1/anonymize.{fmt}", self._handler(self._anonymize_get, fmt))
            r.add_post(f"/redirect/v4.1/anonymize.{fmt}", self._handler(self._redirect, fmt))
        r.add_post("/oauth2/token", self._token)
        return app

    @staticmethod
    def _handler(
        fn: Callable[[web.Request, str], Awaitable[web.StreamResponse]], fmt: str
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await fn(request, fmt)

        return handle

    def _check(self, request: web.Request) -> tuple[str, bool]:
        """(kind of credentials, whether they are valid). Never returns the secret."""
        query_key = request.query.get("api_key") if request.method == "GET" else None
        got = self._auth.check(
            request.headers.get("Authorization"), query_key=query_key, now=self.clock()
        )
        return got.kind, got.valid

    async def _anonymize_post(self, request: web.Request, fmt: str) -> web.StreamResponse:
        t = self.clock()
        if request.content_type in (
            "application/x-www-form-urlencoded",
            "application/octet-stream",
            "",
        ):
            fields = dict(parse_qsl((await request.read()).decode("utf-8", "replace"), True))
        else:
            fields = {k: str(v) for k, v in (await request.post()).items()}
        return await self._serve_key(request, fmt, t, fields)

    async def _anonymize_get(self, request: web.Request, fmt: str) -> web.StreamResponse:
        return await self._serve_key(request, fmt, self.clock(), dict(request.query))

    async def _serve_key(
        self, request: web.Request, fmt: str, t: float, fields: dict[str, str]
    ) -> web.StreamResponse:
        email = fields.get("email", "")
        phone = fields.get("telephone", "")
        problem: tuple[str, int] | None = None
        if email.strip() and phone.strip():
            key_type, key, problem = "both", f"{email} {phone}", MSG_NO_KEY
        elif email.strip():
            key_type, key = "email", email
            problem = None if _EMAIL.match(email.strip()) else MSG_BAD_EMAIL
        elif phone.strip():
            key_type, key = "telephone", phone
            problem = None if any(c.isdigit() for c in phone) else MSG_BAD_PHONE
        else:
            key_type, key, problem = "", "", MSG_NO_KEY
        auth, auth_ok = self._check(request)
        is_post = request.method == "POST"

        def log(status: int, outcome: str, records: int = 0) -> None:
            self._record(
                LogEntry(
                    t, request.method, request.path, key_type, key, status, outcome, records, auth
                )
            )

        step = NORMAL
        state = self._state
        if state is not None:
            delay = state.latency()
            if delay > 0:
                await asyncio.sleep(delay)
            retry_after = state.rate_limited(self.clock())
            if retry_after is not None:
                log(429, "rate_limited")
                headers = {"Retry-After": retry_after} if retry_after else None
                return plausible(fmt, 429, headers)
            if is_post:
                step = state.decide(key if key_type in ("email", "telephone") else None)
            if step.kind != "normal":
                valid = auth_ok and problem is None
                return await perform(
                    request,
                    fmt,
                    step,
                    log=log,
                    process=lambda: self.anonymize(key_type, key) if valid else 0,
                    hang=state.faults.hang,
                    closing=request.app[_CLOSING],
                    now=self.clock(),
                )

        if not auth_ok:
            log(401, "unauthorized")
            return error(fmt, 401, MSG_BAD_KEY)
        if problem is not None:
            log(400, "bad_request")
            return error(fmt, 400, problem)
        if not is_post:
            found = self.find(key_type, key)
            log(200, "precheck", len(found))
            return answer(fmt, 200, listing_body(fmt, [c.listing() for c in found]))
        n = self.anonymize(key_type, key)
        if n:
            log(200, "anonymized", n)
            return answer(fmt, 200, SUCCESS[fmt])
        if self._no_match_error:
            log(400, "no_match")
            return error(fmt, 400, MSG_NO_RECORDS)
        log(200, "no_match")
        return answer(fmt, 200, SUCCESS[fmt])

    async def _redirect(self, request: web.Request, fmt: str) -> web.StreamResponse:
        auth, _ = self._check(request)
        target = self.redirect_to
        if target is None:
            # Same server, other host name: a client that follows it would carry
            # Authorization to "another host", and the log would show it.
            sockname = request.transport.get_extra_info("sockname") if request.transport else None
            port = sockname[1] if sockname else request.url.port
            target = f"http://localhost:{port}/v4.1/anonymize.{fmt}"
        self._record(LogEntry(self.clock(), "POST", request.path, "", "", 307, "redirect", 0, auth))
        return web.Response(status=307, headers={"Location": target})

    async def _token(self, request: web.Request) -> web.StreamResponse:
        t = self.clock()
        fields = dict(parse_qsl((await request.read()).decode("utf-8", "replace"), True))
        got = self._auth.token_request(
            fields, request.headers.get("Authorization"), now=self.clock()
        )
        self._record(
            LogEntry(
                t,
                "POST",
                request.path,
                "client_id",
                got.client_id,
                got.status,
                got.outcome,
                0,
                got.how,
            )
        )
        return web.json_response(dict(got.body), status=got.status, headers=dict(got.headers))


# -- running it ---------------------------------------------------------------


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
