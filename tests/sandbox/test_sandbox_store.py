"""Matching and overwriting contacts, seen over loopback HTTP."""

from __future__ import annotations

import pytest
from sandbox_helpers import OK_JSON, call, post, run_sandbox, seeded_sandbox

from batch_anonymizer.sandbox import SandboxThread

sbx = pytest.fixture(seeded_sandbox, name="sbx")


def test_success_then_the_same_key_no_longer_matches(sbx: SandboxThread) -> None:
    first = post(sbx.url, email="ann@example.com")
    assert first.status == 200
    assert first.json() == OK_JSON
    assert first.headers["Content-Type"].startswith("application/json")
    second = post(sbx.url, email="ann@example.com")
    assert (second.status, second.json()) == (
        400,
        {"Error": {"Message": "No records found", "Code": 300005}},
    )
    assert [(e.status, e.outcome, e.records) for e in sbx.sandbox.posts()] == [
        (200, "anonymized", 1),
        (400, "no_match", 0),
    ]


def test_every_matching_record_is_overwritten_as_the_vendor_does() -> None:
    with run_sandbox() as thread:
        box = thread.sandbox
        box.add_contact(email="Jo@Example.com", telephone="+1 202 555 0101", first_name="Jo")
        box.add_contact(email="jo@example.com", first_name="Jo", last_name="Two")
        box.add_contact(email="other@example.com", first_name="Kim")
        got = post(thread.url, email="JO@example.COM")
        assert got.status == 200
        assert thread.sandbox.posts()[0].records == 2
        # anonymized by email, so no longer found by its telephone either
        assert post(thread.url, telephone="+12025550101").status == 400
    jo1, jo2, kim = box.contacts
    for c in (jo1, jo2):
        assert c.anonymized
        assert c.email.endswith("@example.net") and "jo" not in c.email
        assert (c.first_name, c.last_name, c.sms_telephone, c.number_customergauge) == ("***",) * 4
        assert (c.job_level, c.job_position) == ("*", "--")
        assert c.nps_comment == "This comment has been anonymised based on customer request"
    assert jo1.email != jo2.email
    assert (kim.first_name, kim.anonymized) == ("Kim", False)


def test_telephone_matches_on_digits_only(sbx: SandboxThread) -> None:
    assert post(sbx.url, telephone="447700900123").status == 200
    assert post(sbx.url, telephone="+44 7700-900-123").status == 400


def test_precheck_lists_without_changing(sbx: SandboxThread) -> None:
    sbx.sandbox.add_contact(email="ANN@example.com", first_name="Ann", last_name="Lee")
    got = call(sbx.url, "GET", params={"email": "Ann@Example.com"})
    assert got.status == 200
    rows = got.json()["Data"]
    assert [r["last_name"] for r in rows] == ["Email0", "Lee"]
    assert set(rows[0]) == {
        "first_name",
        "last_name",
        "email",
        "sms_telephone",
        "number_customergauge",
    }
    assert rows[1]["email"] == "ANN@example.com"
    assert not any(c.anonymized for c in sbx.sandbox.contacts)
    none = call(sbx.url, "GET", params={"email": "nobody@example.com"})
    assert (none.status, none.json()) == (200, {"Data": []})
    xml = call(sbx.url, "GET", path="/v4.1/anonymize.xml", params={"telephone": "+447700900123"})
    assert xml.text.startswith("<Data><record><first_name>Test</first_name>")
    assert call(sbx.url, "GET", params={"email": "ann@example.com"}, headers={}).status == 401
    entries = [(e.method, e.outcome, e.records) for e in sbx.sandbox.log]
    assert entries[:3] == [("GET", "precheck", 2), ("GET", "precheck", 0), ("GET", "precheck", 1)]
    assert sbx.sandbox.posts() == []  # a pre-check is not a POST
