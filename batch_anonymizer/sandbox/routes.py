"""The sandbox's ``aiohttp`` application: its routes and request handlers.

::

    POST /v4.1/anonymize.{json,xml}            anonymize every record of one key
    GET  /v4.1/anonymize.{json,xml}?email=...  lookup (read-only): the records a POST would change
    POST /v6/system-admin/data-admin/contacts/anonymize
                                               the same in v6: a JSON body, Bearer tokens only
    POST /v4.1/lists/unsubscribe.{json,xml}    add an ``email`` to the unsubscribe (stop) list
    GET  /v4.1/lists/unsubscribe.{json,xml}    the list, 100 per page (``?page=N``, from 1)
    POST /oauth2/token                         OAuth2 client credentials
    POST /redirect/v4.1/anonymize.{json,xml}   307 to ``Sandbox.redirect_to``

A handler parses the request, asks the credentials, the fault state and the
store, records one log entry and answers. The order is documented (see
``docs/sandbox.md``): latency, the rate limit, then the script or the random
faults (``script`` and the POST rates for POSTs, ``lookup_script`` and the
``lookup_*`` rates for lookups), and only then authentication and validation,
so a scripted fault is answered even without a valid key, as a gateway would.
The v6 route shares all of it (store, faults, rate limit, credentials); it
reads its key from a JSON body (``keys.parse_v6_key``), lets in only a
Bearer token, and answers in the ``v6`` format of ``wire``.
``sticky`` is the vendor's own misbehaviour, not a gateway's: it applies only
to a request that passed authentication and validation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol
from urllib.parse import parse_qsl

from aiohttp import web

from .credentials import Credentials
from .faults import Faults, FaultState
from .keys import EMAIL, KeyRequest, parse_key, parse_v6_key
from .requestlog import LogEntry, RequestLog, key_form
from .steps import NORMAL
from .store import ContactStore
from .wire import (
    MSG_BAD_EMAIL,
    MSG_BAD_KEY,
    MSG_NO_EMAIL,
    MSG_NO_RECORDS,
    MSG_V6_UNAUTHORIZED,
    SUCCESS,
    UNSUBSCRIBED,
    answer,
    error,
    listing_body,
    perform,
    plausible,
)

__all__ = ["V6_PATH", "Backend", "KeyRequest", "make_app", "parse_key", "parse_v6_key"]

V6_PATH = "/v6/system-admin/data-admin/contacts/anonymize"
# Set on shutdown: releases answers a fault is holding ("hanging") at once.
_CLOSING = web.AppKey("closing", asyncio.Event)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Backend(Protocol):
    """What the routes read and change; ``Sandbox`` is the implementation.

    A Protocol so this module need not import the class that builds the app.
    ``clock`` and ``redirect_to`` are read on every request: a caller may
    replace them while the sandbox runs.
    """

    clock: Callable[[], float]
    redirect_to: str | None

    @property
    def v6_phone_field(self) -> str: ...

    @property
    def faults(self) -> Faults | None: ...

    @property
    def fault_state(self) -> FaultState | None: ...

    @property
    def credentials(self) -> Credentials: ...

    @property
    def store(self) -> ContactStore: ...

    @property
    def request_log(self) -> RequestLog: ...

    @property
    def unsubscribed(self) -> list[str]: ...

    def close(self) -> None: ...


def make_app(box: Backend) -> web.Application:
    """A fresh application serving ``box``; its cleanup closes ``box``'s log file."""
    app = web.Application()
    app[_CLOSING] = asyncio.Event()

    async def on_shutdown(app: web.Application) -> None:
        app[_CLOSING].set()

    async def on_cleanup(app: web.Application) -> None:
        box.close()

    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    handlers = _Handlers(box)
    r = app.router
    for fmt in ("json", "xml"):
        r.add_post(f"/v4.1/anonymize.{fmt}", _with_fmt(handlers.anonymize_post, fmt))
        r.add_get(f"/v4.1/anonymize.{fmt}", _with_fmt(handlers.anonymize_get, fmt))
        r.add_post(f"/redirect/v4.1/anonymize.{fmt}", _with_fmt(handlers.redirect, fmt))
        r.add_post(f"/v4.1/lists/unsubscribe.{fmt}", _with_fmt(handlers.unsubscribe, fmt))
        r.add_get(f"/v4.1/lists/unsubscribe.{fmt}", _with_fmt(handlers.unsubscribed, fmt))
    r.add_post(V6_PATH, handlers.anonymize_v6)
    r.add_post("/oauth2/token", handlers.token)
    return app


def _with_fmt(fn: Callable[[web.Request, str], Awaitable[web.StreamResponse]], fmt: str) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await fn(request, fmt)

    return handle


async def _form(request: web.Request) -> dict[str, str]:
    return dict(parse_qsl((await request.read()).decode("utf-8", "replace"), True))


class _Handlers:
    def __init__(self, box: Backend) -> None:
        self.box = box

    def _auth(self, request: web.Request) -> tuple[str, bool]:
        """(kind of credentials, whether they are valid). Never the secret."""
        query_key = request.query.get("api_key") if request.method == "GET" else None
        got = self.box.credentials.check(
            request.headers.get("Authorization"), query_key=query_key, now=self.box.clock()
        )
        return got.kind, got.valid

    async def anonymize_post(self, request: web.Request, fmt: str) -> web.StreamResponse:
        t = self.box.clock()
        if request.content_type in (
            "application/x-www-form-urlencoded",
            "application/octet-stream",
            "",
        ):
            fields = await _form(request)
        else:
            fields = {k: str(v) for k, v in (await request.post()).items()}
        return await self._serve_key(request, fmt, t, parse_key(fields))

    async def anonymize_get(self, request: web.Request, fmt: str) -> web.StreamResponse:
        return await self._serve_key(request, fmt, self.box.clock(), parse_key(dict(request.query)))

    async def anonymize_v6(self, request: web.Request) -> web.StreamResponse:
        t = self.box.clock()
        req = parse_v6_key(await request.read(), self.box.v6_phone_field)
        return await self._serve_key(request, "v6", t, req)

    async def _serve_key(
        self, request: web.Request, fmt: str, t: float, req: KeyRequest
    ) -> web.StreamResponse:
        box = self.box
        key_type, key = req.key_type, req.key
        form = key_form(key_type, key)
        auth, auth_ok = self._auth(request)
        if fmt == "v6":  # v6 takes OAuth2 tokens only: an API key is no credential there
            auth_ok = auth_ok and auth == "bearer"
        is_post = request.method == "POST"
        valid = auth_ok and req.problem is None

        def log(status: int, outcome: str, records: int = 0) -> None:
            box.request_log.record(
                LogEntry(
                    t,
                    request.method,
                    request.path,
                    key_type,
                    key,
                    status,
                    outcome,
                    records,
                    auth,
                    form,
                )
            )

        def work() -> tuple[int, bytes]:
            """The request's work, for the faults that do it and then fail."""
            if not is_post:
                found = box.store.find(key_type, key) if valid else []
                return len(found), listing_body(fmt, [r.listing() for r in found])
            return (box.store.anonymize(key_type, key) if valid else 0), SUCCESS[fmt]

        step = NORMAL
        state = box.fault_state
        if state is not None:
            delay = state.latency()
            if delay > 0:
                await asyncio.sleep(delay)
            retry_after = state.rate_limited(box.clock())
            if retry_after is not None:
                log(429, "rate_limited")
                headers = {"Retry-After": retry_after} if retry_after else None
                return plausible(fmt, 429, headers)
            named = key if key_type in ("email", "telephone") else None
            step = state.decide(named) if is_post else state.decide_lookup(named)
            if step.kind not in ("normal", "sticky"):
                return await perform(
                    request,
                    fmt,
                    step,
                    log=log,
                    process=work,
                    hang=state.faults.hang,
                    closing=request.app[_CLOSING],
                    now=box.clock(),
                )

        if not auth_ok:
            log(401, "unauthorized")
            return error(fmt, 401, MSG_V6_UNAUTHORIZED if fmt == "v6" else MSG_BAD_KEY)
        if req.problem is not None:
            log(400, "bad_request")
            return error(fmt, 400, req.problem)
        if not is_post:
            return self._lookup(fmt, key_type, key, log)
        if step.kind == "sticky":
            # The vendor says it worked and changed nothing.
            log(200, "sticky", 0)
            return answer(fmt, 200, SUCCESS[fmt])
        n = box.store.anonymize(key_type, key)
        if n:
            log(200, "anonymized", n)
            return answer(fmt, 200, SUCCESS[fmt])
        if box.faults is None or box.faults.no_match == "error":
            log(400, "no_match")
            return error(fmt, 400, MSG_NO_RECORDS)
        log(200, "no_match")
        return answer(fmt, 200, SUCCESS[fmt])

    def _lookup(
        self, fmt: str, key_type: str, key: str, log: Callable[[int, str, int], None]
    ) -> web.Response:
        """The lookup's answer: the live records ``key`` matches, changing nothing."""
        found = self.box.store.find(key_type, key)
        faults = self.box.faults
        status = faults.lookup_no_match_status if faults is not None else None
        if not found and status is not None:
            log(status, "no_match", 0)
            return error(fmt, status, MSG_NO_RECORDS)
        log(200, "lookup", len(found))
        return answer(fmt, 200, listing_body(fmt, [r.listing() for r in found]))

    async def unsubscribe(self, request: web.Request, fmt: str) -> web.StreamResponse:
        """Add ``email`` to the account's unsubscribe list (once; adding it again is a no-op)."""
        t = self.box.clock()
        email = (await _form(request)).get("email", "").strip()
        auth, auth_ok = self._auth(request)

        def log(status: int, outcome: str) -> None:
            entry = LogEntry(t, "POST", request.path, "email", email, status, outcome, 0, auth)
            self.box.request_log.record(entry)

        if not auth_ok:
            log(401, "unauthorized")
            return error(fmt, 401, MSG_BAD_KEY)
        down = self.box.faults.unsubscribe_status if self.box.faults is not None else None
        if down is not None:  # the list endpoint is down: nothing is listed
            log(down, "fault")
            return plausible(fmt, down)
        if not email:
            log(400, "bad_request")
            return error(fmt, 400, MSG_NO_EMAIL)
        if not EMAIL.match(email):
            log(400, "bad_request")
            return error(fmt, 400, MSG_BAD_EMAIL)
        listed = self.box.unsubscribed
        if email.lower() not in (e.lower() for e in listed):
            listed.append(email)
        log(200, "unsubscribed")
        return answer(fmt, 200, UNSUBSCRIBED[fmt])

    async def unsubscribed(self, request: web.Request, fmt: str) -> web.StreamResponse:
        """The unsubscribe list, 100 addresses per page."""
        auth, auth_ok = self._auth(request)
        entry = LogEntry(self.box.clock(), "GET", request.path, "", "", 200, "listed", 0, auth)
        if not auth_ok:
            self.box.request_log.record(replace(entry, status=401, outcome="unauthorized"))
            return error(fmt, 401, MSG_BAD_KEY)
        page = request.query.get("page", "1")
        start = (int(page) - 1) * 100 if page.isdigit() and int(page) > 0 else 0
        self.box.request_log.record(entry)
        rows = [{"email": e} for e in self.box.unsubscribed[start : start + 100]]
        return answer(fmt, 200, listing_body(fmt, rows))

    async def redirect(self, request: web.Request, fmt: str) -> web.StreamResponse:
        auth, _ = self._auth(request)
        target = self.box.redirect_to
        if target is None:
            # Same server, other host name: a client that follows it would carry
            # Authorization to "another host", and the log would show it.
            sockname = request.transport.get_extra_info("sockname") if request.transport else None
            port = sockname[1] if sockname else request.url.port
            target = f"http://localhost:{port}/v4.1/anonymize.{fmt}"
        entry = LogEntry(self.box.clock(), "POST", request.path, "", "", 307, "redirect", 0, auth)
        self.box.request_log.record(entry)
        return web.Response(status=307, headers={"Location": target})

    async def token(self, request: web.Request) -> web.StreamResponse:
        t = self.box.clock()
        fields = await _form(request)
        got = self.box.credentials.token_request(
            fields, request.headers.get("Authorization"), now=self.box.clock()
        )
        self.box.request_log.record(
            LogEntry(
                t=t,
                method="POST",
                path=request.path,
                key_type="client_id",
                key=got.client_id,
                status=got.status,
                outcome=got.outcome,
                auth=got.how,
            )
        )
        return web.json_response(dict(got.body), status=got.status, headers=dict(got.headers))
