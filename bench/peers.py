"""The yardsticks the tool is measured against, each run as its own process.

``python bench/peers.py aiohttp|requests URL KEYS_FILE [--workers N]`` posts
one anonymize request per key and prints one JSON line: keys sent, HTTP 200
answers, wall seconds, CPU seconds. The API key comes from
``CUSTOMERGAUGE_API_KEY`` as for the tool.

- ``aiohttp``: the ceiling of one Python process: one session, N workers
  pulling from a shared iterator, form bodies encoded before the clock starts.
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


def _bodies(keys: list[str]) -> list[bytes]:
    return [urlencode({"telephone" if k.startswith("+") else "email": k}).encode() for k in keys]


async def _aiohttp(url: str, bodies: list[bytes], workers: int, api_key: str) -> int:
    import aiohttp

    headers = {"Authorization": f"api_key {api_key}", "Content-Type": FORM}
    connector = aiohttp.TCPConnector(limit=workers)
    ok = 0
    it: Iterator[bytes] = iter(bodies)

    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal ok
            for body in it:
                async with session.post(url, data=body) as resp:
                    await resp.read()
                    ok += resp.status == 200

        await asyncio.gather(*(worker() for _ in range(workers)))
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
    p.add_argument("kind", choices=("aiohttp", "requests"))
    p.add_argument("url")
    p.add_argument("keys", type=Path)
    p.add_argument("--workers", type=int, default=16)
    args = p.parse_args()
    keys = args.keys.read_text(encoding="utf-8").split()
    bodies = _bodies(keys)
    api_key = os.environ.get("CUSTOMERGAUGE_API_KEY", "sandbox-demo-key")
    cpu0, t0 = time.process_time(), time.perf_counter()
    if args.kind == "aiohttp":
        ok = asyncio.run(_aiohttp(args.url, bodies, args.workers, api_key))
    else:
        ok = _requests(args.url, bodies, api_key)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({"n": len(bodies), "ok": ok, "wall": wall, "cpu": cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
