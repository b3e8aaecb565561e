"""What the hostile-answer tests share: servers on 127.0.0.1 that misbehave on purpose.

Not a ``conftest.py`` (a second one would shadow ``tests/conftest.py``, see
``tests/sandbox/sandbox_helpers.py``). Every server binds to 127.0.0.1 only, on
a free port, in a thread with its own event loop, and stops with its ``with``.
``block_dns`` makes sure no test here can ever reach a real host: any name but
this machine's fails to resolve, and the names asked for are recorded.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web

OK = b'{"Data": {"message": "Record updated successfully"}}'
GiB = 1024**3


@dataclass
class Seen:
    """One request a test server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def key(self) -> str:
        """The email or telephone the request names (form body or query)."""
        fields = {**parse_qs(self.body.decode()), **parse_qs(self.path.partition("?")[2])}
        for name in ("email", "sms_telephone"):
            if name in fields:
                return fields[name][0]
        return ""


Handler = Callable[[web.Request, Seen], Awaitable[web.StreamResponse]]


class _Thread:
    """A server run by ``start`` in a thread of its own, stopped by ``stop``."""

    def __init__(self) -> None:
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._cleanup: Callable[[], Awaitable[None]] | None = None

    async def _start(self) -> tuple[int, Callable[[], Awaitable[None]]]:
        raise NotImplementedError

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self.port, self._cleanup = self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()
        assert self._cleanup is not None
        self._loop.run_until_complete(self._cleanup())
        self._loop.close()

    def __enter__(self) -> Any:
        self._thread.start()
        assert self._ready.wait(10), "the test server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class Served(_Thread):
    """An HTTP server whose every answer ``handler`` writes; ``seen`` lists the requests."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.seen: list[Seen] = []
        self.streamed: list[int] = []  # bytes each streaming answer got out before it stopped

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _start(self) -> tuple[int, Callable[[], Awaitable[None]]]:
        async def serve(request: web.Request) -> web.StreamResponse:
            seen = Seen(
                request.method, request.path_qs, dict(request.headers), await request.read()
            )
            self.seen.append(seen)
            return await self.handler(request, seen)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", serve)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner.addresses[0][1], runner.cleanup

    async def stream(
        self,
        request: web.Request,
        chunks: Iterator[bytes],
        *,
        length: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.StreamResponse:
        """Answer 200 with ``chunks`` until they end or the client goes; count what got out."""
        resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        resp.headers.update(headers or {})
        if length is not None:
            resp.content_length = length
        sent = 0
        try:
            await resp.prepare(request)
            for chunk in chunks:
                await resp.write(chunk)
                sent += len(chunk)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client stopped reading and closed: what the test wants
        finally:
            self.streamed.append(sent)
        return resp


def endless(piece: bytes, total: int = GiB) -> Iterator[bytes]:
    """``total`` bytes (1 GiB by default) made of ``piece`` repeated, 64 KB at a time."""
    chunk = piece * (64 * 1024 // len(piece))
    for _ in range(total // len(chunk)):
        yield chunk


class FakeProxy(_Thread):
    """A proxy that reads one request head, records it, answers ``reply`` and hangs up."""

    def __init__(self, reply: bytes = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"):
        super().__init__()
        self.reply = reply
        self.heads: list[list[str]] = []  # each request's lines: request line, then headers

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _start(self) -> tuple[int, Callable[[], Awaitable[None]]]:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                self.heads.append(head.decode("latin-1").split("\r\n")[:-2])
                writer.write(self.reply)
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)

        async def close() -> None:
            server.close()
            await server.wait_closed()

        return server.sockets[0].getsockname()[1], close


LOCAL = {"127.0.0.1", "::1", "localhost"}


@dataclass
class Resolved:
    """The names the code under test tried to resolve that are not this machine."""

    blocked: list[str] = field(default_factory=list)


def block_dns(monkeypatch: pytest.MonkeyPatch) -> Resolved:
    """Make every name but this machine's fail to resolve, and record what was asked."""
    real = socket.getaddrinfo
    asked = Resolved()

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in LOCAL:
            asked.blocked.append(name)
            raise socket.gaierror(socket.EAI_NONAME, "name resolution is blocked in this test")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    return asked


PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY")


def clear_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy from the machine running the tests: each test sets its own."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def everything_written(root: Path, *outputs: str) -> bytes:
    """Every file under ``root`` (each .xlsx member unzipped) and the outputs, as bytes."""
    parts = [o.encode() for o in outputs]
    for path in sorted(root.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes())
            if path.suffix == ".xlsx":
                with zipfile.ZipFile(path) as z:
                    parts += [z.read(n) for n in z.namelist()]
    return b"\n".join(parts)


def json_answer(body: bytes, status: int = 200) -> web.Response:
    return web.Response(status=status, body=body, content_type="application/json")
