"""Answer classification: every case of the contract, in one table."""

from __future__ import annotations

import pytest

from batch_anonymizer.api.classify import (
    Answer,
    Kind,
    Transport,
    classify,
    classify_lookup,
    excerpt,
)
from batch_anonymizer.core.codes import Reason

OK_JSON = b'{"Data": {"message": "Record updated successfully"}}'
OK_XML = b"<Data><message>Record updated successfully</message></Data>"
ERR_JSON = b'{"Error": {"Message": "Email is not valid", "Code": 300004}}'
ERR_XML = b"<Error><Message>Invalid API Key</Message><Code>2000</Code></Error>"
ERR_401 = b'{"Error":{"Message":"Invalid API Key","Code":200000}}'
HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"

T, P, S, A = Kind.TRANSIENT, Kind.PERMANENT, Kind.SUCCESS, Kind.AUTH
R = Reason
CASES = [
    # (name, answer, kind, message contains, reason, vendor code, uncertain)
    ("200 Data json", Answer(200, OK_JSON), S, "Record updated successfully", None, "", False),
    ("200 Data xml", Answer(200, OK_XML), S, "Record updated successfully", None, "", False),
    ("lower-case keys", Answer(200, b'{"data":{"Message":"ok"}}'), S, "ok", None, "", False),
    (
        "200 with Error",
        Answer(200, ERR_JSON),
        P,
        "Email is not valid",
        R.VENDOR_ERROR,
        "300004",
        False,
    ),
    ("400 Error", Answer(400, ERR_JSON), P, "Email is not valid", R.VENDOR_ERROR, "300004", False),
    (
        "400 missing key",
        Answer(400, b'{"Error":{"Message":"Please make an API request by email or telephone"}}'),
        P,
        "Please make an API request",
        R.VENDOR_ERROR,
        "",
        False,
    ),
    ("404 plain", Answer(404, b"not found"), P, "HTTP 404", R.HTTP_ERROR, "", False),
    ("401 json", Answer(401, ERR_401), A, "Invalid API Key", R.HALTED_AUTH, "200000", False),
    ("401 xml", Answer(401, ERR_XML), A, "Invalid API Key", R.HALTED_AUTH, "2000", False),
    ("403 empty", Answer(403, b""), A, "HTTP 403", R.HALTED_AUTH, "", False),
    ("408", Answer(408, b""), T, "HTTP 408", R.TIMEOUT, "", False),
    ("429", Answer(429, b"", retry_after="3"), T, "HTTP 429", R.RATE_LIMITED, "", False),
    (
        "500 json",
        Answer(500, b'{"Error":{"Message":"Internal"}}'),
        T,
        "Internal",
        R.SERVER_ERROR,
        "",
        True,
    ),
    ("502 html", Answer(502, HTML), T, "502 Bad Gateway", R.SERVER_ERROR, "", True),
    ("503", Answer(503, b"busy"), T, "HTTP 503", R.SERVER_ERROR, "", False),
    ("504 empty", Answer(504, b""), T, "empty body", R.SERVER_ERROR, "", True),
    ("200 empty", Answer(200, b""), T, "without a Data body", R.BAD_ANSWER, "", True),
    ("200 cut", Answer(200, b'{"Data": {"mess'), T, "without a Data body", R.BAD_ANSWER, "", True),
    ("200 html", Answer(200, HTML), T, "without a Data body", R.BAD_ANSWER, "", True),
    (
        "200 no Data",
        Answer(200, b'{"result": 1}'),
        T,
        "without a Data body",
        R.BAD_ANSWER,
        "",
        True,
    ),
    (
        "200 xml cut",
        Answer(200, b"<Data><message>x"),
        T,
        "without a Data body",
        R.BAD_ANSWER,
        "",
        True,
    ),
    ("301 redirect", Answer(301, b""), P, "redirect not followed", R.REDIRECT, "", False),
    (
        "timeout after send",
        Answer(None, transport=Transport.TIMEOUT, detail="timeout"),
        T,
        "timed out after sending",
        R.TIMEOUT,
        "",
        True,
    ),
    (
        "disconnected",
        Answer(None, transport=Transport.DISCONNECTED, detail="server disconnected"),
        T,
        "connection lost",
        R.CONNECTION,
        "",
        True,
    ),
    (
        "refused",
        Answer(None, transport=Transport.REFUSED, detail="connection refused"),
        T,
        "could not connect",
        R.CONNECTION,
        "",
        False,
    ),
    (
        "connect timeout",
        Answer(None, transport=Transport.CONNECT_TIMEOUT, detail="timeout while connecting"),
        T,
        "could not connect",
        R.CONNECTION,
        "",
        False,
    ),
]


@pytest.mark.parametrize(
    ("name", "answer", "kind", "text", "code", "vendor", "uncertain"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_classification_table(
    name: str,
    answer: Answer,
    kind: Kind,
    text: str,
    code: Reason | None,
    vendor: str,
    uncertain: bool,
) -> None:
    verdict = classify(answer, timeout=30)
    assert verdict.kind is kind
    assert text in verdict.message
    assert verdict.code is code
    assert verdict.vendor_code == vendor
    assert verdict.uncertain is uncertain


def test_429_asks_to_slow_down_and_retry_after_is_read_for_429_and_503_only() -> None:
    assert classify(Answer(429, b"")).throttled
    assert not classify(Answer(503, b"")).throttled
    assert classify(Answer(429, b"", retry_after="7")).retry_after == 7.0
    assert classify(Answer(503, b"", retry_after="7")).retry_after == 7.0
    assert classify(Answer(500, b"", retry_after="7")).retry_after is None
    assert classify(Answer(429, b"", retry_after="soon")).retry_after is None


def test_an_http_date_retry_after_is_read_afresh_each_time() -> None:
    # The classifier remembers short answers; the wait of an HTTP-date must not be remembered.
    import time
    from email.utils import formatdate

    when = formatdate(time.time() + 60, usegmt=True)
    first = classify(Answer(429, b"", retry_after=when)).retry_after
    assert first is not None and 55 <= first <= 60
    later = classify(Answer(429, b"", retry_after=formatdate(time.time() + 5, usegmt=True)))
    assert later.retry_after is not None and later.retry_after <= 5


def test_excerpt_is_short_and_printable() -> None:
    body = b"<html>\x00\x1b[31m" + b"x" * 500 + b"</html>"
    text = excerpt(body, 50)
    assert len(text) <= 50
    assert text.isprintable()
    assert "<" not in text


NO_RECORDS = b'{"Error":{"Message":"No records found","Code":300005}}'
LOOKUPS = [
    # (name, answer, kind, records, reason)
    (
        "two records",
        Answer(200, b'{"Data": [{"email": "a@example.com"}, {"email": "b"}]}'),
        S,
        2,
        None,
    ),
    ("empty list", Answer(200, b'{"Data": []}'), S, 0, None),
    ("lower-case data", Answer(200, b'{"data": [{"email": "a@example.com"}]}'), S, 1, None),
    ("one unwrapped", Answer(200, b'{"Data": {"email": "a@example.com"}}'), S, 1, None),
    ("empty object", Answer(200, b'{"Data": {}}'), S, 0, None),
    (
        "xml record",
        Answer(200, b"<Data><record><email>a@example.com</email></record></Data>"),
        S,
        1,
        None,
    ),
    ("no records 200", Answer(200, NO_RECORDS), S, 0, None),
    ("no records 400", Answer(400, NO_RECORDS), S, 0, None),
    ("no records 404", Answer(404, NO_RECORDS), S, 0, None),
    ("no match in words", Answer(400, b'{"Error":{"Message":"No matching contacts"}}'), S, 0, None),
    # A 404 counts as zero records only with the vendor's "no records" Error: any
    # other Error is the vendor refusing the key, not saying it holds nothing.
    ("404 other Error", Answer(404, b'{"Error":{"Message":"Not here"}}'), P, None, R.VENDOR_ERROR),
    (
        "404 invalid email",
        Answer(404, b'{"Error":{"Message":"Email is not valid","Code":300004}}'),
        P,
        None,
        R.VENDOR_ERROR,
    ),
    ("404 no-records code", Answer(404, b'{"Error":{"Message":"x","Code":300005}}'), S, 0, None),
    ("404 html", Answer(404, b"<html>Not Found</html>"), A, None, R.LOOKUP_REFUSED),
    ("404 empty", Answer(404, b""), A, None, R.LOOKUP_REFUSED),
    ("405", Answer(405, b""), A, None, R.LOOKUP_REFUSED),
    ("401", Answer(401, ERR_401), A, None, R.HALTED_AUTH),
    ("403", Answer(403, b""), A, None, R.LOOKUP_REFUSED),
    ("400 other error", Answer(400, ERR_JSON), P, None, R.VENDOR_ERROR),
    ("200 message only", Answer(200, OK_JSON), T, None, R.BAD_ANSWER),
    ("200 html", Answer(200, HTML), T, None, R.BAD_ANSWER),
    ("503", Answer(503, b"busy"), T, None, R.SERVER_ERROR),
    ("timeout", Answer(None, transport=Transport.TIMEOUT), T, None, R.TIMEOUT),
]


@pytest.mark.parametrize(
    ("name", "answer", "kind", "records", "code"), LOOKUPS, ids=[c[0] for c in LOOKUPS]
)
def test_lookup_table(
    name: str, answer: Answer, kind: Kind, records: int | None, code: Reason | None
) -> None:
    verdict = classify_lookup(answer, timeout=30)
    assert verdict.kind is kind
    assert verdict.records == records
    assert verdict.code is code
    assert not verdict.uncertain  # a lookup changes nothing: its lost answer is not a doubt
