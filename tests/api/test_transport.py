"""Transport: no secret in clear over plain http://, and the environment's proxy honoured.

Issue 17, "Transport". No test here can reach a real host: ``block_dns``
fails every name but this machine's, the proxies are fake ones on 127.0.0.1
set before any request, and a proxied request never resolves its target.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from aiohttp import web
from conftest import API_KEY, only_report, write_csv
from hostile import (
    OK,
    FakeProxy,
    Resolved,
    Seen,
    Served,
    block_dns,
    clear_proxies,
    everything_written,
    json_answer,
)

from batch_anonymizer.api.auth import ApiKeyAuth, OAuth2Auth
from batch_anonymizer.api.classify import Answer, Kind, Transport, classify
from batch_anonymizer.api.endpoint import Endpoint
from batch_anonymizer.api.proxy import DIRECT, Route, bypassed, route_for
from batch_anonymizer.api.sender import HttpSender
from batch_anonymizer.api.v6 import V6Call
from batch_anonymizer.audit.reportread import read_report
from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.errors import ExitCode, HaltError, UsageError
from batch_anonymizer.core.records import KeyType

PROXY_USER, PROXY_PASS = "proxy-user", "proxy-pass-3e1f"


@pytest.fixture(autouse=True)
def no_outside_world(monkeypatch: pytest.MonkeyPatch) -> Resolved:
    clear_proxies(monkeypatch)
    return block_dns(monkeypatch)


# -- plain http:// ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "https"),
    [
        ("http://api.example.com", "https://api.example.com"),
        ("HTTP://API.Example.COM:8080/v4.1", "https://api.example.com:8080"),
        ("http://10.0.0.5", "https://10.0.0.5"),
        ("http://[2001:db8::1]:80", "https://[2001:db8::1]:80"),
        ("http://127.0.0.1.example.com", "https://127.0.0.1.example.com"),
        ("http://localhost.example.com", "https://localhost.example.com"),
    ],
)
def test_plain_http_to_another_host_is_refused_naming_https(url: str, https: str) -> None:
    with pytest.raises(UsageError) as caught:
        Endpoint.for_base_url(url)
    assert f"use {https} " in caught.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://127.0.0.2:9",
        "http://localhost:1",
        "http://[::1]:9",
        "https://api.example.com",
    ],
)
def test_plain_http_stays_allowed_to_this_machine(url: str) -> None:
    assert Endpoint.for_base_url(url).base_url == url


def test_a_path_in_the_base_url_is_kept_for_every_request() -> None:
    """Issue 23, low: `--base-url http://host/api` dropped `/api` silently."""
    endpoint = Endpoint.for_base_url("https://gw.example.com:8443/api/cg/")
    assert endpoint.base_url == "https://gw.example.com:8443/api/cg"
    assert endpoint.url == "https://gw.example.com:8443/api/cg/v4.1/anonymize.json"
    assert (
        endpoint.unsubscribe_url == "https://gw.example.com:8443/api/cg/v4.1/lists/unsubscribe.json"
    )
    assert endpoint.token_url == "https://gw.example.com:8443/api/cg/oauth2/token"
    assert V6Call().url(endpoint) == (
        "https://gw.example.com:8443/api/cg/v6/system-admin/data-admin/contacts/anonymize"
    )
    assert endpoint.host == "gw.example.com:8443"


@pytest.mark.parametrize(
    "url", ["https://gw.example.com/api?api_key=k3y-9", "https://gw.example.com/#x"]
)
def test_a_query_or_fragment_in_the_base_url_is_refused_without_echo(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        Endpoint.for_base_url(url)
    assert caught.value.message.startswith("--base-url must not hold a query or a fragment")
    assert "k3y" not in caught.value.message


def test_a_run_sends_below_the_base_url_path(cli, tmp_path: Path) -> None:
    async def gateway(request: web.Request, seen: Seen) -> web.Response:
        return json_answer(b'{"Error": {"Message": "no such path"}}', 404)

    src = write_csv(tmp_path / "in.csv", ["Email"], [["a0@example.com"]])
    with Served(gateway) as server:
        cli("run", src, "--base-url", f"{server.url}/api", "--yes", "--rate", "0", "--no-progress")
    assert server.seen and {s.path.split("?")[0] for s in server.seen} == {
        "/api/v4.1/anonymize.json"
    }


def test_every_way_to_make_an_endpoint_or_a_token_url_refuses_plain_http() -> None:
    with pytest.raises(UsageError):
        Endpoint("http://api.example.com")
    with pytest.raises(UsageError):
        Endpoint("https://api.example.com", token_url="http://auth.example.com/oauth2/token")
    with pytest.raises(UsageError) as caught:
        OAuth2Auth("client-7", "cl!ent-secret", "http://auth.example.com/oauth2/token")
    assert "use https://auth.example.com " in caught.value.message
    with pytest.raises(UsageError) as caught:
        OAuth2Auth("client-7", "cl!ent-secret", "https://u:topsecret@auth.example.com/token")
    assert "topsecret" not in caught.value.message


def test_the_cli_refuses_plain_http_even_for_a_dry_run(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["a0@example.com"]])
    res = cli("run", src, "--base-url", "http://api.example.com", "--dry-run", "--no-progress")
    assert res.code == ExitCode.USAGE
    assert res.err.splitlines() == [
        "error: --base-url http://api.example.com would send the credentials in clear: use "
        "https://api.example.com (plain http:// is for this machine only: 127.0.0.1, ::1, "
        "localhost)"
    ]
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


@pytest.mark.parametrize("port", ["abc", "99999"])
def test_a_base_url_port_that_is_no_port_is_one_line_not_a_traceback(
    cli, tmp_path: Path, port: str
) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["a0@example.com"]])
    url = f"https://api.example.com:{port}"
    res = cli("run", src, "--base-url", url, "--dry-run", "--no-progress")
    assert res.code == ExitCode.USAGE
    assert res.err.splitlines() == [f"error: --base-url has a port that is not a number: {url!r}"]


def test_the_cli_refuses_a_plain_http_token_url(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CUSTOMERGAUGE_CLIENT_SECRET", "cl!ent-secret")
    src = write_csv(tmp_path / "in.csv", ["Email"], [["a0@example.com"]])
    res = cli(
        "run", src, "--region", "eu", "--oauth-client-id", "client-7", "--oauth-token-url",
        "http://auth.example.com/oauth2/token", "--dry-run", "--no-progress",
    )  # fmt: skip
    assert res.code == ExitCode.USAGE
    assert len(res.err.splitlines()) == 1 and "use https://auth.example.com " in res.err


# -- which proxy ---------------------------------------------------------------------------

PROXY = "http://proxy.example.net:3128"
ROUTES = [
    # (environment, url, route)
    ({}, "https://api.example.com", DIRECT),
    ({"HTTPS_PROXY": PROXY}, "https://api.example.com/v4.1/anonymize.json", Route(PROXY)),
    ({"https_proxy": PROXY}, "https://api.example.com", Route(PROXY)),
    ({"HTTPS_PROXY": "proxy.example.net:3128"}, "https://api.example.com", Route(PROXY)),
    ({"HTTPS_PROXY": "https://proxy.example.net"}, "https://api.example.com",
     Route("https://proxy.example.net")),
    ({"HTTP_PROXY": PROXY}, "https://api.example.com", DIRECT),  # that is for http:// URLs
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "example.com"}, "https://api.example.com", DIRECT),
    ({"HTTPS_PROXY": PROXY, "no_proxy": ".example.com"}, "https://api.example.com", DIRECT),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "*"}, "https://api.example.com", DIRECT),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "other.example.com"}, "https://api.example.com",
     Route(PROXY)),
    ({"HTTPS_PROXY": PROXY}, "https://127.0.0.1:8443", DIRECT),  # loopback: never proxied
    ({"HTTPS_PROXY": PROXY, "HTTP_PROXY": PROXY}, "http://127.0.0.1:8080", DIRECT),
    ({"HTTP_PROXY": PROXY}, "http://localhost:8080", DIRECT),
    ({"HTTPS_PROXY": PROXY}, "https://[::1]:8443", DIRECT),
    # ALL_PROXY, when the scheme's own is not set (issue 23: it was ignored without a word)
    ({"ALL_PROXY": PROXY}, "https://api.example.com", Route(PROXY)),
    ({"all_proxy": PROXY}, "http://api.example.com", Route(PROXY)),
    ({"ALL_PROXY": "http://other.example.net:8080", "HTTPS_PROXY": PROXY},
     "https://api.example.com", Route(PROXY)),
    ({"ALL_PROXY": PROXY, "NO_PROXY": "example.com"}, "https://api.example.com", DIRECT),
    ({"ALL_PROXY": PROXY}, "https://127.0.0.1:8443", DIRECT),
]  # fmt: skip


@pytest.mark.parametrize(("env", "url", "route"), ROUTES)
def test_the_route_the_environment_gives(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], url: str, route: Route
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert route_for(url) == route


def test_proxy_credentials_go_to_the_proxy_only_and_are_never_shown(monkeypatch) -> None:
    monkeypatch.setenv(
        "HTTPS_PROXY", f"http://{PROXY_USER}:proxy%2Fpass%40x@proxy.example.net:3128"
    )
    route = route_for("https://api.example.com")
    assert route.proxy == PROXY
    pair = base64.b64encode(f"{PROXY_USER}:proxy/pass@x".encode()).decode()
    assert route.headers == {"Proxy-Authorization": f"Basic {pair}"}
    assert "pass" not in repr(route) and "pass" not in str(route.proxy)
    assert Endpoint.for_base_url("https://api.example.com").host == "api.example.com"


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "ALL_PROXY"])
@pytest.mark.parametrize("value", ["socks5://u:s3cret-9@proxy.example.net:1080", "http://:99999"])
def test_a_proxy_that_cannot_be_used_is_refused_when_the_endpoint_is_made(
    monkeypatch: pytest.MonkeyPatch, value: str, variable: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(UsageError) as caught:
        Endpoint.for_region("eu")
    assert caught.value.message.startswith(f"{variable} must name an http:// or https:// proxy")
    assert "s3cret" not in caught.value.message
    Endpoint.for_base_url("http://127.0.0.1:8080")  # the sandbox is reached straight anyway


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "expected"),
    [
        ("api.example.com", 443, "example.com", True),
        ("api.example.com", 443, " .example.com , other.org", True),
        ("api.example.com", 443, "EXAMPLE.COM", True),
        ("xexample.com", 443, "example.com", False),
        ("api.example.com", 443, "example.com:8443", False),
        ("api.example.com", 443, "example.com:443", True),
        ("10.1.2.3", 443, "10.0.0.0/8", True),
        ("10.1.2.3", 443, "192.168.0.0/16", False),
        ("2001:db8::5", 443, "2001:db8::/32", True),
        ("api.example.com", 443, "*", True),
        ("api.example.com", 443, "", False),
    ],
)
def test_no_proxy_is_read_as_curl_reads_it(
    host: str, port: int, no_proxy: str, expected: bool
) -> None:
    assert bypassed(host, port, no_proxy) is expected


# -- over the wire ---------------------------------------------------------------------------


async def send(endpoint: Endpoint, auth: ApiKeyAuth | OAuth2Auth | None = None) -> list[Answer]:
    async with HttpSender(
        endpoint, auth or ApiKeyAuth(API_KEY), timeout=5, connections=1
    ) as sender:
        return [
            await sender.anonymize(KeyType.EMAIL, "a0@example.com"),
            await sender.lookup(KeyType.EMAIL, "a0@example.com"),
        ]


def test_a_vendor_host_is_reached_through_the_https_proxy(
    monkeypatch: pytest.MonkeyPatch, no_outside_world
) -> None:
    with FakeProxy() as proxy:  # answers every CONNECT with 502: nothing goes further
        monkeypatch.setenv(
            "HTTPS_PROXY", f"http://{PROXY_USER}:{PROXY_PASS}@127.0.0.1:{proxy.port}"
        )
        answers = asyncio.run(send(Endpoint.for_region("eu")))
    assert [h[0] for h in proxy.heads] == ["CONNECT api.eu.customergauge.com:443 HTTP/1.1"] * 2
    credentials = base64.b64encode(f"{PROXY_USER}:{PROXY_PASS}".encode()).decode()
    assert all(f"Proxy-Authorization: Basic {credentials}" in h for h in proxy.heads)
    assert not any(line.lower().startswith("authorization") for h in proxy.heads for line in h)
    assert no_outside_world.blocked == []  # the vendor's name was never even resolved
    for answer in answers:
        verdict = classify(answer)
        assert (answer.status, answer.transport, answer.sent) == (None, Transport.REFUSED, False)
        assert (verdict.kind, verdict.code, verdict.uncertain) == (
            Kind.TRANSIENT,
            Reason.CONNECTION,
            False,  # the tunnel was refused: the request never reached the vendor
        )
        assert PROXY_PASS not in answer.detail + verdict.message


def test_the_oauth2_token_request_goes_through_the_proxy_too(
    monkeypatch: pytest.MonkeyPatch, no_outside_world
) -> None:
    with FakeProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
        endpoint = Endpoint.for_region("eu")
        auth = OAuth2Auth("client-7", "cl!ent-secret", endpoint.token_url)
        with pytest.raises(HaltError) as caught:
            asyncio.run(send(endpoint, auth))
    assert [h[0] for h in proxy.heads] == ["CONNECT auth.eu.customergauge.com:443 HTTP/1.1"]
    assert caught.value.message.startswith(
        "could not reach the OAuth2 token endpoint auth.eu.customergauge.com (ClientHttpProxyError)"
    )
    assert no_outside_world.blocked == []


def test_no_proxy_sends_a_host_straight(monkeypatch: pytest.MonkeyPatch, no_outside_world) -> None:
    with FakeProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "localhost,example.com")
        answers = asyncio.run(send(Endpoint.for_base_url("https://api.example.com")))
    assert proxy.heads == []
    assert no_outside_world.blocked == ["api.example.com"] * 2  # went straight; the guard said no
    assert [(a.status, a.transport) for a in answers] == [(None, Transport.REFUSED)] * 2


def test_the_sandbox_is_reached_straight_whatever_proxy_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def vendor(request: web.Request, seen: Seen) -> web.Response:
        return json_answer(OK if request.method == "POST" else b'{"Data": []}')

    with FakeProxy() as proxy, Served(vendor) as server:
        for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
            monkeypatch.setenv(name, proxy.url)
        answers = asyncio.run(send(Endpoint.for_base_url(server.url)))
    assert [a.status for a in answers] == [200, 200]
    assert proxy.heads == [] and len(server.seen) == 2


def test_a_netrc_is_never_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """aiohttp's trust_env would send a ~/.netrc password as Basic auth, and refuse our header."""
    netrc = tmp_path / "netrc"
    netrc.write_text("default login netrc-user password netrc-pass-77aa\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".netrc").write_text(netrc.read_text())

    async def vendor(request: web.Request, seen: Seen) -> web.Response:
        if request.path == "/oauth2/token":
            return json_answer(b'{"access_token": "tok-1234567890", "expires_in": 3600}')
        return json_answer(OK)

    with FakeProxy() as proxy, Served(vendor) as server:
        auth = OAuth2Auth("client-7", "cl!ent-secret", f"{server.url}/oauth2/token")
        answers = asyncio.run(send(Endpoint.for_base_url(server.url), auth))
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        proxied = asyncio.run(send(Endpoint.for_region("eu")))
    assert [a.status for a in answers] == [200, 200]
    assert [s.headers.get("Authorization") for s in server.seen] == [
        None,  # the token request: the client secret is in the form, nothing else
        "Bearer tok-1234567890",
        "Bearer tok-1234567890",
    ]
    assert [a.transport for a in proxied] == [Transport.REFUSED] * 2  # no ValueError
    assert not any(
        "netrc" in base64.b64decode(line.split()[-1]).decode()
        for h in proxy.heads
        for line in h
        if line.startswith("Proxy-Authorization")
    )


def test_a_run_through_a_proxy_records_no_proxy_credentials(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_outside_world
) -> None:
    with FakeProxy() as proxy:
        monkeypatch.setenv(
            "HTTPS_PROXY", f"http://{PROXY_USER}:{PROXY_PASS}@127.0.0.1:{proxy.port}"
        )
        res = cli(
            "run", write_csv(tmp_path / "in.csv", ["Email"], [["a0@example.com"]]),
            "--region", "eu", "--yes", "--no-verify", "--max-retries", "0", "--no-progress",
        )  # fmt: skip
    assert res.code == ExitCode.PROBLEMS, res.out + res.err
    assert len(proxy.heads) == 1 and no_outside_world.blocked == []
    report = read_report(only_report(tmp_path / "reports"))
    assert report.facts["endpoint_host"] == "api.eu.customergauge.com"
    assert [(r["status"], r["error_code"], r["attempts"]) for r in report.rows] == [
        ("failed", "retries_exhausted", "1")
    ]
    written = everything_written(tmp_path, res.out, res.err)
    assert PROXY_PASS.encode() not in written and PROXY_USER.encode() not in written
