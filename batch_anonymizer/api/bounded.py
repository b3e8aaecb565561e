"""Reading an HTTP answer without trusting its size: at most so many bytes, never all."""

from __future__ import annotations

import aiohttp

from .classify import MAX_ANSWER_BYTES


async def read_bounded(
    resp: aiohttp.ClientResponse, limit: int = MAX_ANSWER_BYTES
) -> tuple[bytes, bool]:
    """The answer's body and False, or ``b""`` and True when it is longer than ``limit``.

    Reading stops at the first chunk past the limit (the rest is never read:
    the connection is closed, not drained). Nothing of a longer answer is kept:
    nothing reads it, and its cut end could hold part of an echoed secret that
    no redaction would recognise.
    """
    length = resp.content_length
    if length is not None and length > limit:
        return b"", True
    if length is not None and "Content-Encoding" not in resp.headers:
        # exactly that many bytes, never more (a compressed body may inflate: read in chunks)
        return await resp.read(), False
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"", True
    return b"".join(chunks), False
