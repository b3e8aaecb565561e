"""Where requests go: a CustomerGauge region or another base URL, and the answer format."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ..core.errors import UsageError

REGIONS = ("eu", "us", "au")
API_VERSION = "v4.1"
FORMATS = ("json", "xml")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests go. ``base_url`` is scheme://host[:port] with no path and no userinfo."""

    base_url: str
    fmt: str = "json"  # json | xml
    region: str = ""
    token_url: str = ""  # OAuth2 token endpoint

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
        """Another host (a standalone sandbox, a proxy). Refuses credentials in the URL."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--base-url must look like https://host[:port], got {base_url!r}")
        if parts.username is not None or parts.password is not None:
            # The URL is recorded in reports, journals and manifests: it must hold no secret.
            raise UsageError(
                "--base-url must not hold a user name or password (user:secret@host); "
                "give the API key with --api-key-file or CUSTOMERGAUGE_API_KEY instead"
            )
        base = f"{parts.scheme}://{_netloc(parts.hostname, parts.port)}"
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
    def is_loopback(self) -> bool:
        """Whether the host is this machine (the sandbox)."""
        host = urlsplit(self.base_url).hostname or ""
        return host in ("127.0.0.1", "localhost", "::1")


def _netloc(hostname: str, port: int | None) -> str:
    host = f"[{hostname}]" if ":" in hostname else hostname
    return host if port is None else f"{host}:{port}"
