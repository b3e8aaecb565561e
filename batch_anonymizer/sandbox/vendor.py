"""``Sandbox``: the simulated vendor, composed of a store, credentials, faults and a log.

It holds the state; ``routes`` serves it over HTTP and ``serving`` runs that
server. Tests and callers use its methods (``seed``, ``posts_for``...) and read
its parts; the parts live in their own modules:

- ``store.ContactStore``: the contacts, matched by ``core.identity``;
- ``auth.Credentials``: the API key, the OAuth2 client, issued tokens;
- ``faults.FaultState``: how a ``Faults`` spec misbehaves as requests come;
- ``requestlog.RequestLog``: every request, in memory and optionally on disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from aiohttp import web

from . import routes
from .auth import DEFAULT_TOKEN_TTL, Credentials
from .faults import Faults, FaultState
from .requestlog import LogEntry, RequestLog
from .store import Contact, ContactStore


class Sandbox:
    """The simulated API: contacts, credentials, tokens, faults and the request log.

    ``clock`` (a ``time.time``-like callable) dates log entries, token expiry,
    the rate-limit window and Retry-After dates; it may be replaced while the
    sandbox runs. ``redirect_to`` is where ``/redirect/...`` points (``None``:
    this server under the host name ``localhost``). ``faults`` seeds the fault
    state, the token lifetime and the anonymized addresses once, here.
    """

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
        self.clock = clock
        self.redirect_to: str | None = None
        self._faults = faults
        token_ttl = faults.token_ttl if faults is not None else DEFAULT_TOKEN_TTL
        self._credentials = Credentials(api_key, client_id, client_secret, token_ttl)
        self._fault_state = FaultState(faults) if faults is not None else None
        self._store = ContactStore(faults.seed if faults is not None else 0)
        self._log = RequestLog(log_path)

    # -- the parts -------------------------------------------------------------

    @property
    def faults(self) -> Faults | None:
        """The fault spec given (``None``: behave as documented)."""
        return self._faults

    @property
    def fault_state(self) -> FaultState | None:
        """The running state of ``faults`` (``None`` without faults)."""
        return self._fault_state

    @property
    def credentials(self) -> Credentials:
        """The API key, the OAuth2 client and the tokens issued."""
        return self._credentials

    @property
    def store(self) -> ContactStore:
        """The contacts."""
        return self._store

    @property
    def request_log(self) -> RequestLog:
        """The request log (``log`` is its list of entries)."""
        return self._log

    @property
    def api_key(self) -> str:
        """The API key this sandbox accepts."""
        return self._credentials.api_key

    @property
    def client_id(self) -> str:
        """The OAuth2 client id this sandbox accepts."""
        return self._credentials.client_id

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

    def posts(self) -> list[LogEntry]:
        """The anonymize POSTs received, in order of arrival."""
        return self._log.posts()

    def posts_for(self, key: str) -> list[LogEntry]:
        """The anonymize POSTs for ``key``, matched as the store matches keys."""
        return self._log.posts_for(key)

    def close(self) -> None:
        """Close the log file (it is reopened if more requests come)."""
        self._log.close()

    # -- serving ---------------------------------------------------------------

    def make_app(self) -> web.Application:
        """A fresh ``aiohttp`` application serving this sandbox's state."""
        return routes.make_app(self)
