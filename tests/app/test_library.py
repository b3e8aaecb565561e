"""The library API: what ``import batch_anonymizer`` offers, from a thread and inside a loop."""

from __future__ import annotations

import asyncio
import importlib
import re
import threading
from pathlib import Path

import pytest
from conftest import API_KEY, REPO, SAMPLES, report_rows, start_sandbox, write_csv

import batch_anonymizer as ba

FAST = ba.Settings(rate=None)


def test_the_curated_names_are_all_there() -> None:
    for name in ba.__all__:
        assert hasattr(ba, name), name
    assert {"prepare_run", "execute", "execute_async", "RunControl", "AnonymizerError"} <= set(
        ba.__all__
    )
    assert issubclass(ba.InputError, ba.AnonymizerError)


def test_a_run_from_a_worker_thread(tmp_path: Path) -> None:
    """No signal handling in the library: a run works off the main thread."""
    found: list[ba.Summary] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            prep = ba.prepare_run(SAMPLES / "requests.csv")
            opts = ba.RunOptions(None, None, FAST, reports_dir=tmp_path)
            found.append(ba.execute(prep, opts))
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert not errors, errors
    (summary,) = found
    assert summary.exit_code == ba.ExitCode.PROBLEMS  # the sample holds invalid rows
    assert (summary.counts["success"], summary.counts["not_found"]) == (56, 2)
    assert summary.xlsx.exists() and summary.manifest is not None and summary.manifest.exists()


def test_a_run_inside_a_running_event_loop(tmp_path: Path) -> None:
    async def outer() -> ba.Summary:
        prep = ba.prepare_run(SAMPLES / "requests.csv")
        opts = ba.RunOptions(None, None, FAST, reports_dir=tmp_path)
        with pytest.raises(ba.UsageError, match="execute_async"):
            ba.execute(prep, opts)  # the sync entry point says what to use instead
        return await ba.execute_async(prep, opts)

    summary = asyncio.run(outer())
    assert (summary.counts["success"], summary.counts["not_found"]) == (56, 2)
    rows = report_rows(summary.xlsx)
    assert sum(r["status"] == "success" for r in rows) == 56


def test_a_caller_stops_a_run_from_another_thread(tmp_path: Path) -> None:
    keys = [f"t{i}@example.com" for i in range(30)]
    src = write_csv(tmp_path / "in.csv", ["Email"], [[k] for k in keys])
    control = ba.RunControl()
    with start_sandbox() as thread:
        thread.sandbox.seed(keys, [])
        opts = ba.RunOptions(
            ba.Endpoint.for_base_url(thread.url),
            ba.ApiKeyAuth(API_KEY),
            ba.Settings(rate=20.0, concurrency=1),
            reports_dir=tmp_path / "reports",
        )
        timer = threading.Timer(0.3, control.stop, args=("stopped by the caller",))
        timer.start()
        summary = ba.execute(ba.prepare_run(src), opts, control=control)
        timer.join()
        posts = len(thread.sandbox.posts())
    assert summary.exit_code == ba.ExitCode.HALTED
    assert summary.halted == "stopped by the caller"
    rows = report_rows(summary.xlsx)
    pending = [r for r in rows if r["status"] == "pending"]
    assert pending and all(r["error_code"] == "interrupted" for r in pending)
    assert sum(r["status"] == "success" for r in rows) == posts < len(keys)


def test_no_secret_in_any_repr() -> None:
    key, secret, handover = "apikey-7f3a9c1e", "client-secret-5b2d", b"handover-secret-0123456789"
    auth = ba.ApiKeyAuth(key)
    oauth = ba.OAuth2Auth("client-id", secret, "https://auth.example.com/oauth2/token")
    opts = ba.RunOptions(
        ba.Endpoint.for_region("eu"),
        auth,
        handover=ba.HandoverTarget(Path("h.xlsx"), handover),
        ledger=ba.LedgerTarget(Path("l.sqlite3"), handover),
    )
    shown = " ".join(repr(x) + str(x) for x in (auth, oauth, opts, ba.RunOptions(None, oauth)))
    for hidden in (key, secret, handover.decode()):
        assert hidden not in shown


def test_docs_api_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example in docs/api.md is run as written (in a scratch folder)."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    examples = [part.split("```", 1)[0] for part in text.split("```python\n")[1:]]
    assert len(examples) == 2
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sample_inputs").mkdir()
    for sample in SAMPLES.iterdir():  # copied: the second example writes beside the sheet
        (tmp_path / "sample_inputs" / sample.name).write_bytes(sample.read_bytes())
    for example in examples:
        exec(compile(example, "docs/api.md", "exec"), {})  # noqa: S102 - our own documentation
    assert list((tmp_path / "reports").glob("*.xlsx"))
    assert (tmp_path / "reports" / "sandbox-ledger.sqlite3").exists()
    assert (tmp_path / "sample_inputs" / "requests-screened.csv").exists()


def _tree(text: str) -> list[tuple[int, str]]:
    """(depth, class name) of each line of an exception tree drawn with box characters."""
    found = []
    for line in text.splitlines():
        m = re.match(r"^ {4}((?:[│ ]   )*)(?:[├└]── )?([A-Z]\w*Error)\b", line)
        if m:
            found.append((len(m[1]) // 4 + ("── " in line), m[2]))
    return found


def test_every_exception_is_exported_and_drawn_the_same_in_the_code_and_the_docs() -> None:
    import inspect
    import pkgutil

    from batch_anonymizer.core import errors

    classes: set[type] = set()
    for info in pkgutil.walk_packages(ba.__path__, "batch_anonymizer."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, ba.AnonymizerError) and obj.__module__ == info.name:
                classes.add(obj)
    names = {c.__name__ for c in classes}
    assert names == {
        "AnonymizerError", "UsageError", "MissingKeyError", "RunLockedError",
        "ReplyTemplateError", "InputError", "ResumeMismatchError", "ReportError",
        "LedgerError", "JournalError", "ReportNotWrittenError", "EvidenceChangedError",
        "HaltError",
    }  # fmt: skip
    assert names <= set(ba.__all__)
    drawn = _tree(errors.__doc__ or "")
    assert drawn == _tree((REPO / "docs" / "api.md").read_text(encoding="utf-8"))
    assert {name for _, name in drawn} == names
    for depth, name in drawn:  # each class drawn under its own base
        cls = getattr(ba, name)
        parents = [n for d, n in drawn[: drawn.index((depth, name))] if d == depth - 1]
        if depth:
            assert cls.__bases__[0].__name__ == parents[-1], name


def test_docs_api_lists_exactly_what_is_exported() -> None:
    doc = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    listed = doc.split("## Everything `import batch_anonymizer` offers", 1)[1].split("\n## ")[0]
    rows = [line for line in listed.splitlines() if line.startswith("| ") and "`" in line]
    names = [n for row in rows for n in re.findall(r"`([A-Za-z_]\w*)`", row.split("|")[2])]
    assert sorted(names) == sorted(ba.__all__)  # each once, none missing, none extra
