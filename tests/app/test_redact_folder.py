"""``redact --older-than DAYS DIR``: which reports of a folder are due, from their manifests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from batch_anonymizer.app.redact import reports_in
from batch_anonymizer.cli.arguments import run_options
from batch_anonymizer.cli.parser import build_parser

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def _manifest(
    folder: Path, stem: str, ended: str, retain: str = "", redacted: bool = False
) -> None:
    settings = [["rate", "5/s"]] + ([["retain_keys", retain]] if retain else [])
    body: dict[str, object] = {
        "format": "batch-anonymizer manifest v1",
        "run_id": f"run-{stem}",
        "facts": {"started_at": ended, "ended_at": ended, "settings": settings},
    }
    if redacted:
        body["redaction"] = {"redacted_at": "2027-02-01T00:00:00Z"}
    (folder / f"{stem}.manifest.json").write_text(json.dumps(body))


def test_due_by_age_and_by_each_runs_own_retention(tmp_path: Path) -> None:
    _manifest(tmp_path, "a-old", "2027-01-01T10:00:00Z")  # 59 days before NOW
    _manifest(tmp_path, "b-young", "2027-02-25T10:00:00Z")  # 4 days
    _manifest(tmp_path, "c-retained", "2027-01-01T10:00:00Z", retain="90 days: ...")
    _manifest(tmp_path, "d-own", "2027-01-01T10:00:00Z", retain="30 days: ...")
    _manifest(tmp_path, "e-done", "2026-12-01T10:00:00Z", redacted=True)
    (tmp_path / "f-bad.manifest.json").write_text("{not json")

    def actions(days: int | None) -> dict[str, str]:
        return {d.xlsx.stem: d.action for d in reports_in(tmp_path, days, NOW)}

    assert actions(30) == {
        "a-old": "redact",
        "b-young": "kept",
        "c-retained": "kept",  # its run asked for 90 days: never earlier
        "d-own": "redact",
        "e-done": "already redacted",
        "f-bad": "unreadable",
    }
    assert actions(60)["a-old"] == "kept"
    # without --older-than, only the runs that recorded a retention are due
    assert actions(None) == {**actions(30), "a-old": "kept"}


def test_run_records_the_retention_in_its_facts(tmp_path: Path) -> None:
    args = build_parser().parse_args(["run", "in.csv", "--sandbox", "--retain-keys", "30"])
    shown = dict(run_options(args, "run").settings_shown)
    assert shown["retain_keys"].startswith("30 days")
    args = build_parser().parse_args(["run", "in.csv", "--sandbox"])
    assert "retain_keys" not in dict(run_options(args, "run").settings_shown)
