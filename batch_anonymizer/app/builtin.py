"""The built-in sandbox of a run: started on 127.0.0.1, seeded with the run's own keys.

Seeding follows the sandbox's demo rule (``docs/sandbox.md``): one person per
input row holding all of that row's keys, with 0 to 3 records chosen from a
hash of the row's first key, so about one row in twenty is held by no record
and the same input always gives the same store. A records file
(``--sandbox-records``) replaces that seeding.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from ..api.auth import ApiKeyAuth, Auth, OAuth2Auth
from ..api.endpoint import Endpoint
from ..api.v6 import V6, V41
from ..core.records import KeyType, Line
from ..sandbox import Faults, Sandbox, demo_person, start_sandbox

#: The built-in sandbox's API key: not a secret, it opens nothing but the simulator.
SANDBOX_KEY = "sandbox-demo-key"
#: Its OAuth2 client (the v6 API takes tokens only): demo values too.
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-demo-secret"  # noqa: S105 - a fixed demo secret


def seeded_sandbox(
    lines: Iterable[Line],
    *,
    faults: str | None = None,
    api_key: str = SANDBOX_KEY,
    records: Path | None = None,
) -> Sandbox:
    """A sandbox holding the people of ``lines`` (``seed``), or the records file ``records``.

    A bad fault spec or records file raises ``UsageError`` before anything is served.
    """
    box = Sandbox(
        api_key=api_key,
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        faults=Faults.from_spec(faults) if faults else None,
    )
    if records is not None:
        box.load_records(records)
    else:
        seed(box, lines)
    return box


def seed(box: Sandbox, lines: Iterable[Line]) -> None:
    """Add to ``box`` one person per input row of ``lines``, holding all of the row's keys.

    Rows are told apart by sheet and row number; the records each person gets
    follow the demo rule (``sandbox.demo_person``). Lines without a key add nothing.
    """
    rows: dict[tuple[str | None, int], tuple[list[str], list[str]]] = {}
    for ln in lines:
        if ln.key_type is None or not ln.key:
            continue
        emails, phones = rows.setdefault((ln.sheet, ln.source_row), ([], []))
        (emails if ln.key_type is KeyType.EMAIL else phones).append(ln.key)
    box.seed_people(
        demo_person(emails, phones, name=f"Row{row}") for (_, row), (emails, phones) in rows.items()
    )


@asynccontextmanager
async def builtin_sandbox(
    lines: Iterable[Line],
    *,
    faults: str | None,
    fmt: str,
    records: Path | None = None,
    api: str = V41,
) -> AsyncIterator[tuple[Endpoint, Auth]]:
    """Serve a seeded sandbox in the running loop for the length of the block.

    The credentials are its API key, or for the v6 API its OAuth2 client.
    """
    box = seeded_sandbox(lines, faults=faults, records=records)
    runner, url = await start_sandbox(box)
    try:
        endpoint = Endpoint.for_base_url(url, fmt)
        auth: Auth = ApiKeyAuth(SANDBOX_KEY)
        if api == V6:
            auth = OAuth2Auth(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, endpoint.token_url)
        yield endpoint, auth
    finally:
        await runner.cleanup()
