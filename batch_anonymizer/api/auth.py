"""Credentials: an API key, or OAuth2 client credentials with a cached token.

Neither ever shows its secret: not in ``repr``, not in a message.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import aiohttp

from ..core.errors import HaltError
from .bounded import read_bounded


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
    """OAuth2 client credentials: token fetched, cached, refreshed before expiry."""

    REFRESH_MARGIN = 300.0  # refresh this many seconds before the token runs out

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        token_url: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
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
        host = urlsplit(self._url).netloc
        try:
            async with session.post(self._url, data=form, allow_redirects=False) as resp:
                body, _ = await read_bounded(resp, MAX_TOKEN_ANSWER)
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
        try:
            doc = json.loads(body) if body.count(b"{") + body.count(b"[") <= 32 else None
            token = str(doc["access_token"]) if isinstance(doc, dict) else ""
            ttl = float(doc.get("expires_in", 3600)) if isinstance(doc, dict) else 0.0
        except (ValueError, KeyError, TypeError, RecursionError):
            token, ttl = "", 0.0
        if not token or not token.isprintable() or not 0 < ttl < 10 * 365 * 86400:
            raise HaltError(
                f"the OAuth2 token endpoint {host} answered HTTP {status} without a usable "
                "token; check --oauth-token-url"
            )
        self._retire()
        self._token = token
        self._expires = self._clock() + ttl
        self.fetched += 1


Auth = ApiKeyAuth | OAuth2Auth

#: The most bytes of a token answer read (a token answer is a few hundred bytes).
MAX_TOKEN_ANSWER = 64 * 1024
