"""Which anonymize API a run speaks: v4.1 or v6, as asked, or as the run it continues.

``choose_api`` decides before anything is written or sent, and refuses what
cannot work (``UsageError``, exit 2): v6 without OAuth2 client credentials
(v6 takes Bearer tokens only), v6 with XML answers, a v6 telephone field for
v4.1. A resume or a retry keeps the earlier run's API, and with v6 its
telephone field, unless the options name them; a report or journal older
than v6 spoke v4.1. The choice is recorded in the run facts: ``api_version``,
and ``setting.v6_phone_field`` and (resume, retry) ``setting.api_from``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..api.auth import OAuth2Auth
from ..api.v6 import API_VERSIONS, DEFAULT_PHONE_FIELD, PHONE_FIELDS, V6, V41, V6Call
from ..core.errors import UsageError
from .options import RunOptions
from .prepare import Prepared

V6_NEEDS_OAUTH = (
    "the v6 API takes OAuth2 tokens only: give --oauth-client-id ID, with the client secret "
    "in CUSTOMERGAUGE_CLIENT_SECRET or --oauth-secret-file (an API key is not enough)"
)
NOTHING_SENT = "; nothing was sent"

#: ``setting.api_from``: where a resumed or retried run's API came from.
FROM_OPTION = "--api"
FROM_EARLIER = "the earlier run"
FROM_DEFAULT = "default"
FROM_UNRECORDED = "default (the earlier run's .csv does not record its API)"


@dataclass(frozen=True, slots=True)
class ApiChoice:
    """The API of a run, where the choice came from, and what the run it continues spoke."""

    version: str  # v4.1 or v6
    phone_field: str = ""  # v6: the telephone field's name; "" for v4.1
    source: str = FROM_DEFAULT  # one of the FROM_* values
    earlier: str | None = None  # the continued run's API ("": not recorded); None: no such run
    earlier_field: str = ""  # v6: the continued run's telephone field ("": none, not recorded)

    @property
    def call(self) -> V6Call | None:
        """How v6 requests are made and read; None for v4.1."""
        return V6Call(self.phone_field) if self.version == V6 else None

    def settings(self) -> tuple[tuple[str, str], ...]:
        """What the run facts record of the choice, beside ``api_version``."""
        shown: list[tuple[str, str]] = []
        if self.version == V6:
            shown.append(("v6_phone_field", self.phone_field))
        if self.earlier is not None:
            shown.append(("api_from", self.source))
        return tuple(shown)

    def note(self) -> str:
        """One sentence for people when a resume or retry continues another API, else ""."""
        if self.earlier is None:
            return ""
        if self.source == FROM_OPTION and self.earlier and self.earlier != self.version:
            return (
                f"the run this continues used the {self.earlier} API; this run uses "
                f"{self.version}, as --api says"
            )
        if self.source == FROM_EARLIER and self.version == V6:
            if self.earlier_field and self.earlier_field != self.phone_field:
                return (
                    f"this run uses the v6 API, as the run it continues did, with the telephone "
                    f"field '{self.phone_field}' as --v6-phone-field says (that run sent "
                    f"'{self.earlier_field}'); --api v4.1 would change the API"
                )
            return (
                f"this run uses the v6 API (telephone field '{self.phone_field}'), as the run "
                "it continues did; --api v4.1 would change that"
            )
        if self.source == FROM_UNRECORDED:
            return (
                "the earlier run's .csv does not record which API it used: this run uses "
                "v4.1; give --api v6 if it used v6"
            )
        return ""


def choose_api(prep: Prepared, opts: RunOptions) -> ApiChoice:
    """The API ``opts`` asks for, else the one of the run ``prep`` continues, else v4.1.

    Raises ``UsageError`` for a choice that cannot work (see the module's text).
    """
    previous = prep.previous
    earlier = previous.api_version if previous is not None else None
    if opts.api is not None:
        if opts.api not in API_VERSIONS:
            raise UsageError(
                f"unknown API {opts.api!r}: use one of {', '.join(API_VERSIONS)}{NOTHING_SENT}"
            )
        version, source = opts.api, FROM_OPTION
    elif earlier in API_VERSIONS:
        version, source = str(earlier), FROM_EARLIER
    elif earlier:
        raise UsageError(
            f"the run this continues used the API {earlier!r}, which this version does not "
            f"speak: give --api {' or --api '.join(API_VERSIONS)}{NOTHING_SENT}"
        )
    else:
        version, source = V41, FROM_UNRECORDED if earlier == "" else FROM_DEFAULT
    if version != V6:
        if opts.v6_phone_field is not None:
            raise UsageError(
                "--v6-phone-field applies to the v6 API only: add --api v6, or leave it out"
                + NOTHING_SENT
            )
        return ApiChoice(version, "", source, earlier)
    kept = previous.v6_phone_field if previous is not None and earlier == V6 else ""
    field = opts.v6_phone_field or (kept if kept in PHONE_FIELDS else "") or DEFAULT_PHONE_FIELD
    if field not in PHONE_FIELDS:
        raise UsageError(
            f"unknown v6 telephone field {field!r}: use one of {', '.join(PHONE_FIELDS)}"
            + NOTHING_SENT
        )
    if opts.fmt == "xml" or (opts.endpoint is not None and opts.endpoint.fmt == "xml"):
        raise UsageError(
            "the v6 API answers in JSON only: leave out --format xml (it is for v4.1)"
            + NOTHING_SENT
        )
    if opts.endpoint is not None and not isinstance(opts.auth, OAuth2Auth):
        why = V6_NEEDS_OAUTH
        if source == FROM_EARLIER:
            why = f"the run this continues used v6, and {why}; or give --api v4.1"
        raise UsageError(why + NOTHING_SENT)
    return ApiChoice(V6, field, source, earlier, kept if kept in PHONE_FIELDS else "")
