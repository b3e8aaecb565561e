"""Which way a request goes: straight, or through the proxy the environment names.

``HTTPS_PROXY`` / ``HTTP_PROXY`` (either case) name the proxy for ``https://``
and ``http://`` URLs, ``ALL_PROXY`` the proxy for either when that one is not
set, and ``NO_PROXY`` the hosts reached straight, as curl and most tools read
them. Only HTTP proxies (CONNECT) can be used: a ``socks5://`` one (common in
``ALL_PROXY``) is refused with exit 2, never silently passed by. A loopback
host (the sandbox) is always reached straight: a proxy in the environment must
not take the simulator away.

This is not aiohttp's ``trust_env``: that also reads ``~/.netrc``, which would
send a netrc password to the token endpoint as Basic auth, and make every
anonymize request fail (aiohttp refuses a netrc login next to our own
``Authorization`` header). Proxy credentials (``http://user:pass@proxy:3128``)
go to the proxy only, in ``Proxy-Authorization``; they are never shown in a
``repr`` or a message, and never recorded.
"""

from __future__ import annotations

import base64
import ipaddress
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from ..core.errors import UsageError


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is this machine: ``localhost`` or a loopback address."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Route:
    """How to reach a URL: ``proxy`` None is straight; ``headers`` are for the proxy only."""

    proxy: str | None = None  # scheme://host[:port] of the proxy, never with credentials
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # Proxy-Authorization


DIRECT = Route()


def route_for(url: str) -> Route:
    """The route the environment gives ``url``. Raises ``UsageError`` for a proxy we cannot use."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or is_loopback_host(host):
        return DIRECT
    proxies = urllib.request.getproxies_environment()
    raw, variable = proxies.get(parts.scheme, "").strip(), f"{parts.scheme.upper()}_PROXY"
    if not raw:  # curl's fallback for every scheme
        raw, variable = proxies.get("all", "").strip(), "ALL_PROXY"
    if not raw:
        return DIRECT
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if bypassed(host, port, proxies.get("no", "")):
        return DIRECT
    return _proxy(raw, variable)


def bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` names ``host``, as curl reads it.

    Entries are separated by commas: ``*`` (every host), a name that matches
    itself and its subdomains (``example.com``, ``.example.com``), an address
    or a network (``10.0.0.0/8``), each optionally with ``:port``.
    """
    host = host.lower().rstrip(".")
    for entry in no_proxy.split(","):
        name = entry.strip().lower()
        if name == "*":
            return True
        name, wanted = _split_port(name)
        if not name or (wanted is not None and wanted != port):
            continue
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(name.strip("[]"), strict=False):
                return True
            continue
        except ValueError:
            pass
        name = name.lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    """``host:port`` (or ``[v6]:port``) into its parts; a bare IPv6 address keeps its colons."""
    head, colon, tail = entry.rpartition(":")
    if colon and tail.isdigit() and (head.endswith("]") or ":" not in head):
        return head, int(tail)
    return entry, None


def _proxy(raw: str, variable: str) -> Route:
    given = urlsplit(raw if "://" in raw else f"http://{raw}")
    try:
        port = given.port
    except ValueError:
        port = -1
    if given.scheme not in ("http", "https") or not given.hostname or port == -1:
        # The value may hold a password: name the variable and the scheme, never the value.
        raise UsageError(
            f"{variable} must name an http:// or https:// proxy as scheme://host[:port] "
            f"(it names a {given.scheme}:// one, or no host); fix it or unset it"
        )
    host = f"[{given.hostname}]" if ":" in given.hostname else given.hostname
    proxy = f"{given.scheme}://{host}" + ("" if port is None else f":{port}")
    headers = {}
    if given.username is not None:
        login = unquote(given.username)
        if ":" in login:
            raise UsageError(f"{variable}: the proxy user name must not hold ':'")
        pair = f"{login}:{unquote(given.password or '')}".encode()
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    return Route(proxy, headers)
