"""The fault spec: parsing and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_anonymizer.core.errors import UsageError
from batch_anonymizer.sandbox import Faults
from batch_anonymizer.sandbox.faults import NORMAL, FaultState, Step, parse_step, script_key


def test_faults_spec_from_file_and_its_refusals(tmp_path: Path) -> None:
    spec = tmp_path / "faults.json"
    spec.write_text(
        '{"seed": 7, "script": {"B@Example.com": ["429:5", 200]}, "no_match": "success"}'
    )
    faults = Faults.from_spec(f"@{spec}")
    assert faults.seed == 7 and faults.no_match == "success"
    assert [s.kind for s in faults.script["b@example.com"]] == ["status", "normal"]
    assert Faults.from_spec('{"errors": {"503": 0.5}}').errors == {503: 0.5}
    refused = [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"sed": 7}', "unknown field"),
        ('{"seed": true}', "seed"),
        ('{"script": {"a@example.com": ["explode"]}}', "unknown script item 'explode'"),
        ('{"script": {"a@example.com": [200, 99]}}', "unknown script item"),
        ('{"errors": {"503": 0.7}, "reset_rate": 0.5}', "add up to 1.200"),
        ('{"errors": {"abc": 0.1}}', "not a 4xx/5xx status"),
        ('{"rate_limit": {"rps": 0}}', "rps"),
        ('{"rate_limit": {"rps": 5, "retry_after": "soon"}}', "retry_after"),
        ('{"no_match": "ignore"}', "no_match"),
        ('{"timeout_rate": 2}', "between"),
        (f"@{tmp_path / 'missing.json'}", "cannot read"),
    ]
    for text, message in refused:
        with pytest.raises(UsageError, match=message):
            Faults.from_spec(text)


# -- the parts of a spec, and the state it runs with --------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("  A@Example.COM ", "a@example.com"),
        ("+44 7700 900123", "447700900123"),
        ("0044 (7700) 900-123", "447700900123"),
        ("+1 202 555 0105", "12025550105"),
        (" n/a ", "n/a"),  # no digits: kept as written, so the same text still matches
    ],
)
def test_script_keys_compare_as_the_store_compares(key: str, expected: str) -> None:
    assert script_key(key) == expected


@pytest.mark.parametrize(
    ("item", "step"),
    [
        (200, NORMAL),
        ("200", NORMAL),
        (503, Step("status", 503)),
        ("429:5", Step("status", 429, 5.0)),
        ("503:0.5", Step("status", 503, 0.5)),
        ("503:date:3", Step("status", 503, 3.0, True)),
        ("200:5", Step("status", 200, 5.0)),  # a delay makes even 200 a scripted answer
        ("reset_after", Step("reset_after")),
    ],
)
def test_parse_step(item: object, step: Step) -> None:
    assert parse_step(item) == step


@pytest.mark.parametrize("item", [True, 99, 600, "5xx", "429:", "429:date:", None, 1.5, "Reset"])
def test_parse_step_refuses(item: object) -> None:
    with pytest.raises(UsageError, match="script item"):
        parse_step(item)


def test_fault_state_plays_a_keys_script_then_falls_back_to_chance() -> None:
    faults = Faults.from_dict({"script": {"a@example.com": [503, "reset"]}})
    state = FaultState(faults)
    assert [state.decide("A@example.com").kind for _ in range(3)] == ["status", "reset", "normal"]
    assert state.decide(None) == NORMAL  # no key (a bad request): no script, no chance


def test_fault_state_rate_window_is_one_second_on_the_clock_given() -> None:
    state = FaultState(Faults.from_dict({"rate_limit": {"rps": 2}}))
    assert [state.rate_limited(t) for t in (10.0, 10.4, 10.9)] == [None, None, "1"]
    assert state.rate_limited(11.0) is None  # the request at 10.0 has left the window
    assert state.rate_limited(11.2) == "1"
    assert FaultState(Faults()).rate_limited(10.0) is None  # no limit given


def test_the_new_fields_parse() -> None:
    faults = Faults.from_spec(
        '{"blind_success": true, "sticky": 0.25, "lookup_no_match": "error:404",'
        ' "lookup_errors": {"503": 0.1}, "lookup_timeout_rate": 0.2,'
        ' "lookup_script": {"+44 7700 900141": [503, "timeout", "429:2", 200]}}'
    )
    assert (faults.blind_success, faults.no_match, faults.sticky) == (True, "success", 0.25)
    assert (faults.lookup_no_match, faults.lookup_no_match_status) == ("error:404", 404)
    assert (faults.lookup_errors, faults.lookup_timeout_rate) == ({503: 0.1}, 0.2)
    assert faults.lookup_script["447700900141"] == (
        Step("status", 503),
        Step("timeout"),
        Step("status", 429, 2.0),
        NORMAL,
    )
    assert Faults.from_spec('{"script": {"a@example.com": ["sticky"]}}').script[
        "a@example.com"
    ] == (Step("sticky"),)
    plain = Faults()
    assert (plain.blind_success, plain.sticky, plain.lookup_no_match_status) == (False, 0.0, None)
    assert Faults(blind_success=True).no_match == "success"  # one switch, two names
    assert Faults(no_match="success").blind_success


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"blind_success": 1}', "blind_success must be true or false$"),
        ('{"blind_success": true, "no_match": "error"}', "blind_success and no_match disagree"),
        ('{"blind_success": false, "no_match": "success"}', "disagree"),
        ('{"sticky": 1.5}', "sticky must be between 0.0 and 1.0, got 1.5$"),
        ('{"sticky": "often"}', "sticky must be a number$"),
        ('{"sticky": 0.6, "errors": {"503": 0.5}}', "the fault rates add up to 1.100, above 1$"),
        ('{"lookup_no_match": "error"}', "lookup_no_match must be one of empty, error:200, "),
        ('{"lookup_no_match": "error:500"}', "lookup_no_match must be one of"),
        ('{"lookup_errors": {"200": 0.1}}', "lookup_errors key '200' is not a 4xx/5xx status$"),
        ('{"lookup_errors": [503]}', r'lookup_errors must look like \{"503": 0.02\}$'),
        ('{"lookup_errors": {"503": 2}}', r"lookup_errors\[503\] must be between"),
        ('{"lookup_timeout_rate": -0.1}', "lookup_timeout_rate must be between"),
        (
            '{"lookup_timeout_rate": 0.5, "lookup_errors": {"503": 0.6}}',
            "the lookup fault rates add up to 1.100, above 1$",
        ),
        ('{"lookup_script": {"a@example.com": ["explode"]}}', "unknown lookup_script item"),
        ('{"lookup_script": {"a@example.com": 503}}', "lookup_script for 'a@example.com' must be"),
        ('{"lookup_script": []}', "lookup_script must look like"),
        (
            '{"lookup_script": {"a@example.com": ["sticky"]}}',
            "lookup_script item 'sticky' applies to anonymize POSTs only$",
        ),
        ('{"unsubscribe_status": 200}', "unsubscribe_status must be a 4xx/5xx status$"),
        ('{"unsubscribe_status": "503"}', "unsubscribe_status must be a 4xx/5xx status$"),
    ],
)
def test_the_new_fields_are_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as refused:
        Faults.from_spec(text)
    assert str(refused.value).startswith("sandbox faults: ")
    assert "\n" not in str(refused.value)


def test_fault_state_plays_a_lookup_script_apart_from_the_post_script() -> None:
    faults = Faults.from_dict(
        {"script": {"a@example.com": [503]}, "lookup_script": {"a@example.com": [502, "reset"]}}
    )
    state = FaultState(faults)
    assert [state.decide_lookup("a@example.com").kind for _ in range(3)] == [
        "status",
        "reset",
        "normal",
    ]
    assert state.decide("a@example.com") == Step("status", 503)
    assert state.decide_lookup(None) == NORMAL


def test_the_documented_spec_parses_and_every_field_is_documented() -> None:
    import re

    from conftest import REPO

    doc = (REPO / "docs" / "sandbox.md").read_text(encoding="utf-8")
    example = re.search(r"## Faults\n.*?```json\n(.*?)```", doc, re.S)
    assert example is not None
    faults = Faults.from_json(example.group(1))
    assert faults.lookup_script["a@example.com"][1] == Step("timeout")
    for name in Faults.__dataclass_fields__:  # in the first cell of a table row
        assert re.search(rf"^\| [^|]*`{name}`", doc, re.M), f"{name} is not in docs/sandbox.md"


def test_unsubscribe_status_is_read() -> None:
    assert Faults.from_json('{"unsubscribe_status": 503}').unsubscribe_status == 503
    assert Faults.from_json("{}").unsubscribe_status is None
