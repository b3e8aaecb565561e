"""Resume bound to its input, retry of failed rows, breakers and signals, end to end."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import cli_subprocess, fast_args, only_report, report_rows, start_sandbox, write_csv

from batch_anonymizer.app.options import InputOptions
from batch_anonymizer.app.prepare import prepare_run
from batch_anonymizer.core.errors import ResumeMismatchError
from batch_anonymizer.state.previous import load_previous
from batch_anonymizer.state.resume import carry_over

KEYS = [f"k{i}@example.com" for i in range(12)]


def halted_run(cli, tmp_path: Path, thread) -> Path:
    """A run that halts on a 401 at the 6th key (concurrency 1): 5 success, 7 pending."""
    src = write_csv(
        tmp_path / "in.csv", ["Request ID", "Email"], [[f"R{i}", k] for i, k in enumerate(KEYS)]
    )
    thread.sandbox.seed(KEYS, [])
    res = cli("run", src, *fast_args(thread.url), "--concurrency", "1")
    assert res.code == 3
    return src


@pytest.mark.parametrize("source", [".xlsx", ".csv", ".journal"])
def test_resume_from_each_source_sends_only_the_rest(cli, tmp_path: Path, source: str) -> None:
    with start_sandbox('{"script": {"k5@example.com": [401]}}') as thread:
        src = halted_run(cli, tmp_path, thread)
        first = only_report(tmp_path / "reports")
        if source == ".journal":  # as if the run died before writing its report
            first.unlink()
            first.with_suffix(".csv").unlink()
            first.with_suffix(".manifest.json").unlink()  # written after the report
        res = cli("run", src, "--resume", first.with_suffix(source), *fast_args(thread.url),
                  "--report", tmp_path / "second.xlsx")  # fmt: skip
        posts = thread.sandbox.posts()
    assert res.code == 0, res.out + res.err
    anonymized = Counter(e.key for e in posts if e.outcome == "anonymized")
    assert anonymized == Counter(KEYS)  # every key anonymized exactly once
    rows = report_rows(tmp_path / "second.xlsx")
    assert [r["status"] for r in rows] == ["success"] * 12
    run_ids = [r["run_id"] for r in rows]
    assert len(set(run_ids[:5])) == 1 and run_ids[0] != run_ids[5]  # carried lines keep their run
    assert rows[5]["attempts"] == "2"  # the refused attempt counts
    # ...but a refusal is a known answer: no claim of a lost one
    assert rows[5]["message"].startswith("Record updated successfully; 1 record(s) anonymized")
    assert rows[5]["unknown_attempts"] == "0"
    assert [r["Request ID"] for r in rows] == [f"R{i}" for i in range(12)]


def test_a_journal_of_the_same_plan_is_matched_by_index_with_the_same_result(
    cli, tmp_path: Path
) -> None:
    with start_sandbox('{"script": {"k5@example.com": [401]}}') as thread:
        src = halted_run(cli, tmp_path, thread)
    journal = only_report(tmp_path / "reports").with_suffix(".journal")
    prep = prepare_run(src, InputOptions(), resume=journal)
    assert prep.previous is not None and prep.previous.plan_outcomes is not None  # the fast way
    assert prep.plan is not None
    decoded = carry_over(prep.plan, load_previous(journal), allow_changed_input=False)
    assert prep.carried == decoded.carried and len(prep.carried) == 5
    assert prep.jobs == decoded.jobs and len(prep.jobs) == 7
    # another --where makes another plan: refused, for the options the run facts record...
    narrower = InputOptions(where=(("Request ID", "R7"),))
    with pytest.raises(ResumeMismatchError, match="--where: earlier not given"):
        prepare_run(src, narrower, resume=journal)
    # ...and for the lines themselves: the journal's lines are decoded and matched by key,
    # and the five earlier successes and the key sent before the halt match no line ready now
    plan = prepare_run(src, narrower).plan
    assert plan is not None
    previous = load_previous(journal, plan)
    assert previous.plan_outcomes is None
    with pytest.raises(ResumeMismatchError, match=r"^6 line\(s\) that the run it resumes"):
        carry_over(plan, previous, allow_changed_input=False)


def test_changed_input_is_refused_unless_allowed(cli, tmp_path: Path) -> None:
    with start_sandbox('{"script": {"k5@example.com": [401]}}') as thread:
        src = halted_run(cli, tmp_path, thread)
        first = only_report(tmp_path / "reports")
        # the input changes: a new row on top, so every row number shifts
        write_csv(
            src,
            ["Request ID", "Email"],
            [["NEW", "new@example.com"]] + [[f"R{i}", k] for i, k in enumerate(KEYS)],
        )
        thread.sandbox.seed(["new@example.com"], [])
        before = len(thread.sandbox.posts())
        res = cli("run", src, "--resume", first, *fast_args(thread.url))
        assert res.code == 2
        assert "--allow-changed-input" in res.err
        assert len(thread.sandbox.posts()) == before  # nothing sent
        res = cli("run", src, "--resume", first, "--allow-changed-input", *fast_args(thread.url),
                  "--report", tmp_path / "second.xlsx")  # fmt: skip
        posts = thread.sandbox.posts()[before:]
    assert res.code == 0, res.out + res.err
    assert sorted(e.key for e in posts) == sorted(["new@example.com", *KEYS[5:]])
    rows = report_rows(tmp_path / "second.xlsx")
    assert rows[0]["key"] == "new@example.com" and rows[0]["source_row"] == "2"
    assert all(r["status"] == "success" for r in rows)


def test_retry_and_only_transient(cli, tmp_path: Path) -> None:
    faults = (
        '{"script": {"k1@example.com": [503, 503, 503], "k2@example.com": [400],'
        ' "k3@example.com": ["html502", "html502", "html502"]}}'
    )
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS[:5]])
    with start_sandbox(faults) as thread:
        thread.sandbox.seed(KEYS[:5], [])
        res = cli("run", src, *fast_args(thread.url), "--max-retries", "2")
        assert res.code == 1
        assert "batch-anonymizer retry" in res.out
        first = only_report(tmp_path / "reports")
        rows = report_rows(first)
        assert [r["status"] for r in rows] == ["success", "failed", "failed", "failed", "success"]
        assert rows[1]["message"].startswith("gave up after 3 attempts: ")
        assert rows[1]["http_status"] == "503"
        assert rows[2]["http_status"] == "400"
        before = len(thread.sandbox.posts())
        res = cli("retry", first, "--only-transient", *fast_args(thread.url), "--report",
                  tmp_path / "retry1.xlsx")  # fmt: skip
        resent = [e.key for e in thread.sandbox.posts()[before:]]
        assert sorted(resent) == ["k1@example.com", "k3@example.com"]
        # k3's 502s may have been processed; the retry finds no records left
        rows2 = report_rows(tmp_path / "retry1.xlsx")
        assert rows2[0]["finished_at"] == rows[0]["finished_at"]
        assert rows2[0]["run_id"] == rows[0]["run_id"]
        assert rows2[1]["status"] == "success" and rows2[1]["attempts"] == "4"
        assert rows2[2]["status"] == "failed" and rows2[2]["run_id"] == rows[2]["run_id"]
        # plain retry now sends the permanent failure too, and never a success
        before = len(thread.sandbox.posts())
        cli("retry", tmp_path / "retry1.xlsx", *fast_args(thread.url), "--report",
            tmp_path / "retry2.xlsx")  # fmt: skip
        resent = [e.key for e in thread.sandbox.posts()[before:]]
        assert "k0@example.com" not in resent and "k1@example.com" not in resent
        assert "k2@example.com" in resent


def test_consecutive_failure_breaker_from_the_sandbox(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS])
    refuse = ", ".join(f'"{k}": [400]' for k in KEYS)  # every anonymize call is refused
    with start_sandbox(f'{{"script": {{{refuse}}}}}') as thread:
        thread.sandbox.seed(KEYS, [])
        res = cli("run", src, *fast_args(thread.url), "--concurrency", "1",
                  "--max-consecutive-failures", "4")  # fmt: skip
        n_posts = len(thread.sandbox.posts())
    assert res.code == 3
    assert "4 keys failed in a row" in res.out
    assert n_posts == 4
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["status"] for r in rows] == ["failed"] * 4 + ["pending"] * 8
    assert (
        rows[0]["message"] == "Please make an API request by email or telephone; 1 record(s) remain"
    )
    assert (rows[0]["error_code"], rows[0]["records_after"]) == ("vendor_error", "1")


def test_long_retry_after_halts_cleanly(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in KEYS[:4]])
    with start_sandbox('{"script": {"k1@example.com": ["429:3600"]}}') as thread:
        thread.sandbox.seed(KEYS[:4], [])
        res = cli("run", src, *fast_args(thread.url), "--concurrency", "1")
    assert res.code == 3
    assert "asked to wait 3600 s" in res.out
    rows = report_rows(only_report(tmp_path / "reports"))
    assert [r["status"] for r in rows] == ["success", "pending", "pending", "pending"]
    # the key that got the 429 says so; the two never sent have no answer to show
    assert [(r["http_status"], r["attempts"]) for r in rows[1:]] == [
        ("429", "1"),
        ("", "0"),
        ("", "0"),
    ]
    assert {r["error_code"] for r in rows[1:]} == {"halted_breaker"}


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_cleanly_and_resume_sends_nothing_twice(
    cli, tmp_path: Path, signum: int, code: int
) -> None:
    keys = [f"s{i}@example.com" for i in range(100)]
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])
    with start_sandbox() as thread:
        thread.sandbox.seed(keys, [])
        base = ["--base-url", thread.url, "--yes", "--rate", "400", "--no-progress"]
        proc = cli_subprocess(["run", str(src), *base], tmp_path)
        deadline = time.monotonic() + 60
        while len(thread.sandbox.posts()) < 20:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == code, err
        assert "Interrupted" in out
        first = only_report(tmp_path / "reports")
        rows = report_rows(first)
        assert len(rows) == 100
        assert {r["status"] for r in rows} == {"success", "pending"}
        done = {r["key"] for r in rows if r["status"] == "success"}
        assert {e.key for e in thread.sandbox.posts()} == done  # in-flight requests finished
        # the resume is not interrupted: it runs in this process
        resumed = cli("run", src, "--resume", first, *base, "--report", tmp_path / "second.xlsx")
        assert resumed.code == 0, resumed.err
        posts = thread.sandbox.posts()
    assert Counter(e.key for e in posts) == Counter(keys)  # each key sent exactly once


def test_a_second_signal_leaves_at_once_and_the_journal_owns_up_to_the_rest(
    cli, tmp_path: Path
) -> None:
    """Ctrl-C twice: no waiting for answers, no report; the journal still tells the truth."""
    keys = [f"q{i}@example.com" for i in range(16)]
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    with start_sandbox('{"latency": 0.2}') as thread:
        box = thread.sandbox
        box.seed(keys, [])
        base = ["--base-url", thread.url, "--yes", "--rate", "0", "--concurrency", "4"]
        proc = cli_subprocess(
            ["run", str(src), *base, "--no-progress", "--report", str(first)], tmp_path
        )
        deadline = time.monotonic() + 60
        while len(box.posts()) < 4:  # the first four answered, four more in flight
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert not first.exists()  # it left without writing the report
        time.sleep(0.4)  # the sandbox finishes what was in flight
        acted = Counter(e.key for e in box.posts() if e.outcome == "anonymized")

        assert cli("report", first.with_suffix(".journal")).code == 0
        rows = report_rows(first)
        assert [r["key"] for r in rows] == keys
        success = {r["key"] for r in rows if r["status"] == "success"}
        unknown = {r["key"] for r in rows if int(r["unknown_attempts"])}
        assert {r["status"] for r in rows} == {"success", "pending"}
        assert unknown and not success & unknown
        assert success <= set(acted)  # no success that did not happen
        assert set(acted) <= success | unknown  # nothing the vendor did goes unmentioned

        again = [*base, "--no-progress", "--report", str(second)]
        resumed = cli("run", src, "--resume", first, *again)
        assert resumed.code in (0, 1), resumed.err
        acted = Counter(e.key for e in box.posts() if e.outcome == "anonymized")
        sent = Counter(e.key for e in box.posts())
    assert acted == Counter(keys)  # each key anonymized exactly once by the vendor
    final = {r["key"]: r for r in report_rows(second)}
    for key in keys:
        r = final[key]
        assert r["status"] == "success", r
        assert r["records_after"] == "0"
        assert int(r["attempts"]) == sent[key]  # every request that left is counted
        if key in unknown:  # looked up first: sent again only if its records were still there
            assert int(r["unknown_attempts"]) >= 1
            assert sent[key] == 1 or acted[key] == 1


def _resume_setup(cli, tmp_path: Path, thread, header, rows, *first_opts: str) -> Path:
    src = write_csv(tmp_path / "in.csv", header, rows)
    base = ("--base-url", thread.url, "--yes", "--rate", "0", "--no-progress")
    res = cli("run", src, *base, *first_opts)
    assert res.code == 0, res.out + res.err
    return src


@pytest.mark.parametrize(
    ("header", "rows", "first_opts", "second_opts", "named"),
    [
        # the telephone is national: without the region it is invalid, its success lost
        (
            ["Request ID", "Email", "Phone"],
            [["R1", "", "07700 900123"], ["R2", "bob@example.org", ""]],
            ("--default-region", "GB"),
            (),
            "--default-region: earlier 'GB', now not given",
        ),
        # another form: another key, which would be sent again unannounced
        (
            ["Request ID", "Phone"],
            [["R1", "+44 7700 900150"]],
            (),
            ("--phone-form", "as-written"),
            "--phone-form: earlier 'vendor', now 'as-written'",
        ),
        (
            ["Request ID", "Email", "Team"],
            [["R1", "a@example.com", "x"], ["R2", "b@example.com", "y"]],
            ("--where", "Team=x"),
            ("--where", "Team=y"),
            "--where: earlier 'Team=x', now 'Team=y'",
        ),
        (
            ["Email", "Backup email"],
            [["a@example.com", "c@example.com"]],
            ("--email-column", "Email"),
            ("--email-column", "Backup email"),
            "--email-column: earlier 'Email', now 'Backup email'",
        ),
        # another value read as an erasure: rows left out before could be sent now
        (
            ["Request ID", "Email", "Kind"],
            [["R1", "a@example.com", "Forget"]],
            ("--type-column", "Kind", "--erasure-type", "Forget"),
            ("--type-column", "Kind", "--erasure-type", "Forget", "--erasure-type", "Purge"),
            "--erasure-type: earlier 'Forget', now 'Forget; Purge'",
        ),
        # without the identity column named, no row would be held for its identity
        (
            ["Request ID", "Email", "KYC"],
            [["R1", "a@example.com", "yes"]],
            ("--identity-column", "KYC"),
            (),
            "--identity-column: earlier 'KYC', now not given",
        ),
    ],
    ids=["default-region", "phone-form", "where", "email-column", "erasure-type", "identity"],
)
@pytest.mark.parametrize("source", [".xlsx", ".journal"])
def test_a_resume_with_other_input_options_is_refused(
    cli, tmp_path: Path, header, rows, first_opts, second_opts, named: str, source: str
) -> None:
    with start_sandbox() as thread:
        thread.sandbox.seed(["a@example.com", "b@example.com", "bob@example.org"], [])
        thread.sandbox.add_record(sms_telephone="447700900123")
        thread.sandbox.add_record(sms_telephone="447700900150")
        src = _resume_setup(cli, tmp_path, thread, header, rows, *first_opts)
        earlier = only_report(tmp_path / "reports").with_suffix(source)
        before = len(thread.sandbox.log)
        res = cli("run", src, "--resume", earlier, *fast_args(thread.url), "--report",
                  tmp_path / "second.xlsx", *second_opts)  # fmt: skip
        after = len(thread.sandbox.log)
    assert res.code == 2, res.out + res.err
    (line,) = res.err.strip().splitlines()
    assert named in line
    assert "repeat the earlier run's options" in line and "nothing was sent" in line
    assert after == before  # not one request, not even a lookup
    assert not (tmp_path / "second.xlsx").exists()


def test_a_resume_from_a_csv_alone_that_would_lose_a_line_is_refused(cli, tmp_path: Path) -> None:
    """A .csv does not record the options: the lines themselves show the difference."""
    with start_sandbox() as thread:
        thread.sandbox.add_record(sms_telephone="447700900123")
        src = _resume_setup(
            cli, tmp_path, thread, ["Phone"], [["07700 900123"]], "--default-region", "GB"
        )
        earlier = only_report(tmp_path / "reports").with_suffix(".csv")
        before = len(thread.sandbox.log)
        base = ("--base-url", thread.url, "--yes", "--rate", "0", "--no-progress")
        res = cli("run", src, "--resume", earlier, *base, "--report", tmp_path / "second.xlsx")
        refused_log = len(thread.sandbox.log)
        same = cli("run", src, "--resume", earlier, *base, "--default-region", "GB",
                   "--report", tmp_path / "third.xlsx")  # fmt: skip
        posts = thread.sandbox.posts()
    assert res.code == 2, res.out + res.err
    (line,) = res.err.strip().splitlines()
    assert "1 line(s) that the run it resumes" in line and "row 2, a telephone, success" in line
    assert "Repeat the earlier run's options" in line
    assert refused_log == before
    # the same options: carried over, nothing sent again
    assert same.code == 0, same.out + same.err
    assert len(posts) == 1
    assert [r["status"] for r in report_rows(tmp_path / "third.xlsx")] == ["success"]


def test_a_resume_in_another_phone_form_carries_the_success_over(cli, tmp_path: Path) -> None:
    """From a .csv (no options recorded): the report's key is matched in any of its forms,
    so the success sent as 447700900150 is carried over to the line planned as written."""
    with start_sandbox() as thread:
        thread.sandbox.add_record(sms_telephone="447700900150")
        src = _resume_setup(cli, tmp_path, thread, ["Phone"], [["+44 7700 900150"]])
        earlier = only_report(tmp_path / "reports").with_suffix(".csv")
        base = ("--base-url", thread.url, "--yes", "--rate", "0", "--no-progress")
        res = cli("run", src, "--resume", earlier, *base, "--phone-form", "as-written",
                  "--report", tmp_path / "second.xlsx")  # fmt: skip
        posts = thread.sandbox.posts()
    assert res.code == 0, res.out + res.err
    assert len(posts) == 1  # not sent again
    assert [r["status"] for r in report_rows(tmp_path / "second.xlsx")] == ["success"]


def test_a_resume_from_a_retry_is_compared_with_the_first_runs_options(cli, tmp_path: Path) -> None:
    """A retry reads no input: its facts carry the options of the run it retried."""
    with start_sandbox('{"script": {"a@example.com": [400]}}') as thread:
        thread.sandbox.seed(["a@example.com"], [])
        thread.sandbox.add_record(sms_telephone="447700900123")
        src = write_csv(tmp_path / "in.csv", ["Email", "Phone"],
                        [["a@example.com", ""], ["", "07700 900123"]])  # fmt: skip
        base = ("--base-url", thread.url, "--yes", "--rate", "0", "--no-progress")
        first = cli("run", src, *base, "--default-region", "GB", "--report", "first.xlsx")
        assert first.code == 1, first.out + first.err
        retried = cli("retry", "first.xlsx", *base, "--report", "retried.xlsx")
        assert retried.code == 0, retried.out + retried.err
        before = len(thread.sandbox.log)
        res = cli("run", src, "--resume", "retried.xlsx", *base, "--report", "third.xlsx")
        after = len(thread.sandbox.log)
    assert res.code == 2, res.out + res.err
    assert "--default-region: earlier 'GB', now not given" in res.err
    assert after == before
