"""``Sandbox``: the simulated vendor, composed of a store, credentials, faults and a log.

It holds the state; ``routes`` serves it over HTTP and ``serving`` runs that
server. Tests and callers use its methods (``seed``, ``posts_for``...) and read
its parts; the parts live in their own modules:

- ``store.ContactStore``: people and their records, matched as the vendor matches;
- ``seeding``: the vendor's telephone form, records files, the demo seeding rule;
- ``auth.Credentials``: the API key, the OAuth2 client, issued tokens;
- ``faults.FaultState``: how a ``Faults`` spec misbehaves as requests come;
- ``requestlog.RequestLog``: every request, in memory and optionally on disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from aiohttp import web

from ..core.errors import UsageError
from . import routes
from .credentials import DEFAULT_TOKEN_TTL, Credentials
from .faults import Faults, FaultState
from .keys import V6_PHONE_FIELDS
from .requestlog import LogEntry, RequestLog
from .seeding import read_records_file
from .store import ContactStore, Person, Record


class Sandbox:
    """The simulated API: contacts, credentials, tokens, faults and the request log.

    ``clock`` (a ``time.time``-like callable) dates log entries, token expiry,
    the rate-limit window and Retry-After dates; it may be replaced while the
    sandbox runs. ``redirect_to`` is where ``/redirect/...`` points (``None``:
    this server under the host name ``localhost``). ``faults`` seeds the fault
    state, the token lifetime and the anonymized addresses once, here.
    ``v6_phone_field`` is the name the v6 route takes for the telephone field
    (``phone`` or ``telephone``; default: the faults' ``v6_phone_field``, else
    ``phone``); the other name is answered with a 400 that names it.
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
        v6_phone_field: str | None = None,
    ) -> None:
        self._v6_phone_field = _phone_field(v6_phone_field, faults)
        self.clock = clock
        self.redirect_to: str | None = None
        self._faults = faults
        token_ttl = faults.token_ttl if faults is not None else DEFAULT_TOKEN_TTL
        self._credentials = Credentials(api_key, client_id, client_secret, token_ttl)
        self._fault_state = FaultState(faults) if faults is not None else None
        self._store = ContactStore(faults.seed if faults is not None else 0)
        self._log = RequestLog(log_path)
        self._unsubscribed: list[str] = []

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
    def v6_phone_field(self) -> str:
        """The telephone field name the v6 route takes (``phone`` or ``telephone``)."""
        return self._v6_phone_field

    @property
    def api_key(self) -> str:
        """The API key this sandbox accepts."""
        return self._credentials.api_key

    @property
    def client_id(self) -> str:
        """The OAuth2 client id this sandbox accepts."""
        return self._credentials.client_id

    @property
    def unsubscribed(self) -> list[str]:
        """The account's unsubscribe (stop) list, in the order the addresses were added."""
        return self._unsubscribed

    # -- the store -------------------------------------------------------------

    @property
    def contacts(self) -> list[Record]:
        """Every record ever added, in order (anonymized ones included)."""
        return self._store.all_records()

    def add_contact(
        self,
        *,
        email: str | None = None,
        telephone: str | None = None,
        first_name: str = "",
        last_name: str = "",
    ) -> Record:
        """Add a person with one record, found by its email and/or telephone, stored as given."""
        return self._store.add(
            email=email, telephone=telephone, first_name=first_name, last_name=last_name
        )

    def add_record(self, person: int | None = None, **values: str) -> Record:
        """Add one record with the vendor's fields (``ContactStore.add_record``)."""
        return self._store.add_record(person, **values)

    def seed_people(self, people: Iterable[Person]) -> None:
        """Add each person with their records (telephones stored as given)."""
        self._store.seed_people(people)

    def seed(self, emails: Iterable[str], telephones: Iterable[str]) -> None:
        """Add a person with one record per email and one per telephone.

        Telephones are stored in the vendor's form where it can be told
        (``+44 7700 900123`` -> ``447700900123``), so a request must send that form.
        """
        self._store.seed(emails, telephones)

    def load_records(self, path: Path) -> int:
        """Add the people and records of a records CSV; return how many records.

        The format is in ``docs/sandbox.md``. A bad file raises ``UsageError``
        in one line and adds nothing.
        """
        people = read_records_file(path)
        return sum(len(self._store.add_person_records(records)) for records in people)

    def records_for(self, key_type: str, key: str) -> list[Record]:
        """The live records (not yet anonymized) that ``key`` matches, as the vendor matches."""
        return self._store.find(key_type, key)

    def find(self, key_type: str, key: str) -> list[Record]:
        """``records_for``, under its earlier name."""
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
        """The anonymize POSTs for ``key``, any spelling of it (``core.identity``)."""
        return self._log.posts_for(key)

    def unsubscribes(self) -> list[LogEntry]:
        """The POSTs to the unsubscribe list received, in order of arrival."""
        return self._log.unsubscribes()

    def lookups(self) -> list[LogEntry]:
        """The lookups (GET) received, in order of arrival."""
        return self._log.lookups()

    def lookups_for(self, key: str) -> list[LogEntry]:
        """The lookups for ``key``, any spelling of it (``core.identity``)."""
        return self._log.lookups_for(key)

    def close(self) -> None:
        """Close the log file (it is reopened if more requests come)."""
        self._log.close()

    # -- serving ---------------------------------------------------------------

    def make_app(self) -> web.Application:
        """A fresh ``aiohttp`` application serving this sandbox's state."""
        return routes.make_app(self)


def _phone_field(given: str | None, faults: Faults | None) -> str:
    """The v6 telephone field: as given, or as the faults say, else ``phone``."""
    spec = faults.v6_phone_field if faults is not None else None
    for name in (given, spec):
        if name is not None and name not in V6_PHONE_FIELDS:
            raise UsageError(f"the v6 telephone field is one of {', '.join(V6_PHONE_FIELDS)}")
    if given is not None and spec is not None and given != spec:
        raise UsageError(
            f"the sandbox's v6 telephone field is given twice: {given!r} and, in its "
            f"faults, {spec!r}; give one"
        )
    return given or spec or V6_PHONE_FIELDS[0]
