"""The retry command a run prints works as printed: every option it needs, no secret."""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path

import pytest
from conftest import API_KEY, fast_args, report_rows, start_sandbox, write_csv

from batch_anonymizer.cli.parser import build_parser
from batch_anonymizer.cli.retrycmd import CARRIED, NOT_CARRIED

SECRET = "v6-client-secret-5d17aa"  # distinctive, so a leak is easy to grep


class Terminal(io.StringIO):
    """A terminal at which the person types "yes" to the confirmation."""

    def isatty(self) -> bool:
        return True


def printed_retry(out: str) -> list[str]:
    """The printed retry command, split as a shell would, without the program's name."""
    lines = out.splitlines()
    said = next(i for i, ln in enumerate(lines) if ln.startswith("To send the failed and"))
    command = lines[said + 1]
    words = shlex.split(command)
    assert words[:2] == ["batch-anonymizer", "retry"], command
    return words[1:]


def test_the_printed_retry_command_repeats_every_option_the_retry_needs(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUSTOMERGAUGE_API_KEY")  # the key in a file, as an operator keeps it
    key_file = tmp_path / "key.txt"
    key_file.write_text(API_KEY + "\n", encoding="utf-8")
    hmac = tmp_path / "hmac.txt"
    hmac.write_text("a-team-secret-of-32-characters-x\n", encoding="utf-8")
    keys = ["ann@example.com", "bob@example.org"]
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])
    with start_sandbox('{"script": {"bob@example.org": [400]}}') as thread:
        thread.sandbox.seed(keys, [])
        first = cli("run", src, *fast_args(thread.url), "--api-key-file", key_file,
                    "--timeout", "7",
                    "--max-retries", "2", "--concurrency", "1", "--max-wait", "30",
                    "--max-consecutive-failures", "9", "--max-failure-rate", "0.9",
                    "--no-verify", "--report", "evidence/first.xlsx", "--certificates",
                    "--handover", "out/handover.xlsx", "--ledger", "my.sqlite3",
                    "--handover-secret-file", hmac)  # fmt: skip
        assert first.code == 1, first.out + first.err
        words = printed_retry(first.out)
        monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
        again = cli(*words)
        posts = [e.key for e in thread.sandbox.posts()]
    assert again.code == 0, again.out + again.err
    assert API_KEY not in first.out
    for option in ("--timeout", "--max-retries", "--concurrency", "--max-wait",
                   "--max-consecutive-failures", "--max-failure-rate", "--no-verify",
                   "--certificates", "--handover", "--ledger", "--api-key-file",
                   "--handover-secret-file"):  # fmt: skip
        assert option in words, option
    assert words[words.index("--reports-dir") + 1] == "evidence"  # beside the earlier report
    assert posts == ["ann@example.com", "bob@example.org", "bob@example.org"]
    (retried,) = [p for p in (tmp_path / "evidence").glob("*.xlsx") if p.name != "first.xlsx"]
    rows = report_rows(retried)
    assert [r["status"] for r in rows] == ["success", "success"]
    assert rows[1]["message"] == "vendor answered success (not verified)"  # --no-verify kept
    assert (tmp_path / "my.sqlite3").exists()
    # the retry's handover copy goes beside the run's, never over it
    assert words[words.index("--handover") + 1] == "out/handover-retry.xlsx"
    handovers = sorted(p.name for p in (tmp_path / "out").glob("*.xlsx"))
    assert handovers == ["handover-retry.xlsx", "handover.xlsx"]
    # the run had --yes: so has the command, and the line above it says it will not ask
    assert "--yes" in words
    assert "(with --yes, as this run had it: it sends without asking):" in first.out
    assert (retried.parent / (retried.stem + "-certificates")).is_dir()


def test_a_sandbox_runs_retry_command_keeps_its_faults(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["ann@example.com"], ["bob@example.org"]])
    faults = json.dumps({"script": {"bob@example.org": [400]}})
    first = cli("run", src, "--sandbox", "--rate", "0", "--no-progress",
                "--sandbox-faults", faults, "--no-ledger")  # fmt: skip
    assert first.code == 1, first.out + first.err
    words = printed_retry(first.out)
    assert words[words.index("--sandbox-faults") + 1] == faults
    assert "--no-ledger" in words and "--reports-dir" not in words  # the default folder
    again = cli(*words, "--no-progress")
    assert again.code == 1, again.out + again.err  # the fault again: the same refusal
    assert "Finished with problems: 1 success, 1 failed." in again.out


def test_after_a_refused_v6_phone_field_the_command_names_the_other_field(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUSTOMERGAUGE_API_KEY")
    secret = tmp_path / "client-secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    rows = [["ann@example.com", "+44 7700 900101"]]
    src = write_csv(tmp_path / "in.csv", ["Email", "Mobile"], rows)
    sandbox = start_sandbox('{"v6_phone_field": "telephone"}', client_secret=SECRET)
    with sandbox as thread:
        thread.sandbox.seed(["ann@example.com"], ["447700900101"])
        first = cli("run", src, *fast_args(thread.url), "--api", "v6",
                    "--oauth-client-id", "sandbox-client",
                    "--oauth-secret-file", secret, "--v6-phone-field", "phone")  # fmt: skip
        assert first.code == 3, first.out + first.err
        words = printed_retry(first.out)
        monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
        again = cli(*words)
    assert SECRET not in first.out
    assert words[words.index("--v6-phone-field") + 1] == "telephone"
    assert words.count("--v6-phone-field") == 1
    assert words[words.index("--oauth-secret-file") + 1] == str(secret)
    assert again.code == 0, again.out + again.err


def test_every_retry_option_is_carried_or_left_out_for_a_reason() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    retry = sub.choices["retry"]  # type: ignore[index]
    options = {o for a in retry._actions for o in a.option_strings if o.startswith("--")}
    assert options == set(CARRIED) | set(NOT_CARRIED)
    for option, takes in CARRIED.items():
        action = next(a for a in retry._actions if option in a.option_strings)
        assert takes == (action.nargs != 0), option


def test_a_retrys_handover_never_takes_a_name_in_use(tmp_path: Path) -> None:
    from batch_anonymizer.cli.retrycmd import next_handover

    h = tmp_path / "handover.xlsx"
    assert next_handover(h) == tmp_path / "handover-retry.xlsx"
    (tmp_path / "handover-retry.csv").write_text("x")  # a twin is enough to be in use
    assert next_handover(h) == tmp_path / "handover-retry-2.xlsx"
    # the command printed after the retry counts on from its own name
    assert next_handover(tmp_path / "handover-retry-2.xlsx") == tmp_path / "handover-retry-2.xlsx"
    (tmp_path / "handover-retry-2.xlsx").write_text("x")
    assert next_handover(tmp_path / "handover-retry-2.xlsx") == tmp_path / "handover-retry-3.xlsx"


def test_the_short_yes_is_repeated_as_yes() -> None:
    from batch_anonymizer.cli.retrycmd import _given

    assert _given(["in.csv", "-y", "--rate", "0"]) == [("--yes", None), ("--rate", "0")]
