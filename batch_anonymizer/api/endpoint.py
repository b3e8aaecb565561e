"""Where requests go: a CustomerGauge region or another base URL, and the answer format.

An endpoint is refused when made if it would send a secret in clear: plain
``http://`` is for this machine only (the sandbox on 127.0.0.1, ::1,
localhost), since the ``Authorization`` header (or the OAuth2 client secret)
would cross the network readable by anyone on the way. The proxy the
environment names for it is checked then too, so a bad ``HTTPS_PROXY`` ends
in exit 2 before anything is written or sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ..core.errors import UsageError
from .proxy import is_loopback_host, route_for

REGIONS = ("eu", "us", "au")
#: CustomerGauge's production API hosts, one per region: any other host is a test server.
PRODUCTION_HOSTS = frozenset(f"api.{region}.customergauge.com" for region in REGIONS)
API_VERSION = "v4.1"
FORMATS = ("json", "xml")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go. ``base_url`` is scheme://host[:port][/path], with no userinfo.

    A path (a gateway that serves the API under ``/api``) is kept: every
    request goes below it.
    """

    base_url: str
    fmt: str = "json"  # json | xml
    region: str = ""
    token_url: str = ""  # OAuth2 token endpoint

    def __post_init__(self) -> None:
        check_url(self.base_url, "--base-url")
        if self.token_url:
            check_url(self.token_url, "--oauth-token-url")

    @classmethod
    def for_region(cls, region: str, fmt: str = "json") -> Endpoint:
        """The vendor's own hosts for ``region`` (eu, us, au)."""
        if region not in REGIONS:
            raise UsageError(f"unknown region {region!r}: use one of {', '.join(REGIONS)}")
        return cls(
            f"https://api.{region}.customergauge.com",
            fmt,
            region,
            f"https://auth.{region}.customergauge.com/oauth2/token",
        )

    @classmethod
    def for_base_url(cls, base_url: str, fmt: str = "json") -> Endpoint:
        """Another host (a standalone sandbox, a proxy). Refuses credentials in the URL.

        Plain ``http://`` is refused unless the host is this machine (``UsageError``).
        A path is kept (``https://gw.example.com/api`` sends to ``/api/v4.1/...``);
        a query or a fragment, which no request could keep, is refused.
        """
        parts = urlsplit(base_url)
        if parts.username is not None or parts.password is not None:
            # The URL is recorded in reports, journals and manifests: it must hold no secret.
            raise UsageError(
                "--base-url must not hold a user name or password (user:secret@host); "
                "give the API key with --api-key-file or CUSTOMERGAUGE_API_KEY instead"
            )
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--base-url must look like https://host[:port], got {base_url!r}")
        try:
            port = parts.port
        except ValueError:
            raise UsageError(f"--base-url has a port that is not a number: {base_url!r}") from None
        if parts.query or parts.fragment or "?" in base_url or "#" in base_url:
            raise UsageError(  # not echoed: a query may hold a key
                "--base-url must not hold a query or a fragment (?… or #…): give "
                "https://host[:port][/path] only"
            )
        base = f"{parts.scheme}://{_netloc(parts.hostname, port)}{parts.path.rstrip('/')}"
        return cls(base, fmt, "", f"{base}/oauth2/token")

    @property
    def url(self) -> str:
        """The anonymize endpoint."""
        return f"{self.base_url}/{API_VERSION}/anonymize.{self.fmt}"

    @property
    def unsubscribe_url(self) -> str:
        """The account's unsubscribe list (the stop list): POST adds an ``email``."""
        return f"{self.base_url}/{API_VERSION}/lists/unsubscribe.{self.fmt}"

    @property
    def host(self) -> str:
        """host[:port], as recorded in the run facts (never with userinfo)."""
        parts = urlsplit(self.base_url)
        return _netloc(parts.hostname or "", parts.port)

    @property
    def is_production(self) -> bool:
        """Whether requests go to one of CustomerGauge's production hosts (https, port 443)."""
        parts = urlsplit(self.base_url)
        host = (parts.hostname or "").lower().rstrip(".")
        return parts.scheme == "https" and parts.port in (None, 443) and host in PRODUCTION_HOSTS

    @property
    def is_loopback(self) -> bool:
        """Whether the host is this machine (the sandbox)."""
        return is_loopback_host(urlsplit(self.base_url).hostname or "")


def check_url(url: str, option: str) -> None:
    """Refuse a URL a secret would be sent to unsafely: no userinfo, and http:// only to loopback.

    Also checks the proxy the environment names for it (``route_for``).
    Raises ``UsageError`` (exit 2) with one line naming ``https://``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option} must look like https://host[:port], got a {parts.scheme!r} URL")
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"{option} must not hold a user name or password (user:secret@host)")
    try:
        where = _netloc(parts.hostname, parts.port)
    except ValueError:
        raise UsageError(f"{option} has a port that is not a number") from None
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UsageError(
            f"{option} http://{where} would send the credentials in clear: use "
            f"https://{where} (plain http:// is for this machine only: 127.0.0.1, ::1, localhost)"
        )
    route_for(url)


def _netloc(hostname: str, port: int | None) -> str:
    host = f"[{hostname}]" if ":" in hostname else hostname
    return host if port is None else f"{host}:{port}"
