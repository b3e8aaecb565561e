"""The only module that speaks HTTP: one aiohttp session, one request per call.

``Sender`` is the extension point (a Protocol): the runner depends on it, the
tests may give it another implementation. ``HttpSender`` never follows
redirects, so the ``Authorization`` header can never travel to another host;
a redirect is reported as a failure instead.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol
from urllib.parse import urlencode, urlsplit

import aiohttp

from ..core.errors import HaltError, UsageError
from ..core.records import KeyType
from ..core.version import __version__
from .classify import Answer

REGIONS = ("eu", "us", "au")
API_VERSION = "v4.1"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go. ``base_url`` is scheme://host[:port] with no path."""

    base_url: str
    fmt: str = "json"  # json | xml
    region: str = ""
    token_url: str = ""  # OAuth2 token endpoint

    @classmethod
    def for_region(cls, region: str, fmt: str = "json") -> Endpoint:
        if region not in REGIONS:
            raise UsageError(f"unknown region {region!r}: use one of {', '.join(REGIONS)}")
        return cls(
            f"https://api.{region}.customergauge.com",
            fmt,
            region,
            f"https://auth.{region}.customergauge.com/oauth2/token",
        )

    @classmethod
    def for_base_url(cls, base_url: str, fmt: str = "json") -> Endpoint:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--base-url must look like https://host[:port], got {base_url!r}")
        base = f"{parts.scheme}://{parts.netloc}"
        return cls(base, fmt, "", f"{base}/oauth2/token")

    @property
    def url(self) -> str:
        return f"{self.base_url}/{API_VERSION}/anonymize.{self.fmt}"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def is_loopback(self) -> bool:
        host = urlsplit(self.base_url).hostname or ""
        return host in ("127.0.0.1", "localhost", "::1")


class Sender(Protocol):
    """Sends one anonymize request (or one pre-check) and returns what came back."""

    async def anonymize(self, key_type: KeyType, key: str) -> Answer: ...

    async def precheck(self, key_type: KeyType, key: str) -> Answer: ...


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
        self.fetched = 0  # how many tokens were fetched (tests read it)

    def __repr__(self) -> str:
        return f"OAuth2Auth(client_id={self._id!r}, secret=<hidden>)"

    def invalidate(self) -> bool:
        """Forget the token after a 401, so the next header fetches a new one."""
        self._token = ""
        return True

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
                body = await resp.read()
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
            doc = json.loads(body)
            token = str(doc["access_token"])
            ttl = float(doc.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise HaltError(
                f"the OAuth2 token endpoint {host} answered HTTP {status} without a token"
            ) from None
        self._token = token
        self._expires = self._clock() + ttl
        self.fetched += 1


Auth = ApiKeyAuth | OAuth2Auth


class HttpSender:
    """aiohttp implementation of ``Sender``. Use as an async context manager."""

    def __init__(
        self, endpoint: Endpoint, auth: Auth | None, *, timeout: float, connections: int
    ) -> None:
        self.endpoint = endpoint
        self.auth = auth
        self.timeout = timeout
        self._connections = max(1, connections)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HttpSender:
        connector = aiohttp.TCPConnector(
            limit=self._connections, limit_per_host=self._connections, ttl_dns_cache=300
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout, connect=min(self.timeout, 15.0)),
            headers={"User-Agent": f"batch-anonymizer/{__version__}"},
            raise_for_status=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def anonymize(self, key_type: KeyType, key: str) -> Answer:
        return await self._call("POST", key_type, key)

    async def precheck(self, key_type: KeyType, key: str) -> Answer:
        return await self._call("GET", key_type, key)

    async def _call(self, method: str, key_type: KeyType, key: str) -> Answer:
        answer = await self._once(method, key_type, key)
        # An expired OAuth2 token: fetch a new one and ask once more.
        if answer.status == 401 and self.auth is not None and self.auth.invalidate():
            answer = await self._once(method, key_type, key)
        return answer

    async def _once(self, method: str, key_type: KeyType, key: str) -> Answer:
        session = self._session
        if session is None:
            raise RuntimeError("HttpSender used outside 'async with'")
        headers = {
            "Accept": "application/xml" if self.endpoint.fmt == "xml" else "application/json"
        }
        if self.auth is not None:
            headers["Authorization"] = await self.auth.header(session)
        field = {key_type.value: key}
        params = field if method == "GET" else None
        data = None
        if method == "POST":  # pre-encoded: aiohttp's FormData costs ~5x more per request
            data = urlencode(field).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            async with session.request(
                method,
                self.endpoint.url,
                headers=headers,
                params=params,
                data=data,
                allow_redirects=False,
            ) as resp:
                body = await resp.read()
                return Answer(
                    resp.status,
                    body,
                    resp.headers.get("Content-Type", ""),
                    resp.headers.get("Retry-After"),
                )
        except aiohttp.ConnectionTimeoutError:
            return Answer(None, error="timeout while connecting", sent=False)
        except aiohttp.ClientConnectorError as exc:
            return Answer(
                None, error=f"connection refused or unreachable ({exc.os_error})", sent=False
            )
        except TimeoutError:
            return Answer(None, error="timeout")
        except aiohttp.ServerDisconnectedError:
            return Answer(None, error="server disconnected")
        except aiohttp.ClientPayloadError:
            return Answer(None, error="answer cut off")
        except aiohttp.ClientError as exc:
            return Answer(None, error=type(exc).__name__)
