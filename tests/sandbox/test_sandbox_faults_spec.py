"""The fault spec: parsing and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_anonymizer.core.errors import UsageError
from batch_anonymizer.sandbox import Faults


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
