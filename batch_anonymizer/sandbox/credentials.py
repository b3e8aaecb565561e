"""The sandbox's credentials: the API key, the OAuth2 client and the tokens it issued.

Nothing here returns, logs or echoes a secret. ``check`` answers only which
kind of credentials came and whether they are valid; ``token_request`` gives
back the client id (not a secret) for the log and the new token only in the
answer body. Secrets are compared in constant time.

Time is passed in (``now``, on the sandbox clock) rather than read here, so
the sandbox's clock can be replaced while it runs and tests can move it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_TOKEN_TTL = 3600.0


@dataclass(frozen=True, slots=True)
class AuthCheck:
    """What came in ``Authorization`` (or the URL) and whether it lets the request in.

    ``kind``: ``api_key``, ``bearer``, ``none``, ``other``, or ``api_key_query``
    for a key in the lookup URL.
    """

    kind: str
    valid: bool


@dataclass(frozen=True, slots=True)
class TokenAnswer:
    """The answer to one ``POST /oauth2/token``, and what the log records of it.

    ``outcome`` is ``token``, ``unauthorized`` or ``bad_request``; ``how`` is
    how the client sent its secret: ``form``, ``basic`` or ``none``.
    The mappings are read-only by convention.
    """

    status: int
    body: Mapping[str, object]
    outcome: str
    client_id: str
    how: str
    headers: Mapping[str, str] = field(default_factory=dict)


class Credentials:
    """The one valid API key and OAuth2 client, and the bearer tokens issued so far."""

    def __init__(
        self,
        api_key: str,
        client_id: str,
        client_secret: str,
        token_ttl: float = DEFAULT_TOKEN_TTL,
    ) -> None:
        self._api_key = api_key
        self._client_id = client_id
        self._key = api_key.encode()
        self._secret = client_secret.encode()
        self._token_ttl = float(token_ttl)
        self._tokens: dict[str, float] = {}  # token -> expiry on the sandbox clock

    @property
    def api_key(self) -> str:
        """The API key the sandbox accepts (a demo value, shown to its user)."""
        return self._api_key

    @property
    def client_id(self) -> str:
        """The OAuth2 client id the sandbox accepts."""
        return self._client_id

    def check(self, authorization: str | None, *, query_key: str | None, now: float) -> AuthCheck:
        """Check an ``Authorization`` header, or without one ``query_key``.

        ``query_key`` is the ``api_key`` from a lookup URL (``None``: not
        given, or not a GET). A bearer token is valid until its expiry, exclusive.
        """
        if authorization is None:
            if query_key is not None:
                # The vendor's GET example puts the key in the URL; recorded apart
                # so a test can assert the client never does that.
                return AuthCheck("api_key_query", _same(query_key, self._key))
            return AuthCheck("none", False)
        scheme, _, value = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "api_key":
            return AuthCheck("api_key", _same(value.strip(), self._key))
        if scheme == "bearer":
            expiry = self._tokens.get(value.strip())
            return AuthCheck("bearer", expiry is not None and now < expiry)
        return AuthCheck("other", False)

    def token_request(
        self, form: Mapping[str, str], authorization: str | None, *, now: float
    ) -> TokenAnswer:
        """Answer a client-credentials grant; on success a new token lives ``token_ttl`` s.

        The client authenticates with ``client_id`` and ``client_secret`` in
        ``form`` or with HTTP Basic, which wins when both are given.
        """
        client_id = form.get("client_id", "")
        secret = form.get("client_secret", "")
        how = "form" if secret else "none"
        header = authorization or ""
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            client_id, _, secret = decoded.partition(":")
            how = "basic"

        if form.get("grant_type") != "client_credentials":
            return TokenAnswer(
                400, {"error": "unsupported_grant_type"}, "bad_request", client_id, how
            )
        if not (_same(client_id, self._client_id.encode()) and _same(secret, self._secret)):
            return TokenAnswer(
                401,
                {"error": "invalid_client"},
                "unauthorized",
                client_id,
                how,
                {"WWW-Authenticate": "Basic"},
            )
        token = secrets.token_urlsafe(24)
        ttl = self._token_ttl
        self._tokens[token] = now + ttl
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(ttl) if ttl.is_integer() else ttl,
        }
        return TokenAnswer(200, body, "token", client_id, how, {"Cache-Control": "no-store"})


def _same(given: str, expected: bytes) -> bool:
    return hmac.compare_digest(given.encode(), expected)
