"""The erasure ledger across runs, against the real sandbox over HTTP, through the real CLI."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import openpyxl
from conftest import (
    cli_subprocess,
    fast_args,
    only_report,
    report_rows,
    server_args,
    start_sandbox,
    write_csv,
)

SHARED_EMAIL = "shared.one@example.com"
OTHER_SHARED = "shared.two@example.org"
SHARED_PHONE = "+44 7700 900101"
ONLY_A = "only.a@example.net"
ONLY_B = "only.b@example.com"


def ledger_file() -> Path:
    return Path(os.environ["BATCH_ANONYMIZER_LEDGER"])


def ledger_rows(sql: str = "SELECT run_id, key_type, outcome, code FROM entries") -> list[tuple]:
    with sqlite3.connect(ledger_file()) as db:
        return list(db.execute(sql))


def write_xlsx(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Requests"
    ws.append(header)
    for r in rows:
        ws.append(r)
    book.save(path)
    return path


def summary_headline(xlsx: Path) -> str:
    ws = openpyxl.load_workbook(xlsx, read_only=True)["Summary"]
    return " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)


def test_two_runs_sharing_people_cite_the_earlier_erasure_and_count_the_reappeared(
    cli, tmp_path: Path
) -> None:
    first = write_csv(
        tmp_path / "march.csv",
        ["Email", "Phone"],
        [[SHARED_EMAIL, SHARED_PHONE], [OTHER_SHARED, ""], [ONLY_A, ""]],
    )
    # the second sheet writes the shared people differently: case, the telephone's form
    second = write_xlsx(
        tmp_path / "april.xlsx",
        ["Email", "Phone"],
        [["Shared.One@Example.COM", "447700900101"], [OTHER_SHARED, ""], [ONLY_B, ""]],
    )
    with start_sandbox() as thread:
        box = thread.sandbox
        box.seed([SHARED_EMAIL, OTHER_SHARED, ONLY_A, ONLY_B], [SHARED_PHONE])
        base = server_args(thread.url)
        one = cli("run", first, *base, "--reports-dir", tmp_path / "r1")
        assert one.code == 0, one.err
        assert "Created" not in one.err and "its secret was created in" in one.out
        box.seed([SHARED_EMAIL], [])  # an import brings the first person back
        two = cli("run", second, *base, "--reports-dir", tmp_path / "r2")
        assert two.code == 0, two.err
        posts = [e.key.lower() for e in box.posts()]
    first_rows = report_rows(only_report(tmp_path / "r1"))
    run1 = first_rows[0]["run_id"]
    assert {r["status"] for r in first_rows} == {"success"}
    assert all(r.get("previously_erased", "") == "" for r in first_rows)
    rows = {r["key"].lower(): r for r in report_rows(only_report(tmp_path / "r2"))}
    again, other, phone, new = (
        rows[SHARED_EMAIL],
        rows[OTHER_SHARED],
        rows["447700900101"],
        rows[ONLY_B],
    )
    for line in (again, other, phone):
        assert line["previously_erased"].endswith(f" run {run1} (success)"), line
    assert (again["status"], again["error_code"], again["records_before"]) == (
        "success",
        "reappeared",
        "1",
    )
    assert "re-appeared" in again["message"]
    assert (other["status"], other["error_code"]) == ("not_found", "not_found")
    assert run1 in other["message"]
    assert (phone["status"], phone["error_code"]) == ("not_found", "not_found")
    assert (new["status"], new["error_code"], new["previously_erased"]) == ("success", "", "")
    assert posts.count(SHARED_EMAIL) == 2  # anonymized once in each run
    # the journal's done records say the same: a report rebuilt from it agrees
    journal = only_report(tmp_path / "r2", ".journal")
    assert cli("report", journal, "--report", tmp_path / "rebuilt.xlsx").code == 0
    rebuilt = {r["key"].lower(): r for r in report_rows(tmp_path / "rebuilt.xlsx")}
    for key, line in rows.items():
        got = rebuilt[key]
        assert (got["previously_erased"], got["error_code"]) == (
            line["previously_erased"],
            line["error_code"],
        )
    assert "(1 re-appeared after an earlier erasure" in two.out
    assert "1 re-appeared after an earlier erasure" in summary_headline(
        only_report(tmp_path / "r2")
    )
    # the ledger holds both runs: 4 keys, then 4 more
    assert len(ledger_rows()) == 8
    assert ("reappeared",) in ledger_rows("SELECT code FROM entries")
    # and never a key, in any form, in any of its files
    files = [p for p in ledger_file().parent.iterdir() if p.name.startswith(ledger_file().name)]
    assert files
    secret = (Path(os.environ["BATCH_ANONYMIZER_CONFIG_DIR"]) / "hmac-secret").read_bytes()
    for path in files:
        data = path.read_bytes().lower()
        for key in (SHARED_EMAIL, OTHER_SHARED, ONLY_A, ONLY_B, "447700900101", "7700 900101"):
            assert key.lower().encode() not in data, (path.name, key)
        assert secret.strip() not in data
    # nor is the secret in any report, journal or manifest, or in what was printed
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.strip() not in path.read_bytes(), path
    assert secret.strip().decode() not in one.out + one.err + two.out + two.err
    assert stat.S_IMODE(ledger_file().stat().st_mode) == 0o600
    assert stat.S_IMODE(ledger_file().parent.stat().st_mode) == 0o700


def test_a_wrong_secret_is_refused_before_anything_is_sent(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[ONLY_A]])
    other = tmp_path / "other-secret"
    other.write_text("a-different-secret-of-enough-length\n")
    with start_sandbox() as thread:
        thread.sandbox.seed([ONLY_A], [])
        base = server_args(thread.url)
        assert cli("run", src, *base, "--reports-dir", tmp_path / "r1").code == 0
        thread.sandbox.seed([ONLY_A], [])
        refused = cli(
            "run", src, *base, "--reports-dir", tmp_path / "r2", "--hmac-secret-file", other
        )
        posts = thread.sandbox.posts()
    assert refused.code == 2
    assert "was made with another secret" in refused.err
    assert "nothing was sent" in refused.err
    assert len(posts) == 1  # only the first run's
    assert not (tmp_path / "r2").exists()  # no journal, no report


def test_dry_run_check_and_no_ledger_write_nothing_to_the_ledger(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[ONLY_A], [ONLY_B]])
    config = Path(os.environ["BATCH_ANONYMIZER_CONFIG_DIR"])
    with start_sandbox() as thread:
        thread.sandbox.seed([ONLY_A, ONLY_B], [])
        base = server_args(thread.url)
        assert cli("run", src, *base, "--dry-run").code == 0
        assert cli("check", src, *base).code == 0
        assert cli("validate", src).code == 0
        assert not ledger_file().exists() and not config.exists()  # not even a secret
        assert cli("run", src, *base, "--no-ledger").code == 0
        assert not ledger_file().exists() and not config.exists()
        thread.sandbox.seed([ONLY_A, ONLY_B], [])
        assert cli("run", src, *base).code == 0
        before = ledger_file().read_bytes(), ledger_rows()
        dry = cli("run", src, *base, "--dry-run", "--report", tmp_path / "dry.xlsx")
        assert cli("check", src, *base).code == 0
    assert dry.code == 0
    assert ledger_rows() == before[1]
    rows = report_rows(tmp_path / "dry.xlsx")
    assert all(r["status"] == "ready" and r["previously_erased"] for r in rows)


def test_a_ledger_locked_past_its_timeout_stops_the_run_and_a_resume_records_it(
    cli, tmp_path: Path, monkeypatch
) -> None:
    import batch_anonymizer.app.options as app_options

    keys = [f"lock{i}@example.com" for i in range(6)]
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])
    monkeypatch.setattr(
        app_options.LedgerTarget, "__init__", _short_timeout(app_options.LedgerTarget.__init__)
    )
    with start_sandbox('{"latency": 0.02}') as thread:  # slow enough to fail mid-run
        thread.sandbox.seed(keys, [])
        base = [*fast_args(thread.url), "--concurrency", "1", "--ledger", str(ledger_file())]
        assert cli("run", write_csv(tmp_path / "x.csv", ["Email"], [["x@example.com"]]), *base)
        holder = sqlite3.connect(ledger_file(), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        try:
            halted = cli("run", src, *base, "--reports-dir", tmp_path / "r1")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        journal = only_report(tmp_path / "r1", ".journal")
        resumed = cli("run", src, *base, "--resume", journal, "--reports-dir", tmp_path / "r2")
    assert halted.code == 3, halted.out + halted.err
    first = report_rows(only_report(tmp_path / "r1"))
    done = [r for r in first if r["status"] == "success"]
    assert done and any(r["error_code"] == "halted_ledger" for r in first)
    assert resumed.code == 0, resumed.err
    final = report_rows(only_report(tmp_path / "r2"))
    recorded = ledger_rows("SELECT run_id, key_hint FROM entries WHERE key_type = 'email'")
    # every success of both runs is in the ledger, under the run that finished it
    assert sorted((r["run_id"], r["key"][0] + "***@example.com") for r in final) == sorted(
        (run, hint) for run, hint in recorded if hint != "x***@example.com"
    )


def _short_timeout(init):
    def patched(self, *args, **kwargs):
        kwargs["busy_timeout"] = 0.05
        init(self, *args, **kwargs)

    return patched


def test_a_sandbox_ledger_and_a_real_one_refuse_each_others_runs(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[ONLY_A]])
    assert cli("run", src, "--sandbox", "--yes", "--no-progress").code == 0
    sandbox_ledger = tmp_path / "reports" / "sandbox-ledger.sqlite3"
    assert sandbox_ledger.exists() and not ledger_file().exists()
    with start_sandbox() as thread:
        thread.sandbox.seed([ONLY_A], [])
        base = fast_args(thread.url)
        real = cli("run", src, *base, "--ledger", sandbox_ledger, "--reports-dir", tmp_path / "r")
        assert real.code == 2 and "built-in sandbox" in real.err
        assert thread.sandbox.posts() == []
        named = ["--ledger", ledger_file()]  # a test server records into a named ledger only
        assert cli("run", src, *base, *named, "--reports-dir", tmp_path / "r2").code == 0
    mixed = cli("run", src, "--sandbox", "--yes", "--no-progress", "--ledger", ledger_file())
    assert mixed.code == 2 and "real erasures" in mixed.err
    # the sandbox ledger needs no secret to be read
    assert cli("history", ONLY_A, "--ledger", sandbox_ledger).code == 0


def test_tests_never_touch_the_users_folders() -> None:
    from batch_anonymizer.state.secret import config_dir, default_ledger

    for path in (default_ledger(), config_dir()):
        assert "ledger-home" in str(path), path


def test_the_ledger_keeps_the_request_id_of_the_column_the_run_was_told(
    cli, tmp_path: Path
) -> None:
    """--request-column names a column no header rule knows: the ledger uses it too."""
    src = write_csv(tmp_path / "in.csv", ["Zendesk", "Email"], [["ZD-77", "zed@example.com"]])
    with start_sandbox() as thread:
        thread.sandbox.seed(["zed@example.com"], [])
        res = cli("run", src, *fast_args(thread.url), "--request-column", "Zendesk", "--ledger",
                  ledger_file())  # fmt: skip
    assert res.code == 0, res.out + res.err
    assert ledger_rows("SELECT outcome, request_id FROM entries") == [("success", "ZD-77")]
    exported = cli("ledger", "export", "--ledger", ledger_file())
    assert exported.out.splitlines()[1].split(",")[-2] == "ZD-77"


def test_a_rehearsal_against_a_standalone_sandbox_leaves_the_real_ledger_untouched(
    cli, tmp_path: Path, monkeypatch
) -> None:
    """``sandbox --port`` then ``run --base-url http://127.0.0.1:PORT``: a test run."""
    src = write_csv(tmp_path / "in.csv", ["Email"], [[ONLY_A], [ONLY_B]])
    proc = cli_subprocess(["sandbox", "--port", "0", "--seed", str(src)], tmp_path)
    try:
        assert proc.stdout is not None
        said = [proc.stdout.readline() for _ in range(5)]
        url, key = said[0].split()[-1], said[1].split()[3]
        assert said[4].startswith("It holds 2 people (2 records); any other key answers not_found")
        monkeypatch.setenv("CUSTOMERGAUGE_API_KEY", key)
        res = cli("run", src, *fast_args(url))
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert res.code == 0, res.out + res.err
    assert f"TEST RUN: sent to {url.split('//')[1]} (test server), not to " in res.out
    # the real ledger (and its secret) are not even created; the run has a sandbox ledger
    assert not ledger_file().exists() and not ledger_file().parent.exists()
    assert not (Path(os.environ["BATCH_ANONYMIZER_CONFIG_DIR"]) / "hmac-secret").exists()
    beside = tmp_path / "reports" / "sandbox-ledger.sqlite3"
    with sqlite3.connect(beside) as db:
        assert db.execute("SELECT value FROM meta WHERE name = 'kind'").fetchone() == ("sandbox",)
        assert db.execute("SELECT count(*) FROM entries").fetchone() == (2,)
    assert "Ledger:  reports/sandbox-ledger.sqlite3 (2 entries recorded)" in res.out
    xlsx = only_report(tmp_path / "reports")
    assert "TEST RUN: the requests went to 127.0.0.1:" in summary_headline(xlsx)
    # the real ledger knows nothing of them: screen and history read it, not the sandbox's
    assert cli("history", ONLY_A).code == 2


def test_an_empty_standalone_sandbox_says_it_answers_not_found_to_everyone() -> None:
    from batch_anonymizer.cli.sandboxcmd import _sandbox_holds
    from batch_anonymizer.sandbox import Sandbox

    box = Sandbox()
    assert _sandbox_holds(box) == (
        "It holds nobody: it answers not_found to every key (nothing is anonymized); "
        "seed it with --seed INPUT or --records FILE"
    )


def test_a_deleted_secret_is_not_replaced_while_the_ledger_holds_entries(
    cli, tmp_path: Path
) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[ONLY_A]])
    secret = Path(os.environ["BATCH_ANONYMIZER_CONFIG_DIR"]) / "hmac-secret"
    with start_sandbox() as thread:
        thread.sandbox.seed([ONLY_A], [])
        base = fast_args(thread.url)
        base += ["--ledger", str(ledger_file())]
        assert cli("run", src, *base).code == 0
        kept = secret.read_bytes()
        secret.unlink()
        posts = len(thread.sandbox.posts())
        res = cli("run", src, *base, "--reports-dir", tmp_path / "again")
        assert len(thread.sandbox.posts()) == posts  # nothing sent
    assert res.code == 2, res.out + res.err
    assert f"was kept in {secret}, which is missing: restore that file" in res.err
    assert "nothing was sent" in res.err
    assert not secret.exists()  # no new secret was made
    read = cli("history", ONLY_A)
    assert read.code == 2 and "which is missing: restore that file" in read.err
    secret.write_bytes(kept)
    secret.chmod(0o600)
    assert cli("history", ONLY_A).code == 0  # restored: the entries read again


def test_a_retry_records_a_key_found_only_as_written_once(cli, tmp_path: Path) -> None:
    """A national telephone the vendor holds only as written (never in its stored form),
    an email it holds in mixed case, and a key that fails: ``retry`` of the report sends
    the failed key and records it; the two settled keys keep their one entry each, and
    ``history`` finds the telephone in any form."""
    national, mixed, failing = "07700 900123", "Ann.Mixed@Example.com", "bob.fails@example.org"
    source = write_csv(
        tmp_path / "in.csv", ["email", "telephone"], [["", national], [mixed, ""], [failing, ""]]
    )
    with start_sandbox(f'{{"script": {{"{failing}": [400]}}}}') as thread:
        box = thread.sandbox
        box.add_contact(telephone=national)  # stored as written: only that form finds it
        box.add_contact(email=mixed)
        box.add_contact(email=failing)
        base = [*server_args(thread.url), "--default-region", "GB"]
        first = cli("run", source, *base, "--reports-dir", tmp_path / "r1")
        assert first.code == 1, first.err
        retry = cli("retry", only_report(tmp_path / "r1"), *server_args(thread.url))
        assert retry.code == 0, retry.err
    run_rows = {r["key"]: r for r in report_rows(only_report(tmp_path / "r1"))}
    assert run_rows[national]["key_form"] == "as_written"
    assert run_rows[national]["status"] == "success"
    entries = ledger_rows("SELECT key_type, outcome FROM entries ORDER BY id")
    # one entry per key and run: the run's 3, the retry's 1 (the failed key, now erased)
    assert sorted(entries) == sorted(
        [("telephone", "success"), ("email", "success"), ("email", "failed"), ("email", "success")]
    )
    stats = cli("ledger", "stats")
    totals = next(ln.split() for ln in stats.out.splitlines() if ln.strip().startswith("all"))
    assert totals == ["all", "3", "0", "1", "4"], stats.out  # success, not_found, failed, total
    for form in (national, "+44 7700 900123", "447700900123"):
        found = cli("history", form, "--default-region", "GB")
        assert found.out.count("success") == 1, (form, found.out)
