"""Which bodies are trusted: depth, keys named twice, an Error next to a Data, what is quoted.

Table tests of ``parse_body`` / ``classify`` / ``classify_lookup`` (issue 17,
"Answers"); the same over real HTTP is in ``test_hostile_answers.py``.
"""

from __future__ import annotations

import time

import pytest

from batch_anonymizer.api.body import json_depth
from batch_anonymizer.api.classify import (
    Answer,
    BodyKind,
    Kind,
    classify,
    classify_lookup,
    parse_body,
)
from batch_anonymizer.core.codes import Reason

T, S = Kind.TRANSIENT, Kind.SUCCESS


def nested(depth: int) -> bytes:
    """A Data body whose brackets nest ``depth`` deep in all (the outer object counts)."""
    inner = depth - 2  # the outer object and the Data object
    return b'{"Data": {"message": "ok", "x": ' + b"[" * inner + b"]" * inner + b"}}"


def test_32_deep_is_read_and_33_deep_is_not() -> None:
    assert json_depth(nested(32)) == 32
    assert classify(Answer(200, nested(32))).kind is S
    refused = classify(Answer(200, nested(33)))
    assert (refused.kind, refused.code, refused.uncertain) == (T, Reason.BAD_ANSWER, True)


def test_brackets_inside_strings_are_not_nesting() -> None:
    message = b'{"Data": {"message": "' + b"[{" * 40 + b'\\"]]"}}'
    assert parse_body(message) == (BodyKind.DATA, {"message": "[{" * 40 + '"]]'})
    # ... nor can closing brackets in a string hide real nesting from the limit
    hiding = b'{"Data": {"message": "' + b"]" * 60 + b'", "x": ' + b"[" * 40 + b"]" * 40 + b"}}"
    assert json_depth(hiding) == 42
    assert parse_body(hiding) is None


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"Data": ' + b"[" * 100_000,
        b'{"Data": {"a": ' * 50_000,
        b"<Data>" + b"<a>" * 30_000 + b"</a>" * 30_000 + b"</Data>",
        b"[" * 40 + b'"' + b'\\"' * 20_000,  # quadratic for a naive string-skipping scan
    ],
    ids=["json array", "json cut", "json objects", "xml", "escaped quotes"],
)
def test_deep_or_pathological_bodies_are_unreadable_fast(body: bytes) -> None:
    started = time.perf_counter()
    assert parse_body(body) is None
    assert time.perf_counter() - started < 1.0


def test_an_xml_entity_bomb_is_unreadable_fast() -> None:
    entities = b'<!ENTITY e0 "lollollollollollollollollollol">' + b"".join(
        b'<!ENTITY e%d "%s">' % (i, b"&e%d;" % (i - 1) * 10) for i in range(1, 10)
    )
    bomb = b"<?xml version='1.0'?><!DOCTYPE d [" + entities + b"]><Data><m>&e9;</m></Data>"
    started = time.perf_counter()
    assert parse_body(bomb) is None
    assert time.perf_counter() - started < 1.0


OK = b'"Data": {"message": "Record updated successfully"}'
ERROR = b'"Error": {"Message": "Email is not valid", "Code": 300004}'
UNTRUSTED = {
    "Error, Error null, Data": b"{" + ERROR + b', "Error": null, ' + OK + b"}",
    "Data twice": b"{" + OK + b", " + OK + b"}",
    "Data and data": b'{"data": {}, ' + OK + b"}",
    "a key twice inside Data": b'{"Data": {"message": "a", "Message": "b"}}',
    "Data and Error": b"{" + OK + b", " + ERROR + b"}",
    "Error and Data": b"{" + ERROR + b", " + OK + b"}",
    "Error null and Data": b'{"Error": null, ' + OK + b"}",
    "Error false and Data": b'{"ERROR": false, ' + OK + b"}",
    "Error as text and Data": b'{"error": "denied", ' + OK + b"}",
    "Error inside a sibling of Data": b'{"Data": [], "": {"Error": null}}',
    "Error inside Data": b'{"Data": {"message": "ok", "Error": {"Message": "x"}}}',
    "Error deep inside Data": b'{"Data": [{"email": "a@example.com"}, {"x": [{"error": 1}]}]}',
    "xml Error inside Data": b"<Data><message>ok</message><Error><Message>x</Message></Error>"
    b"</Data>",
    "xml error deep inside": b"<Data><record><email>a</email><x><error/></x></record></Data>",
}


@pytest.mark.parametrize("name", list(UNTRUSTED))
def test_a_body_that_contradicts_itself_is_no_success_and_may_have_acted(name: str) -> None:
    body = UNTRUSTED[name]
    assert parse_body(body) == ("mixed", None)
    for status in (200, 201, 204):
        verdict = classify(Answer(status, body))
        assert (verdict.kind, verdict.code, verdict.uncertain) == (T, Reason.BAD_ANSWER, True)
    looked = classify_lookup(Answer(200, body))
    assert (looked.kind, looked.code, looked.records) == (T, Reason.BAD_ANSWER, None)


def test_a_contradicting_body_with_a_failure_status_is_read_by_its_status() -> None:
    body = UNTRUSTED["Data and Error"]
    assert classify(Answer(400, body)).kind is Kind.PERMANENT
    assert classify(Answer(503, body)).code is Reason.SERVER_ERROR
    assert classify(Answer(401, body)).code is Reason.HALTED_AUTH


def test_a_data_message_is_quoted_short_and_printable() -> None:
    body = b'{"Data": {"message": "\\u001b[31mdone\\r\\nforged line ' + b"x" * 5000 + b'"}}'
    verdict = classify(Answer(200, body))
    assert verdict.kind is S
    assert verdict.message.isprintable() and len(verdict.message) <= 200
    assert verdict.message.startswith("[31mdone forged line xxx")


def test_a_vendor_code_is_quoted_short_and_printable() -> None:
    body = b'{"Error": {"Message": "no", "Code": "\\u001b[2J300004' + b"9" * 5000 + b'"}}'
    verdict = classify(Answer(400, body))
    assert (verdict.kind, verdict.code) == (Kind.PERMANENT, Reason.VENDOR_ERROR)
    assert verdict.vendor_code.isprintable() and len(verdict.vendor_code) <= 40
    assert verdict.vendor_code.startswith("[2J300004999")


def test_an_oversized_answer_is_never_a_success_whatever_its_status() -> None:
    cases = {
        200: (T, Reason.BAD_ANSWER, True),
        429: (T, Reason.RATE_LIMITED, True),
        503: (T, Reason.SERVER_ERROR, True),
        401: (Kind.AUTH, Reason.HALTED_AUTH, False),
        400: (Kind.PERMANENT, Reason.HTTP_ERROR, False),
    }
    for status, expected in cases.items():
        verdict = classify(Answer(status, b"", oversized=True))
        assert (verdict.kind, verdict.code, verdict.uncertain) == expected, status
        looked = classify_lookup(Answer(status, b"", oversized=True))
        assert looked.kind is not S and looked.records is None
