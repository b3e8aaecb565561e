"""Reading an HTTP answer without trusting its size: at most so many bytes, never all."""

from __future__ import annotations

import aiohttp

from .classify import MAX_ANSWER_BYTES


async def read_bounded(
    resp: aiohttp.ClientResponse, limit: int = MAX_ANSWER_BYTES
) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of an answer, and whether there was more (left unread)."""
    if resp.content_length is not None and resp.content_length > limit:
        return b"", True
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False
