"""Ways to run the sandbox, and its request log file."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp
import pytest
from conftest import REPO
from forkcli import spawn
from sandbox_helpers import KEY, post, send

from batch_anonymizer.core.errors import UsageError
from batch_anonymizer.sandbox import Sandbox, SandboxThread, start_sandbox


def test_start_sandbox_in_the_callers_loop_and_loopback_only() -> None:
    async def go() -> None:
        box = Sandbox(api_key=KEY)
        box.seed(["ann@example.com"], [])
        runner, url = await start_sandbox(box)
        try:
            assert url.startswith("http://127.0.0.1:")
            async with aiohttp.ClientSession() as session:
                got = await send(session, url, data={"email": "ann@example.com"})
            assert got.status == 200
        finally:
            await runner.cleanup()
        with pytest.raises(UsageError, match="loopback"):
            await start_sandbox(box, host="0.0.0.0")  # noqa: S104 - refused, as asserted

    asyncio.run(go())
    with pytest.raises(UsageError, match="loopback"):
        SandboxThread(Sandbox(), host="192.0.2.1")


def test_serve_stops_cleanly_on_sigterm_and_sigint(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from batch_anonymizer.sandbox import Sandbox, serve\n"
        "serve(Sandbox(), 0, ready=lambda url: print(url, flush=True))\n"
        "print('stopped', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for signum in (signal.SIGTERM, signal.SIGINT):
        proc = spawn([], tmp_path, env, code=code)  # a real process, forked (tests/forkcli.py)
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert post(url, email="a@example.com").status == 401  # the default demo key differs
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=10)
        assert (proc.returncode, out, err) == (0, "stopped\n", "")
