"""How the sandbox's answers look on the wire: bodies, errors, and misbehaving on cue.

The documented answers (success, the ``Error`` bodies with their codes, the
lookup listing) in JSON or XML, the v6 API's answers (format ``v6``: its
bodies are not published, so these are our invention, documented in
``docs/sandbox.md``), what a proxy or a broken deployment sends
instead (HTML pages, empty or cut bodies), and ``perform``, which carries out
one fault ``Step``: an answer, a held answer, or no answer at all (a TCP reset
or an orderly close).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import socket
import struct
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from xml.sax.saxutils import escape

from aiohttp import web

from .steps import Step

MSG_NO_KEY = ("Please make an API request by email or telephone", 300000)
MSG_BAD_EMAIL = ("Email is not valid", 300004)
MSG_BAD_PHONE = ("Telephone is not valid", 300001)  # not documented: our choice
MSG_BAD_KEY = ("Invalid API Key", 200000)
MSG_NO_RECORDS = ("No records found", 300005)
MSG_NO_EMAIL = ("Email is required", 400402)  # the code is documented, the words are ours
MSG_V6_UNAUTHORIZED = ("Unauthorized: a valid Bearer token is required", 200000)

CONTENT_TYPES = {"json": "application/json", "xml": "application/xml", "v6": "application/json"}
SUCCESS = {
    "json": b'{"Data": {"message": "Record updated successfully"}}',
    "xml": b"<Data><message>Record updated successfully</message></Data>",
    "v6": b'{"data": {"message": "Contact anonymized"}}',
}
# Not documented: shaped like the anonymize call's success.
UNSUBSCRIBED = {
    "json": b'{"Data": {"message": "Email added to the unsubscribe list"}}',
    "xml": b"<Data><message>Email added to the unsubscribe list</message></Data>",
}
_HTML = (
    "<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def error_body(fmt: str, message: str, code: int | None) -> bytes:
    """An ``Error`` body, JSON or XML, with ``Code`` when given.

    ``v6``: ``{"message": …, "errors": [{"code": …, "message": …}]}`` (our invention).
    """
    if fmt == "v6":
        item = {"message": message} if code is None else {"code": code, "message": message}
        return json.dumps({"message": message, "errors": [item]}, separators=(",", ":")).encode()
    if fmt == "xml":
        tail = f"<Code>{code}</Code>" if code is not None else ""
        return f"<Error><Message>{escape(message)}</Message>{tail}</Error>".encode()
    inner: dict[str, object] = {"Message": message}
    if code is not None:
        inner["Code"] = code
    return json.dumps({"Error": inner}, separators=(",", ":")).encode()


def listing_body(fmt: str, rows: list[dict[str, str]]) -> bytes:
    """The lookup's ``Data``: one record per row, JSON or XML."""
    if fmt == "json":
        return json.dumps({"Data": rows}).encode()
    items = "".join(
        "<record>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in r.items()) + "</record>"
        for r in rows
    )
    return f"<Data>{items}</Data>".encode()


def answer(
    fmt: str, status: int, body: bytes, headers: dict[str, str] | None = None
) -> web.Response:
    """``body`` with the content type of ``fmt`` (json or xml)."""
    return web.Response(
        status=status, body=body, content_type=CONTENT_TYPES[fmt], charset="utf-8", headers=headers
    )


def error(
    fmt: str, status: int, msg: tuple[str, int | None], headers: dict[str, str] | None = None
) -> web.Response:
    """An ``Error`` answer; ``msg`` is (message, code or None)."""
    return answer(fmt, status, error_body(fmt, msg[0], msg[1]), headers)


def html(status: int) -> web.Response:
    """The HTML page a proxy sends for ``status`` (502, 504...)."""
    title = f"{status} {HTTPStatus(status).phrase}"
    return web.Response(status=status, text=_HTML.format(title), content_type="text/html")


def plausible(fmt: str, status: int, headers: dict[str, str] | None = None) -> web.Response:
    """An answer with ``status`` and the body a real deployment would plausibly send."""
    if status in (502, 504):
        return html(status)
    known: dict[int, tuple[str, int | None]] = {
        400: MSG_NO_KEY,
        401: MSG_V6_UNAUTHORIZED if fmt == "v6" else MSG_BAD_KEY,
        404: MSG_NO_RECORDS,
    }
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    if status == 200:
        return answer(fmt, 200, SUCCESS[fmt], headers)
    return error(fmt, status, known.get(status, (phrase, None)), headers)


def retry_after_value(step: Step, now: float) -> str | None:
    """The Retry-After header for a ``status`` step, or ``None``."""
    if step.retry_after is None:
        return None
    if step.retry_date:
        return formatdate(math.ceil(now + step.retry_after), usegmt=True)
    return f"{step.retry_after:g}"


def reset_connection(request: web.Request) -> None:
    """Drop the connection with a TCP RST: the client sees ECONNRESET."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def perform(
    request: web.Request,
    fmt: str,
    step: Step,
    *,
    log: Callable[[int, str, int], None],
    process: Callable[[], tuple[int, bytes]],
    hang: float,
    closing: asyncio.Event,
    now: float,
) -> web.StreamResponse:
    """Misbehave as ``step`` says and return what (if anything) is sent.

    ``process()`` does the request's work (anonymizes, or for a lookup finds
    the records, when the request is valid) and returns how many records it
    changed or found and the body a normal 200 would carry; it runs only for
    the steps that act first and fail after: ``reset_after``, ``timeout``,
    ``truncated``, ``cut``, whose cut bodies are cut from that one. ``log(status,
    outcome, records)`` records the request; status 0 means nothing was sent.
    A held answer waits ``hang`` seconds or until ``closing`` is set; ``now``
    (the sandbox clock) dates a Retry-After.
    """
    kind = step.kind
    n, body = (0, SUCCESS[fmt])
    if kind in ("reset_after", "timeout", "truncated", "cut"):
        n, body = process()
    transport = request.transport
    if kind == "status":
        retry_after = retry_after_value(step, now)
        log(step.status, f"fault:{step.status}", 0)
        return plausible(fmt, step.status, {"Retry-After": retry_after} if retry_after else None)
    if kind == "html502":
        log(502, "fault:html502", 0)
        return html(502)
    if kind == "empty500":
        log(500, "fault:empty500", 0)
        return web.Response(status=500)
    if kind == "error200":
        log(200, "fault:error200", 0)
        return error(fmt, 200, ("Internal error, please try again later", None))
    if kind == "truncated":
        log(200, "fault:truncated", n)
        return answer(fmt, 200, body[: len(body) // 2])
    if kind == "cut":
        log(200, "fault:cut", n)
        resp = web.StreamResponse(status=200)
        resp.content_type = CONTENT_TYPES[fmt]
        resp.content_length = len(body)  # promises more than is sent
        await resp.prepare(request)
        await resp.write(body[: len(body) // 2])
        if transport is not None:
            transport.close()
        return resp
    if kind in ("timeout", "timeout_before"):
        log(0, kind, n)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(closing.wait(), hang)
        return html(504)  # a gateway gave up; the client has normally left by now
    # reset, reset_after, disconnect: no answer at all
    log(0, kind, n)
    if kind == "disconnect" and transport is not None:
        transport.close()  # orderly FIN: the client sees ServerDisconnectedError
    else:
        reset_connection(request)
    return web.Response(status=500)  # never reaches the client
