"""Credentials: an API key, or OAuth2 client credentials with a cached token.

Neither ever shows its secret: not in ``repr``, not in a message.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..core.errors import HaltError
from .body import DUPLICATE, load_json
from .bounded import read_bounded
from .endpoint import check_url
from .proxy import route_for


class ApiKeyAuth:
    """``Authorization: api_key KEY``. The key is kept out of repr and messages."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "ApiKeyAuth(<hidden>)"

    async def header(self, session: aiohttp.ClientSession) -> str:
        return f"api_key {self._key}"

    def invalidate(self) -> bool:
        return False  # nothing to refresh: a 401 is final

    def secrets(self) -> tuple[str, ...]:
        """What must never be written anywhere (answers are cleaned of it)."""
        return (self._key,)


class OAuth2Auth:
    """OAuth2 client credentials: token fetched, cached, refreshed before expiry.

    The token answer is read up to ``MAX_TOKEN_ANSWER`` bytes and trusted only
    when it is a JSON object with one ``access_token`` of visible ASCII (it
    goes into a header) and, if given, an ``expires_in`` of at most 10 years;
    anything else halts the run with one line (``HaltError``), never a traceback.
    """

    REFRESH_MARGIN = 300.0  # refresh this many seconds before the token runs out

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
        self._expires = 0.0
        self._lock = asyncio.Lock()
        # Tokens handed out before: an answer to a request sent with one may come back
        # after the token was replaced, and must be cleaned of it too.
        self._earlier: list[str] = []
        self.fetched = 0  # how many tokens were fetched (tests read it)

    def __repr__(self) -> str:
        return f"OAuth2Auth(client_id={self._id!r}, secret=<hidden>)"

    def invalidate(self) -> bool:
        """Forget the token after a 401, so the next header fetches a new one."""
        self._retire()
        return True

    def _retire(self) -> None:
        if self._token:
            self._earlier = [self._token, *self._earlier][:8]
        self._token = ""

    def secrets(self) -> tuple[str, ...]:
        """What must never be written anywhere: the client secret and every token used."""
        return tuple(s for s in (self._secret, self._token, *self._earlier) if s)

    async def header(self, session: aiohttp.ClientSession) -> str:
        async with self._lock:
            if not self._token or self._clock() >= self._expires - self.REFRESH_MARGIN:
                await self._fetch(session)
        return f"Bearer {self._token}"

    async def _fetch(self, session: aiohttp.ClientSession) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._id,
            "client_secret": self._secret,
        }
        parts = urlsplit(self._url)
        host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        route = route_for(self._url)
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
        self._retire()
        self._token = token
        self._expires = self._clock() + ttl
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
