"""A gateway that echoes the ``Authorization`` header never gets a secret into anything written.

The server below answers every anonymize request with an error page that
quotes the request's ``Authorization`` header, in the forms gateways use; the
key (or the bearer token, or the client secret) must reach neither the
``Answer`` body, nor the verdict, nor the report, the journal or the output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from aiohttp import web
from conftest import CliResult, only_report, report_rows, write_csv
from hostile import OK, Seen, Served, everything_written, json_answer

from batch_anonymizer.api.auth import ApiKeyAuth, OAuth2Auth
from batch_anonymizer.api.classify import classify
from batch_anonymizer.api.endpoint import Endpoint
from batch_anonymizer.api.scrub import redact
from batch_anonymizer.api.sender import HttpSender
from batch_anonymizer.core.records import KeyType

# Secrets with characters that percent-encoding, JSON and XML each write differently.
API_KEY = "k3y/with+special=chars&7f3a9c"
CLIENT_SECRET = "cl!ent~secret/9d8c7b<q>"
TOKEN = "tok.eyJhbGciOiJIUzI1NiJ9/x+y=z_5a4b3c"


def percent_every_byte(text: str) -> str:
    return "".join(f"%{b:02x}" for b in text.encode())


def json_escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04X}" if i % 2 else c for i, c in enumerate(text))


def xml_references(text: str) -> str:
    return "".join(f"&#{ord(c)};" if i % 2 else f"&#x{ord(c):x};" for i, c in enumerate(text))


def error_json(message: str, code: str = "403001") -> bytes:
    text = json.dumps(message)[1:-1].replace("\\\\u", "\\u")  # keep the escapes as written
    return f'{{"Error": {{"Message": "{text}", "Code": "{code}"}}}}'.encode()


# (name, how the gateway writes what it echoes) -> (status, body)
ECHOES: dict[str, Callable[[str], tuple[int, bytes]]] = {
    "as written": lambda h: (400, error_json(f"invalid header Authorization: {h}")),
    "in the code": lambda h: (400, error_json("invalid header", code=h)),
    "percent-encoded": lambda h: (400, f"bad request: auth={quote(h, safe='')}".encode()),
    "percent, lower hex": lambda h: (400, f"bad request: auth={percent_every_byte(h)}".encode()),
    "JSON escapes": lambda h: (400, error_json(f"invalid header {json_escaped(h)}")),
    "XML references": lambda h: (
        400,
        f"<Error><Message>invalid {xml_references(h)}</Message></Error>".encode(),
    ),
    "cut short": lambda h: (400, error_json(f"invalid header {h[:20]}…")),
    "an HTML page": lambda h: (502, f"<html><body><pre>{h}</pre></body></html>".encode()),
}


def echoing(form: Callable[[str], tuple[int, bytes]], *, client_secret: bool = False) -> Served:
    """A gateway that quotes the Authorization header (and the client secret it was sent,
    as sent, URL-encoded, and decoded)."""
    got: dict[str, str] = {}

    async def gateway(request: web.Request, seen: Seen) -> web.Response:
        if request.path == "/oauth2/token":
            fields = dict(p.split("=", 1) for p in seen.body.decode().split("&"))
            got["secret"] = f"{fields['client_secret']} {unquote(fields['client_secret'])}"
            return json_answer(json.dumps({"access_token": TOKEN, "expires_in": 3600}).encode())
        echoed = seen.headers.get("Authorization", "")
        if client_secret:
            echoed += " secret=" + got.get("secret", "")
        status, body = form(echoed)
        return json_answer(body, status)

    return Served(gateway)


def forms_of(secret: str) -> list[bytes]:
    """What must not be found: the secret as written, percent-encoded, its first 12 characters."""
    return [secret.encode(), quote(secret, safe="").encode(), secret[:12].encode()]


async def answer_of(url: str, auth: ApiKeyAuth | OAuth2Auth) -> tuple[bytes, str, str]:
    async with HttpSender(Endpoint.for_base_url(url), auth, timeout=10, connections=1) as sender:
        answer = await sender.anonymize(KeyType.EMAIL, "a0@example.com")
    verdict = classify(answer)
    return answer.body, verdict.message, verdict.vendor_code


def decoded(body: bytes) -> str:
    """The body as a reader sees it: JSON or XML escapes resolved, percent-encoding undone."""
    import html

    text = body.decode()
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return unquote(html.unescape(text))


@pytest.mark.parametrize("form", list(ECHOES))
def test_an_echoed_api_key_is_cut_from_the_answer(form: str) -> None:
    with echoing(ECHOES[form]) as server:
        body, message, vendor_code = asyncio.run(answer_of(server.url, ApiKeyAuth(API_KEY)))
    assert b"[redacted]" in body
    for text in (decoded(body), message, vendor_code):
        assert API_KEY[:8] not in text, text


@pytest.mark.parametrize("form", list(ECHOES))
def test_an_echoed_bearer_token_and_client_secret_are_cut_from_the_answer(form: str) -> None:
    with echoing(ECHOES[form], client_secret=True) as server:
        auth = OAuth2Auth("client-7", CLIENT_SECRET, f"{server.url}/oauth2/token")
        body, message, vendor_code = asyncio.run(answer_of(server.url, auth))
    assert b"[redacted]" in body
    for text in (decoded(body), message, vendor_code):
        assert TOKEN[:8] not in text and CLIENT_SECRET[:8] not in text, text


def test_a_token_replaced_while_its_answer_was_on_the_way_is_still_cut() -> None:
    """a0 is sent with token 1; a1 gets a 401, token 2 is fetched; then a0's echo comes back."""
    tokens = ["tok-one-4f3e2d1c0b", "tok-two-9a8b7c6d5e"]
    fetched: list[str] = []
    state: dict[str, asyncio.Event] = {}

    async def gateway(request: web.Request, seen: Seen) -> web.Response:
        released = state.setdefault("released", asyncio.Event())
        if request.path == "/oauth2/token":
            fetched.append(tokens[len(fetched)])
            if len(fetched) == 2:
                released.set()
            return json_answer(json.dumps({"access_token": fetched[-1]}).encode())
        header = seen.headers["Authorization"]
        if seen.key == "a0@example.com":
            await asyncio.wait_for(released.wait(), 5)
            return json_answer(error_json(f"invalid header {header}"), 400)
        return json_answer(b"", 401) if header.endswith(tokens[0]) else json_answer(OK)

    with Served(gateway) as server:
        auth = OAuth2Auth("client-7", CLIENT_SECRET, f"{server.url}/oauth2/token")

        async def both() -> list[bytes]:
            async with HttpSender(
                Endpoint.for_base_url(server.url), auth, timeout=10, connections=2
            ) as sender:
                answers = await asyncio.gather(
                    sender.anonymize(KeyType.EMAIL, "a0@example.com"),
                    sender.anonymize(KeyType.EMAIL, "a1@example.com"),
                )
            return [a.body for a in answers]

        echoed, _ = asyncio.run(both())
    assert fetched == tokens
    assert echoed == b'{"Error": {"Message": "invalid header Bearer [redacted]", "Code": "403001"}}'


def run_against(cli, tmp_path: Path, url: str, *extra: str) -> CliResult:
    keys = [["a0@example.com"], ["a1@example.com"]]
    return cli(
        "run", write_csv(tmp_path / "in.csv", ["Email"], keys), "--base-url", url, "--yes",
        "--no-verify", "--rate", "0", "--max-retries", "0", "--no-progress", *extra,
    )  # fmt: skip


@pytest.mark.parametrize("form", ["as written", "JSON escapes", "cut short", "an HTML page"])
def test_no_echoed_key_reaches_the_report_journal_or_output(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    monkeypatch.setenv("CUSTOMERGAUGE_API_KEY", API_KEY)
    with echoing(ECHOES[form]) as server:
        res = run_against(cli, tmp_path, server.url)
    assert res.code == 1, res.out + res.err
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert all("[redacted]" in r["message"] + r["vendor_code"] for r in rows)
    written = everything_written(tmp_path, res.out, res.err)
    assert list((tmp_path / "reports").glob("*.journal"))  # the journal was scanned too
    for needle in forms_of(API_KEY):
        assert needle not in written


def test_no_echoed_token_or_client_secret_reaches_anything_written(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUSTOMERGAUGE_API_KEY")
    monkeypatch.setenv("CUSTOMERGAUGE_CLIENT_SECRET", CLIENT_SECRET)
    with echoing(ECHOES["percent, lower hex"], client_secret=True) as server:
        res = run_against(cli, tmp_path, server.url, "--oauth-client-id", "client-7")
    assert res.code == 1, res.out + res.err
    rows = report_rows(only_report(tmp_path / "reports"))
    assert all("[redacted]" in r["message"] for r in rows)
    written = everything_written(tmp_path, res.out, res.err)
    for needle in [*forms_of(TOKEN), *forms_of(CLIENT_SECRET)]:
        assert needle not in written


# -- redact, on its own ----------------------------------------------------------------

WRITTEN_KEY = API_KEY  # the same key, written down each way a gateway may echo it
WRITTEN_FORMS = {
    "as written": WRITTEN_KEY,
    "percent, upper hex": "k3y%2Fwith%2Bspecial%3Dchars%267f3a9c",
    "percent, lower hex": "k3y%2fwith%2bspecial%3dchars%267f3a9c",
    "percent, every byte": "".join(f"%{b:02X}" for b in WRITTEN_KEY.encode()),
    "percent twice": "k3y%252Fwith%252Bspecial%253Dchars%25267f3a9c",
    "JSON escapes": "".join(f"\\u{ord(c):04x}" for c in WRITTEN_KEY),
    "JSON slash": WRITTEN_KEY.replace("/", "\\/"),
    "XML decimal": "".join(f"&#{ord(c)};" for c in WRITTEN_KEY),
    "XML hex": "".join(f"&#X{ord(c):X};" for c in WRITTEN_KEY),
    "HTML amp": WRITTEN_KEY.replace("&", "&amp;"),
    "a mix": "k\\u0033y%2Fwi&#116;h+special=chars&amp;7f3a9c",
    "percent in JSON": "k3y\\u00252Fwith\\u0025\\u0032Bspecial=chars&7f3a9c",
}


@pytest.mark.parametrize("form", list(WRITTEN_FORMS))
def test_redact_cuts_every_form_of_an_echoed_secret(form: str) -> None:
    body = f"denied: api_key {WRITTEN_FORMS[form]} (check it)".encode()
    assert redact(body, [WRITTEN_KEY]) == b"denied: api_key [redacted] (check it)"


def test_redact_cuts_an_echo_cut_short_from_8_characters_on() -> None:
    assert redact(b"key k3y/with+sp...", [WRITTEN_KEY]) == b"key [redacted]..."
    assert redact(b"key k3y/wit...", [WRITTEN_KEY]) == b"key k3y/wit..."  # 7: not enough to tell
    assert redact(b"a k3y/with+special=chars&7f3a9c7f3a9c", [WRITTEN_KEY]) == b"a [redacted]7f3a9c"


def test_redact_cuts_each_secret_and_keeps_the_rest() -> None:
    body = b'{"Error": {"Message": "tok-1234567890 and cl!ent~secret"}}'
    assert redact(body, ["tok-1234567890", "cl!ent~secret", ""]) == (
        b'{"Error": {"Message": "[redacted] and [redacted]"}}'
    )
    assert redact(body, []) == body
