"""Credentials: an API key, or OAuth2 client credentials with a cached token.

Neither ever shows its secret: not in ``repr``, not in a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..core.errors import HaltError
from .body import DUPLICATE, load_json
from .bounded import read_bounded
from .endpoint import check_url
from .proxy import route_for
from .scrub import Redactor


class ApiKeyAuth:
    """``Authorization: api_key KEY``. The key is kept out of repr and messages."""

    def __init__(self, key: str) -> None:
        self._key = key
        self._redactor = Redactor((key,))

    def __repr__(self) -> str:
        return "ApiKeyAuth(<hidden>)"

    async def header(self, session: aiohttp.ClientSession) -> str:
        return f"api_key {self._key}"

    def invalidate(self, header: str = "") -> bool:
        return False  # nothing to refresh: a 401 is final

    def secrets(self) -> tuple[str, ...]:
        """What must never be written anywhere (answers are cleaned of it)."""
        return (self._key,)

    def redact(self, body: bytes) -> bytes:
        """``body`` with every echo of the key cut out."""
        return self._redactor.redact(body)


class OAuth2Auth:
    """OAuth2 client credentials: token fetched, cached, refreshed before expiry.

    A token is refreshed once ``REFRESH_AT`` of its life has passed (counted
    from when it was asked for), so a token of 300 s is used for 240 s: at
    most one token per ``REFRESH_AT * expires_in`` seconds, whatever the
    ``expires_in``. That refresh runs beside the requests, which go on with
    the token still alive (waiting for it would hold every worker and then
    release them at once, a burst above the rate); only a request with no
    token alive waits. A refresh that fails is tried again halfway to the
    token's end; a token that runs out with none to follow halts the run
    (``HaltError``). A 401 retires only the token its request was sent with,
    so many requests refused at once fetch one new token, not one each. The
    token request takes a slot of the run's rate limit (``pace``), like any
    other request. Every token ever used is kept in the ``Redactor`` for the
    whole run: an answer that quotes one, however old, is cleaned of it.

    The token answer is read up to ``MAX_TOKEN_ANSWER`` bytes and trusted only
    when it is a JSON object with one ``access_token`` of visible ASCII (it
    goes into a header) and, if given, an ``expires_in`` of at most 10 years;
    anything else halts the run with one line (``HaltError``), never a traceback.
    """

    #: the part of a token's life after which a new one is fetched
    REFRESH_AT = 0.8

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        token_url: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_url(token_url, "--oauth-token-url")  # the client secret is sent there
        self._id = client_id
        self._secret = client_secret
        self._url = token_url
        self._clock = clock
        self._token = ""
        self._refresh_at = 0.0
        self._expires = 0.0
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None
        # The client secret and every token of the run: an answer to a request sent
        # with an early token may come back long after it was replaced.
        self._redactor = Redactor((client_secret,))
        self._pace: Callable[[], Awaitable[object]] | None = None
        self.fetched = 0  # how many tokens were fetched (tests read it)

    def __repr__(self) -> str:
        return f"OAuth2Auth(client_id={self._id!r}, secret=<hidden>)"

    def pace(self, acquire: Callable[[], Awaitable[object]] | None) -> None:
        """Wait for ``acquire`` (the run's rate limit) before each token request."""
        self._pace = acquire

    def invalidate(self, header: str = "") -> bool:
        """Forget the token after a 401, so the next header fetches a new one.

        ``header``: the ``Authorization`` the refused request was sent with;
        when the token has been replaced since, the new one is kept.
        """
        if not header or header == f"Bearer {self._token}":
            self._token = ""
        return True

    def secrets(self) -> tuple[str, ...]:
        """What must never be written anywhere: the client secret and every token used."""
        return self._redactor.secrets()

    def redact(self, body: bytes) -> bytes:
        """``body`` with every echo of the client secret and of every token of the run cut."""
        return self._redactor.redact(body)

    async def header(self, session: aiohttp.ClientSession) -> str:
        """``Bearer TOKEN``: the token alive (refreshed beside when due), else a new one."""
        now = self._clock()
        if self._token and now < self._expires:
            if now >= self._refresh_at and (self._refreshing is None or self._refreshing.done()):
                self._refreshing = asyncio.create_task(self._refresh(session))
            return f"Bearer {self._token}"
        async with self._lock:  # no token alive: wait for one (a refresh under way, or ours)
            if not self._token or self._clock() >= self._expires:
                await self._fetch(session)
        return f"Bearer {self._token}"

    async def aclose(self) -> None:
        """Stop a refresh under way (the session it uses is closing)."""
        task, self._refreshing = self._refreshing, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _refresh(self, session: aiohttp.ClientSession) -> None:
        async with self._lock:
            now = self._clock()
            if now < self._refresh_at or not self._token:
                return  # done meanwhile (a 401's fetch): nothing to do
            try:
                await self._fetch(session)
            except HaltError:
                # The token still lives: try again halfway to its end; once it has run
                # out, a request fetches in the foreground and halts with the message.
                self._refresh_at = now + max(0.0, self._expires - now) / 2

    async def _fetch(self, session: aiohttp.ClientSession) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._id,
            "client_secret": self._secret,
        }
        parts = urlsplit(self._url)
        host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        route = route_for(self._url)
        if self._pace is not None:
            await self._pace()
        asked = self._clock()  # the token's life is counted from here, not from the answer
        try:
            async with session.post(
                self._url,
                data=form,
                allow_redirects=False,
                proxy=route.proxy,
                proxy_headers=route.headers or None,
            ) as resp:
                body, oversized = await read_bounded(resp, MAX_TOKEN_ANSWER)
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise HaltError(
                f"could not reach the OAuth2 token endpoint {host} ({type(exc).__name__}); "
                "check the network and --region / --oauth-token-url, then retry"
            ) from None
        if status in (400, 401, 403):
            raise HaltError(
                f"the OAuth2 token endpoint {host} refused the client credentials (HTTP {status}); "
                "check --oauth-client-id and the client secret"
            )
        token, ttl, problem = _read_token(status, body, oversized)
        if problem:
            raise HaltError(
                f"the OAuth2 token endpoint {host} answered HTTP {status} without a usable "
                f"token ({problem}); check --oauth-token-url"
            )
        self._redactor.add(token)  # before it is used: no answer can quote it unknown
        self._token = token
        self._refresh_at = asked + self.REFRESH_AT * ttl
        self._expires = asked + ttl
        self.fetched += 1


Auth = ApiKeyAuth | OAuth2Auth

#: The most bytes of a token answer read (a token answer is a few hundred bytes).
MAX_TOKEN_ANSWER = 64 * 1024
#: A token goes into a header: visible ASCII only (RFC 6750's b64token and more), bounded.
_TOKEN = re.compile(r"[\x21-\x7e]{1,8192}")
#: The longest life a token may claim (longer is no answer of a token endpoint).
_MAX_TTL = 10 * 365 * 86400.0


def _read_token(status: int, body: bytes, oversized: bool) -> tuple[str, float, str]:
    """The token and its life in seconds from a token answer, or why it cannot be used."""
    if not 200 <= status < 300:
        return "", 0.0, "not a success status"
    if oversized:
        return "", 0.0, f"an answer over {MAX_TOKEN_ANSWER // 1024} KB"
    doc = load_json(body)
    if doc is DUPLICATE:
        return "", 0.0, "a key named twice"
    if not isinstance(doc, dict):
        return "", 0.0, "not a JSON object, or nested too deep"
    token = doc.get("access_token")
    if not isinstance(token, str) or _TOKEN.fullmatch(token) is None:
        return "", 0.0, "no access_token of visible ASCII characters"
    ttl: Any = doc.get("expires_in", 3600)
    seconds = 0.0
    if isinstance(ttl, int | float | str) and not isinstance(ttl, bool):
        try:
            seconds = float(ttl)
        except (ValueError, OverflowError):  # "soon"; an integer of 400 digits
            seconds = 0.0
    if not (math.isfinite(seconds) and 0 < seconds <= _MAX_TTL):
        return "", 0.0, "an expires_in that is not a number of seconds up to 10 years"
    return token, seconds, ""
