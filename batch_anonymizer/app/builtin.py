"""The built-in sandbox of a run: started on 127.0.0.1, seeded with the run's own keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from ..api.auth import ApiKeyAuth
from ..api.endpoint import Endpoint
from ..core.records import KeyType, Line
from ..sandbox import Faults, Sandbox, start_sandbox

#: The built-in sandbox's API key: not a secret, it opens nothing but the simulator.
SANDBOX_KEY = "sandbox-demo-key"


def seeded_sandbox(
    lines: Iterable[Line], *, faults: str | None = None, api_key: str = SANDBOX_KEY
) -> Sandbox:
    """A sandbox holding one contact for every email and every telephone of ``lines``."""
    box = Sandbox(api_key=api_key, faults=Faults.from_spec(faults) if faults else None)
    seed(box, lines)
    return box


def seed(box: Sandbox, lines: Iterable[Line]) -> None:
    """Add a contact to ``box`` for every key of ``lines``."""
    keyed = [ln for ln in lines if ln.key_type is not None and ln.key]
    box.seed(
        [ln.key for ln in keyed if ln.key_type is KeyType.EMAIL],
        [ln.key for ln in keyed if ln.key_type is KeyType.TELEPHONE],
    )


@asynccontextmanager
async def builtin_sandbox(
    lines: Iterable[Line], *, faults: str | None, fmt: str
) -> AsyncIterator[tuple[Endpoint, ApiKeyAuth]]:
    """Serve a seeded sandbox in the running loop for the length of the block."""
    box = seeded_sandbox(lines, faults=faults)
    runner, url = await start_sandbox(box)
    try:
        yield Endpoint.for_base_url(url, fmt), ApiKeyAuth(SANDBOX_KEY)
    finally:
        await runner.cleanup()
