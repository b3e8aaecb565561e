"""The yardsticks the tool is measured against, each run as its own process.

``python bench/peers.py aiohttp|aiohttp-wal|requests URL KEYS_FILE [--workers N]
[--journal PATH]`` posts one anonymize request per key and prints one JSON line:
keys sent, HTTP 200 answers, wall seconds, CPU seconds (and, with a journal, the
fsyncs it made). The API key comes from ``CUSTOMERGAUGE_API_KEY`` as for the tool.

- ``aiohttp``: the ceiling of one Python process: one session, N workers
  pulling from a shared iterator, form bodies encoded before the clock starts.
  It writes nothing durable, so it is not the tool's job.
- ``aiohttp-wal``: the same loop doing the tool's job on disk: it encodes each
  key's form body as it takes the key (the tool makes each request from its key;
  until 2026-12-08 the bodies were encoded before the clock started), and before
  each POST it appends a write-ahead ``send`` line and waits until it is fsynced, grouped
  as ``state.journal.JournalWriter.durable`` groups them (every worker waiting
  shares the next fsync, run in the default executor; lines appended while one
  is in flight wait for the next); after each answer it appends a ``done`` line
  that goes out with the next fsync. The fair ceiling for ``run --rate 0``.
- ``requests``: what a person writes first: one ``requests.Session``, one loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"


def _body(key: str) -> bytes:
    return urlencode({"telephone" if key.startswith("+") else "email": key}).encode()


def _bodies(keys: list[str]) -> list[bytes]:
    return [_body(k) for k in keys]


class _Wal:
    """A write-ahead log grouped as the tool's journal is: one fsync shared by all waiting."""

    DONE = b'{"status":"success","message":"anonymized","http_status":200,"attempts":1}'

    def __init__(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        self.buf: list[bytes] = []
        self.seq = 0  # lines appended
        self.synced = 0  # lines known to be on disk
        self.fsyncs = 0
        self.task: asyncio.Task[None] | None = None

    def send(self, index: int) -> None:
        self.buf.append(b'{"t":"send","i":%d,"a":1}\n' % index)
        self.seq += 1

    def done(self, index: int) -> None:
        self.buf.append(b'{"t":"done","i":%d,"o":%s}\n' % (index, self.DONE))
        self.seq += 1

    async def durable(self) -> None:
        target = self.seq
        while self.synced < target:
            if self.task is None:
                self.task = asyncio.get_running_loop().create_task(self._sync())
            await asyncio.shield(self.task)

    async def _sync(self) -> None:
        try:
            seq = self.seq
            data = b"".join(self.buf)
            self.buf.clear()
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view) :]
            await asyncio.get_running_loop().run_in_executor(None, os.fsync, self.fd)
            self.fsyncs += 1
            self.synced = max(self.synced, seq)
        finally:
            self.task = None

    def close(self) -> None:
        os.write(self.fd, b"".join(self.buf))
        os.fsync(self.fd)
        os.close(self.fd)


async def _aiohttp(
    url: str, bodies: list[bytes] | list[str], workers: int, api_key: str, wal: _Wal | None = None
) -> int:
    """POST each body (or, with a write-ahead log, each key, encoded as it is taken)."""
    import aiohttp

    headers = {"Authorization": f"api_key {api_key}", "Content-Type": FORM}
    connector = aiohttp.TCPConnector(limit=workers)
    ok = 0
    it: Iterator[tuple[int, bytes | str]] = enumerate(bodies)

    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal ok
            for i, item in it:
                body = item if isinstance(item, bytes) else _body(item)
                if wal is not None:
                    wal.send(i)
                    await wal.durable()  # on disk before the request leaves
                async with session.post(url, data=body) as resp:
                    await resp.read()
                    ok += resp.status == 200
                if wal is not None:
                    wal.done(i)

        await asyncio.gather(*(worker() for _ in range(workers)))
    if wal is not None:
        wal.close()
    return ok


def _requests(url: str, bodies: list[bytes], api_key: str) -> int:
    import requests

    ok = 0
    with requests.Session() as session:
        session.headers.update({"Authorization": f"api_key {api_key}", "Content-Type": FORM})
        for body in bodies:
            resp = session.post(url, data=body)
            ok += resp.status_code == 200
    return ok


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=("aiohttp", "aiohttp-wal", "requests"))
    p.add_argument("url")
    p.add_argument("keys", type=Path)
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("--journal", type=Path, help="aiohttp-wal: the log (default KEYS.wal)")
    args = p.parse_args()
    keys = args.keys.read_text(encoding="utf-8").split()
    api_key = os.environ.get("CUSTOMERGAUGE_API_KEY", "sandbox-demo-key")
    wal = None
    bodies = _bodies(keys)
    if args.kind == "aiohttp-wal":
        wal = _Wal(args.journal or args.keys.with_suffix(".wal"))
    cpu0, t0 = time.process_time(), time.perf_counter()
    if args.kind == "requests":
        ok = _requests(args.url, bodies, api_key)
    else:
        # the fair loop encodes each key as it sends it, as the tool does
        sent = keys if wal is not None else bodies
        ok = asyncio.run(_aiohttp(args.url, sent, args.workers, api_key, wal))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    out = {"n": len(bodies), "ok": ok, "wall": wall, "cpu": cpu}
    if wal is not None:
        out["fsyncs"] = wal.fsyncs
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
