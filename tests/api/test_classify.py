"""Answer classification: every case of the contract, in one table."""

from __future__ import annotations

import pytest

from batch_anonymizer.api.classify import Answer, Kind, classify, classify_precheck, excerpt

OK_JSON = b'{"Data": {"message": "Record updated successfully"}}'
OK_XML = b"<Data><message>Record updated successfully</message></Data>"
ERR_JSON = b'{"Error": {"Message": "Email is not valid", "Code": 300004}}'
ERR_XML = b"<Error><Message>Invalid API Key</Message><Code>2000</Code></Error>"
HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"

CASES = [
    # (name, answer, kind, message contains, error_code, uncertain)
    ("200 Data json", Answer(200, OK_JSON), Kind.SUCCESS, "Record updated successfully", "", False),
    ("200 Data xml", Answer(200, OK_XML), Kind.SUCCESS, "Record updated successfully", "", False),
    ("lower-case keys", Answer(200, b'{"data":{"Message":"ok"}}'), Kind.SUCCESS, "ok", "", False),
    (
        "200 with Error body",
        Answer(200, ERR_JSON),
        Kind.PERMANENT,
        "Email is not valid",
        "300004",
        False,
    ),
    ("400 Error", Answer(400, ERR_JSON), Kind.PERMANENT, "Email is not valid", "300004", False),
    (
        "400 missing key",
        Answer(400, b'{"Error":{"Message":"Please make an API request by email or telephone"}}'),
        Kind.PERMANENT,
        "Please make an API request",
        "",
        False,
    ),
    ("404 plain", Answer(404, b"not found"), Kind.PERMANENT, "HTTP 404", "", False),
    (
        "401 json",
        Answer(401, b'{"Error":{"Message":"Invalid API Key","Code":200000}}'),
        Kind.AUTH,
        "Invalid API Key",
        "200000",
        False,
    ),
    ("401 xml", Answer(401, ERR_XML), Kind.AUTH, "Invalid API Key", "2000", False),
    ("403 empty", Answer(403, b""), Kind.AUTH, "HTTP 403", "", False),
    ("408", Answer(408, b""), Kind.TRANSIENT, "HTTP 408", "", False),
    ("429", Answer(429, b"", retry_after="3"), Kind.TRANSIENT, "HTTP 429", "", False),
    (
        "500 json error",
        Answer(500, b'{"Error":{"Message":"Internal"}}'),
        Kind.TRANSIENT,
        "Internal",
        "",
        True,
    ),
    ("502 html", Answer(502, HTML), Kind.TRANSIENT, "502 Bad Gateway", "", True),
    ("503", Answer(503, b"busy"), Kind.TRANSIENT, "HTTP 503", "", False),
    ("504 empty", Answer(504, b""), Kind.TRANSIENT, "empty body", "", True),
    ("200 empty", Answer(200, b""), Kind.TRANSIENT, "without a Data body", "", True),
    (
        "200 truncated",
        Answer(200, b'{"Data": {"mess'),
        Kind.TRANSIENT,
        "without a Data body",
        "",
        True,
    ),
    ("200 html", Answer(200, HTML), Kind.TRANSIENT, "without a Data body", "", True),
    (
        "200 json without Data",
        Answer(200, b'{"result": 1}'),
        Kind.TRANSIENT,
        "without a Data body",
        "",
        True,
    ),
    (
        "200 xml garbage",
        Answer(200, b"<Data><message>x"),
        Kind.TRANSIENT,
        "without a Data body",
        "",
        True,
    ),
    ("301 redirect", Answer(301, b""), Kind.PERMANENT, "redirect not followed", "", False),
    (
        "timeout after send",
        Answer(None, error="timeout"),
        Kind.TRANSIENT,
        "timed out after sending",
        "",
        True,
    ),
    (
        "disconnected",
        Answer(None, error="server disconnected"),
        Kind.TRANSIENT,
        "connection lost",
        "",
        True,
    ),
    (
        "refused",
        Answer(None, error="connection refused", sent=False),
        Kind.TRANSIENT,
        "could not connect",
        "",
        False,
    ),
]


@pytest.mark.parametrize(
    ("name", "answer", "kind", "text", "code", "uncertain"), CASES, ids=[c[0] for c in CASES]
)
def test_classification_table(
    name: str, answer: Answer, kind: Kind, text: str, code: str, uncertain: bool
) -> None:
    verdict = classify(answer, timeout=30)
    assert verdict.kind is kind
    assert text in verdict.message
    assert verdict.error_code == code
    assert verdict.uncertain is uncertain


def test_excerpt_is_short_and_printable() -> None:
    body = b"<html>\x00\x1b[31m" + b"x" * 500 + b"</html>"
    text = excerpt(body, 50)
    assert len(text) <= 50
    assert text.isprintable()
    assert "<" not in text


def test_precheck_counts_records() -> None:
    body = b'{"Data": [{"email": "a@example.com"}, {"email": "a@example.com"}]}'
    assert classify_precheck(Answer(200, body)).records == 2
    assert classify_precheck(Answer(200, b'{"Data": []}')).records == 0
    xml = b"<Data><record><email>a@example.com</email></record></Data>"
    assert classify_precheck(Answer(200, xml)).records == 1
    assert classify_precheck(Answer(401, b"")).kind is Kind.AUTH
