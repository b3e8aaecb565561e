"""The v6 anonymize call: its request, and what its (unpublished) answers mean."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_anonymizer.api.breakers import Breakers
from batch_anonymizer.api.classify import MAX_ANSWER_BYTES, Answer, Kind, Transport
from batch_anonymizer.api.endpoint import Endpoint
from batch_anonymizer.api.settings import Settings
from batch_anonymizer.api.v6 import V6Call, classify_v6, names_other_field
from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.errors import AnonymizerError, UsageError
from batch_anonymizer.core.records import KeyType, Status

T, P, S, A = Kind.TRANSIENT, Kind.PERMANENT, Kind.SUCCESS, Kind.AUTH
R = Reason


def test_the_request_is_one_json_field_to_the_v6_path() -> None:
    ep = Endpoint.for_region("eu")
    call = V6Call()
    assert call.url(ep) == (
        "https://api.eu.customergauge.com/v6/system-admin/data-admin/contacts/anonymize"
    )
    assert json.loads(call.body(KeyType.EMAIL, "ann@example.com")) == {"email": "ann@example.com"}
    assert json.loads(call.body(KeyType.TELEPHONE, "447700900123")) == {"phone": "447700900123"}
    other = V6Call("telephone")
    assert json.loads(other.body(KeyType.TELEPHONE, "12025550143")) == {"telephone": "12025550143"}
    with pytest.raises(UsageError):
        V6Call("mobile")


V41_ERROR = b'{"Error": {"Message": "No records found", "Code": 300005}}'
FIELD_400 = b"{\"message\": \"Unknown field 'telephone': send 'email' or 'phone'\"}"
CASES: list[tuple[str, Answer, str, Kind, str, Reason | None, str, bool]] = [
    # (name, answer, field sent, kind, message contains, code, vendor code, uncertain)
    ("data", Answer(200, b'{"data": {"message": "Contact anonymized"}}'), "email", S,
     "Contact anonymized", None, "", False),
    ("Data, any case", Answer(200, b'{"DATA": {"Message": "ok"}}'), "email", S, "ok", None, "",
     False),
    ("success true", Answer(200, b'{"success": true}'), "phone", S, "anonymized", None, "", False),
    ("204 no content", Answer(204, b""), "email", S, "204", None, "", False),
    ("200 empty", Answer(200, b""), "email", T, "empty body", R.BAD_ANSWER, "", True),
    ("200 bare message", Answer(200, b'{"message": "Contact anonymized"}'), "email", T,
     "not known to give", R.BAD_ANSWER, "", True),
    ("200 html", Answer(200, b"<html><body>hello</body></html>"), "email", T, "hello",
     R.BAD_ANSWER, "", True),
    ("200 error string", Answer(200, b'{"error": "Internal error"}'), "email", P,
     "Internal error", R.VENDOR_ERROR, "", False),
    ("200 errors list", Answer(200, b'{"errors": [{"code": 300001, "message": "bad key"}]}'),
     "email", P, "bad key", R.VENDOR_ERROR, "300001", False),
    ("200 success false", Answer(200, b'{"success": false, "message": "no"}'), "email", P, "no",
     R.VENDOR_ERROR, "", False),
    ("200 status error", Answer(200, b'{"status": "Error", "message": "nope"}'), "email", P,
     "nope", R.VENDOR_ERROR, "", False),
    ("data and error", Answer(200, b'{"data": {}, "error": "x"}'), "email", T, "contradicts",
     R.BAD_ANSWER, "", True),
    ("error inside data", Answer(200, b'{"data": {"result": {"Errors": ["x"]}}}'), "email", T,
     "contradicts", R.BAD_ANSWER, "", True),
    ("error beside success", Answer(200, b'{"success": true, "meta": {"error": "x"}}'), "email",
     T, "contradicts", R.BAD_ANSWER, "", True),
    ("key twice", Answer(200, b'{"data": {}, "Data": null}'), "email", T, "contradicts",
     R.BAD_ANSWER, "", True),
    ("empty errors beside data", Answer(200, b'{"data": {"message": "done"}, "errors": []}'),
     "email", S, "done", None, "", False),
    ("400 message", Answer(400, b'{"message": "Email is not valid", "code": 300004}'), "email",
     P, "Email is not valid", R.VENDOR_ERROR, "300004", False),
    ("400 Laravel errors", Answer(400, b'{"errors": {"email": ["The email must be valid."]}}'),
     "email", P, "email: The email must be valid.", R.VENDOR_ERROR, "", False),
    ("400 v4.1 Error body", Answer(400, V41_ERROR), "phone", P, "No records found",
     R.VENDOR_ERROR, "300005", False),
    ("400 without words", Answer(400, b"{}"), "email", P, "HTTP 400", R.HTTP_ERROR, "", False),
    ("400 other name", Answer(400, FIELD_400), "telephone", P, "--v6-phone-field phone",
     R.V6_FIELD_REFUSED, "", False),
    ("400 field dict", Answer(400, b'{"errors": {"telephone": ["is required"]}}'), "phone", P,
     "--v6-phone-field telephone", R.V6_FIELD_REFUSED, "", False),
    ("400 sent name not allowed", Answer(400, b'{"error": "field phone is not allowed"}'),
     "phone", P, "--v6-phone-field telephone", R.V6_FIELD_REFUSED, "", False),
    ("400 bad value, not the name", Answer(400, b'{"message": "Phone is not valid"}'), "phone", P,
     "Phone is not valid", R.VENDOR_ERROR, "", False),
    ("400 names a field, email sent", Answer(400, FIELD_400), "email", P, "Unknown field",
     R.VENDOR_ERROR, "", False),
    ("401", Answer(401, b'{"message": "Unauthorized"}'), "email", A, "Unauthorized",
     R.HALTED_AUTH, "", False),
    ("403 no body", Answer(403, b""), "email", A, "credentials refused", R.HALTED_AUTH, "", False),
    ("429", Answer(429, b'{"message": "Too Many Requests"}', retry_after="3"), "email", T,
     "Too Many Requests", R.RATE_LIMITED, "", False),
    ("500 message", Answer(500, b'{"message": "Internal server error"}'), "email", T,
     "Internal server error", R.SERVER_ERROR, "", True),
    ("502 html", Answer(502, b"<html><title>502 Bad Gateway</title></html>"), "email", T,
     "502 Bad Gateway", R.SERVER_ERROR, "", True),
    ("307", Answer(307, b""), "email", P, "redirect not followed", R.REDIRECT, "", False),
    ("timeout", Answer(None, transport=Transport.TIMEOUT, detail="timeout"), "email", T,
     "timed out after sending", R.TIMEOUT, "", True),
    ("too long", Answer(200, b"", oversized=True), "email", T, "not read", R.BAD_ANSWER, "",
     True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "answer", "sent", "kind", "text", "code", "vendor", "uncertain"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_v6_classification_table(
    name: str,
    answer: Answer,
    sent: str,
    kind: Kind,
    text: str,
    code: Reason | None,
    vendor: str,
    uncertain: bool,
) -> None:
    v = classify_v6(answer, sent=sent, timeout=30)
    assert (v.kind, v.code, v.vendor_code, v.uncertain) == (kind, code, vendor, uncertain)
    assert text in v.message


def test_a_429_keeps_its_retry_after_and_asks_to_slow_down() -> None:
    v = classify_v6(Answer(429, b'{"message": "slow"}', retry_after="7"), sent="email")
    assert (v.throttled, v.retry_after) == (True, 7.0)


def test_messages_are_sanitised_excerpts() -> None:
    body = json.dumps({"message": "\x1b[31mred\u202e" + "x" * 500}).encode()
    v = classify_v6(Answer(400, body), sent="email")
    assert v.kind is P
    assert "\x1b" not in v.message and "\u202e" not in v.message
    assert len(v.message) <= 200


@pytest.mark.parametrize(
    ("words", "sent", "refused"),
    [
        ("Unknown field 'telephone': send 'email' or 'phone'", "telephone", True),
        ("Unknown field 'phone': send 'email' or 'telephone'", "phone", True),
        ("Please make an API request by email or telephone", "phone", True),
        ("unexpected property phone", "phone", True),
        ("Phone is not valid", "phone", False),
        ("Telephone is not valid", "telephone", False),
        ("telephone", "email", False),
        ("No records found", "phone", False),
        ("smartphone", "telephone", False),  # a word, not a field name
    ],
)
def test_which_words_refuse_the_field_name(words: str, sent: str, refused: bool) -> None:
    assert names_other_field(words, sent) is refused


def test_the_first_field_refusal_trips_the_breaker_at_once() -> None:
    b = Breakers(Settings(max_consecutive_failures=10))
    assert b.record(Status.FAILED, Reason.VENDOR_ERROR, "x") == ""
    halt = b.record(Status.FAILED, Reason.V6_FIELD_REFUSED, "refused 'telephone'")
    assert "every telephone key" in halt and "refused 'telephone'" in halt
    # ... while other failures still need max_consecutive_failures in a row
    b = Breakers(Settings(max_consecutive_failures=3))
    assert [b.record(Status.FAILED, Reason.VENDOR_ERROR) != "" for _ in range(3)] == [
        False,
        False,
        True,
    ]


# -- fuzz: never raises, never a success on an error body ------------------------------------

_KEYS = st.sampled_from(
    ["error", "Error", "ERRORS", "errors", "message", "Message", "data", "Data", "success",
     "status", "code", "phone", "telephone", "email", "x"]
)  # fmt: skip
_SCALARS = st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=12)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=10,
)
_STATUSES = st.sampled_from([200, 201, 204, 299, 301, 400, 401, 403, 404, 408, 422, 429, 500, 503])


def _filled(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v != 0
    if isinstance(v, str):
        return bool(v.strip())
    return v is not None and len(v) > 0


def _carries_error(doc: Any) -> bool:
    """An error anywhere: a non-empty error/errors key (any case), success false, status error."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if k.lower() in ("error", "errors") and _filled(v):
                    return True
                stack.append(v)
        elif isinstance(item, list):
            stack.extend(item)
    if isinstance(doc, dict):
        low = {k.lower(): v for k, v in doc.items()}
        status = low.get("status")
        if low.get("success") is False or (
            isinstance(status, str) and status.strip().lower() in ("error", "fail", "failed")
        ):
            return True
    return False


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=st.dictionaries(_KEYS, _JSON, max_size=5) | _JSON,
    status=_STATUSES,
    sent=st.sampled_from(["email", "phone", "telephone"]),
)
def test_fuzz_json_answers_never_raise_and_errors_are_never_success(
    doc: Any, status: int, sent: str
) -> None:
    body = json.dumps(doc).encode()
    v = classify_v6(Answer(status, body), sent=sent, timeout=30)
    if v.kind is S:
        assert 200 <= status < 300
        assert not _carries_error(doc), body
        assert isinstance(doc, dict) or status == 204
    assert v.message.isprintable() and len(v.message) <= 400
    assert (v.code is None) == (v.kind is S)


@settings(deadline=None)
@given(
    raw=st.binary(max_size=300)
    | st.text(max_size=200).map(str.encode)
    | st.builds(lambda a, b: a + b, st.sampled_from([b"{", b"[", b"<", b'{"data":']), st.binary()),
    status=st.integers(100, 599) | st.none(),
    oversized=st.booleans(),
)
def test_fuzz_any_bytes_never_raise_anything_but_our_errors(
    raw: bytes, status: int | None, oversized: bool
) -> None:
    answer = Answer(status, raw[:MAX_ANSWER_BYTES], transport=None if status else Transport.OTHER)
    if oversized:
        answer = Answer(status, b"", oversized=True)
    try:
        v = classify_v6(answer, sent="phone", timeout=30)
    except AnonymizerError:  # the project's own errors are allowed; none is expected
        return
    if v.kind is S:
        assert status is not None and 200 <= status < 300 and not oversized
        doc = json.loads(raw) if raw.strip()[:1] in (b"{", b"[") else None
        assert status == 204 or isinstance(doc, dict)
        assert not _carries_error(doc)


_SUCCESS_SHAPES = st.sampled_from(
    [{"data": {}}, {"Data": {"message": "ok"}}, {"data": []}, {"success": True}]
)
_ERROR_MARKS = st.sampled_from(
    [
        {"error": "x"},
        {"Error": {"Message": "x"}},
        {"errors": ["x"]},
        {"ERRORS": {"phone": ["x"]}},
        {"success": False},
        {"status": "failed"},
        {"meta": {"error": True}},
        {"data": {"result": [{"errors": [1]}]}},
    ]
)


@settings(deadline=None)
@given(
    shape=_SUCCESS_SHAPES,
    extra=st.dictionaries(_KEYS, _JSON, max_size=3),
    mark=_ERROR_MARKS,
    status=st.sampled_from([200, 201, 202, 204]),
)
def test_fuzz_a_success_shape_with_an_error_in_it_is_never_a_success(
    shape: dict[str, Any], extra: dict[str, Any], mark: dict[str, Any], status: int
) -> None:
    doc = {**shape, **extra, **mark}
    v = classify_v6(Answer(status, json.dumps(doc).encode()), sent="phone", timeout=30)
    assert v.kind is not S, doc
