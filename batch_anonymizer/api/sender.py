"""The only module that speaks HTTP: one aiohttp session, one request per call.

``Sender`` is the extension point (a Protocol): the runner depends on it, the
tests may give it another implementation. ``HttpSender`` never follows
redirects, so the ``Authorization`` header can never travel to another host;
a redirect is reported as a failure instead. It goes through the proxy the
environment names (``proxy.route_for``: ``HTTPS_PROXY``, ``NO_PROXY``; never
for loopback), reads at most ``MAX_ANSWER_BYTES`` of an answer, and cuts every
secret out of the body before anything reads it (``redact``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Protocol
from urllib.parse import quote_plus

import aiohttp

from ..core.records import KeyType
from ..core.version import __version__
from .auth import ApiKeyAuth, Auth, OAuth2Auth
from .bounded import read_bounded
from .classify import Answer, Transport
from .endpoint import Endpoint
from .proxy import DIRECT, Route, route_for
from .v6 import V6Call


class Sender(Protocol):
    """Sends one anonymize request (or one lookup) and returns what came back."""

    async def anonymize(self, key_type: KeyType, key: str) -> Answer: ...

    async def lookup(self, key_type: KeyType, key: str) -> Answer: ...

    async def unsubscribe(self, email: str) -> Answer:
        """Add ``email`` to the account's unsubscribe list (``--stop-list``)."""
        ...


class HttpSender:
    """aiohttp implementation of ``Sender``. Use as an async context manager."""

    def __init__(
        self,
        endpoint: Endpoint,
        auth: Auth | None,
        *,
        timeout: float,
        connections: int,
        v6: V6Call | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.auth = auth
        self.timeout = timeout
        self.v6 = v6  # anonymize with the v6 API (lookups stay the v4.1 GET)
        self._connections = max(1, connections)
        self._session: aiohttp.ClientSession | None = None
        self._route: Route = DIRECT
        self._accept = "application/xml" if endpoint.fmt == "xml" else "application/json"
        self._fixed: str | None = None  # an API key's header: it never changes

    async def __aenter__(self) -> HttpSender:
        self._route = route_for(self.endpoint.url)  # the token URL is routed by the auth
        connector = aiohttp.TCPConnector(
            limit=self._connections, limit_per_host=self._connections, ttl_dns_cache=300
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout, connect=min(self.timeout, 15.0)),
            headers={"User-Agent": f"batch-anonymizer/{__version__}"},
            raise_for_status=False,
            trust_env=False,  # proxies are read by route_for; aiohttp's would also read ~/.netrc
        )
        if isinstance(self.auth, ApiKeyAuth):  # made once, not awaited per request
            self._fixed = await self.auth.header(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(self.auth, OAuth2Auth):
            await self.auth.aclose()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def anonymize(self, key_type: KeyType, key: str) -> Answer:
        return await self._call("POST", key_type, key)

    async def lookup(self, key_type: KeyType, key: str) -> Answer:
        return await self._call("GET", key_type, key)

    async def unsubscribe(self, email: str) -> Answer:
        return await self._call("POST", KeyType.EMAIL, email, self.endpoint.unsubscribe_url)

    async def _call(
        self, method: str, key_type: KeyType, key: str, url: str | None = None
    ) -> Answer:
        answer, used = await self._once(method, key_type, key, url)
        # An expired OAuth2 token: fetch a new one (unless another request did) and ask once more.
        if answer.status == 401 and self.auth is not None and self.auth.invalidate(used):
            answer, _ = await self._once(method, key_type, key, url)
        return answer

    async def authorize(self) -> None:
        """Fetch the OAuth2 token now: a token endpoint that fails halts before any key is sent.

        Raises ``HaltError`` as ``OAuth2Auth.header`` does; no-op with an API key.
        """
        if self._session is None:
            raise RuntimeError("HttpSender used outside 'async with'")
        if isinstance(self.auth, OAuth2Auth):
            await self.auth.header(self._session)

    def pace_tokens(self, acquire: Callable[[], Awaitable[object]]) -> None:
        """Count each OAuth2 token request against the run's rate limit (``acquire``)."""
        if isinstance(self.auth, OAuth2Auth):
            self.auth.pace(acquire)

    async def _once(
        self, method: str, key_type: KeyType, key: str, url: str | None = None
    ) -> tuple[Answer, str]:
        session = self._session
        if session is None:
            raise RuntimeError("HttpSender used outside 'async with'")
        headers = {"Accept": self._accept}
        if self._fixed is not None:
            headers["Authorization"] = self._fixed
        elif self.auth is not None:
            headers["Authorization"] = await self.auth.header(session)
        return await self._request(session, method, key_type, key, url, headers), headers.get(
            "Authorization", ""
        )

    async def _request(
        self,
        session: aiohttp.ClientSession,
        method: str,
        key_type: KeyType,
        key: str,
        url: str | None,
        headers: dict[str, str],
    ) -> Answer:
        target = url or self.endpoint.url
        field = {key_type.value: key}
        params = field if method == "GET" else None
        data = None
        if method == "POST" and url is None and self.v6 is not None:  # the v6 anonymize call
            target, data = self.v6.url(self.endpoint), self.v6.body(key_type, key)
            headers["Content-Type"] = "application/json"
        elif method == "POST":  # pre-encoded: aiohttp's FormData costs ~5x more per request
            data = f"{key_type.value}={quote_plus(key)}".encode()  # = urlencode(field), faster
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            async with session.request(
                method,
                target,
                headers=headers,
                params=params,
                data=data,
                allow_redirects=False,
                proxy=self._route.proxy,
                proxy_headers=self._route.headers or None,
            ) as resp:
                body, oversized = await read_bounded(resp)
                return Answer(
                    resp.status,
                    self.auth.redact(body) if self.auth is not None else body,
                    resp.headers.get("Content-Type", ""),
                    resp.headers.get("Retry-After"),
                    oversized=oversized,
                )
        except aiohttp.ConnectionTimeoutError:
            return Answer(
                None, transport=Transport.CONNECT_TIMEOUT, detail="timeout while connecting"
            )
        except aiohttp.ClientConnectorError as exc:
            return Answer(
                None,
                transport=Transport.REFUSED,
                detail=f"connection refused or unreachable ({exc.os_error})",
            )
        except TimeoutError:
            return Answer(None, transport=Transport.TIMEOUT, detail="timeout")
        except aiohttp.ServerDisconnectedError:
            return Answer(None, transport=Transport.DISCONNECTED, detail="server disconnected")
        except aiohttp.ClientPayloadError:
            return Answer(None, transport=Transport.CUT, detail="answer cut off")
        except aiohttp.ClientHttpProxyError as exc:
            # The proxy refused the tunnel: the request never reached the vendor.
            return Answer(
                None,
                transport=Transport.REFUSED,
                detail=f"the proxy refused the connection (HTTP {exc.status}); check HTTPS_PROXY",
            )
        except aiohttp.ClientError as exc:
            return Answer(None, transport=Transport.OTHER, detail=type(exc).__name__)
