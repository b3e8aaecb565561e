"""Shared fixtures: a real sandbox on 127.0.0.1 in a thread, and ways to run the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import pytest

# Bytecode caches as Python writes them by default, even where PYTHONDONTWRITEBYTECODE is
# set: the main process compiles the package once (below) and every worker reads it, instead
# of each worker compiling the package and rewriting the tests' asserts again (~4.6 CPU-s a
# worker, measured). The caches land in __pycache__ folders, which git ignores.
sys.dont_write_bytecode = False

from forkcli import ForkedCli, spawn  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from batch_anonymizer.cli.main import main  # noqa: E402
from batch_anonymizer.core.records import InputTable, SourceRow  # noqa: E402
from batch_anonymizer.sandbox import Faults, Sandbox, SandboxThread  # noqa: E402


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """The tests' folders in memory (``/dev/shm``, a tmpfs) where the system has one.

    The tool fsyncs what it writes (journal, ledger, reports, their folders), as it
    must; on this project's VM disk each fsync and unlink waits milliseconds, so a
    two-row run took 285 ms of wall time for 43 ms of CPU (68 ms in memory). The
    calls are made all the same; only the wait for the disk goes. ``--basetemp``
    still chooses. (The controller decides; xdist gives each worker a folder inside.)
    """
    if config.option.basetemp or hasattr(config, "workerinput"):
        return
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK | os.X_OK)):
        return
    base = Path(tempfile.mkdtemp(prefix="batch-anonymizer-tests-", dir=shm))
    config.option.basetemp = str(base)
    config.add_cleanup(lambda: shutil.rmtree(base, ignore_errors=True))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the cores. Much of the suite waits on
    subprocesses and the sandbox's latency, so a third worker on two cores keeps
    both busy (measured here: 55-58 s instead of 62-66 s)."""
    return (os.cpu_count() or 1) + 1


# Property tests: a quick profile for every run of the suite, a thorough one for a nightly
# run (HYPOTHESIS_PROFILE=thorough, or --hypothesis-profile=thorough). The known bugs each
# property test found are pinned with @example, so they are tried under either profile.
# A test that sets max_examples itself (a costly example, or a meta-test) keeps its own.
settings.register_profile(
    "suite", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_inputs"
API_KEY = "test-key-7f3a9c1e5b"  # a distinctive value, so a leak is easy to grep


@pytest.fixture(autouse=True)
def private_ledger(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Every test keeps its erasure ledger and ledger secret in a folder of its own.

    Never the user's data or config folder: the ledger and the created secret go
    to a temporary folder (subprocesses inherit the variables).
    """
    home = tmp_path_factory.mktemp("ledger-home")
    monkeypatch.setenv("BATCH_ANONYMIZER_LEDGER", str(home / "data" / "ledger.sqlite3"))
    monkeypatch.setenv("BATCH_ANONYMIZER_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.delenv("BATCH_ANONYMIZER_HMAC_KEY", raising=False)
    return home


def fast_args(url: str) -> list[str]:
    """A run against the test server at ``url``: no question, no bar, no rate limit (a
    test server's run keeps its ledger beside its report unless --ledger names one)."""
    return ["--base-url", url, "--yes", "--no-progress", "--rate", "0"]


def server_args(url: str) -> list[str]:
    """``fast_args``, and the run recorded in this test's ledger."""
    return [*fast_args(url), "--ledger", os.environ["BATCH_ANONYMIZER_LEDGER"]]


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Run the CLI in-process, in tmp_path, with the test API key in the environment."""
    monkeypatch.setenv("CUSTOMERGAUGE_API_KEY", API_KEY)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def start_sandbox(faults: str | None = None, **kwargs: object) -> SandboxThread:
    box = Sandbox(api_key=API_KEY, faults=Faults.from_spec(faults) if faults else None, **kwargs)  # type: ignore[arg-type]
    return SandboxThread(box)


@pytest.fixture
def sandbox() -> Iterator[SandboxThread]:
    """A sandbox with no faults; tests seed it and read its request log."""
    with start_sandbox() as thread:
        yield thread


def cli_subprocess(args: list[str], cwd: Path, *, fresh: bool = False) -> ForkedCli | Popen[str]:
    """The real CLI as a separate process (for kill, signal, lock and full-disk tests).

    Forked from an interpreter that has imported the CLI (tests/forkcli.py: a real
    process without the start-up's 0.8 CPU-s); ``fresh`` starts ``python -m
    batch_anonymizer`` itself.
    """
    env = {**os.environ, "CUSTOMERGAUGE_API_KEY": API_KEY, "PYTHONUNBUFFERED": "1"}
    if not fresh:
        return spawn(args, cwd, env)
    return subprocess.Popen(
        [sys.executable, "-m", "batch_anonymizer", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def report_rows(xlsx: Path) -> list[dict[str, str]]:
    from batch_anonymizer.audit.reportread import read_report

    return list(read_report(xlsx).rows)


def only_report(folder: Path, suffix: str = ".xlsx") -> Path:
    found = sorted(p for p in folder.glob(f"*{suffix}") if "handover" not in p.name)
    assert len(found) == 1, found
    return found[0]


def make_table(columns: list[str], rows: list[list[str]]) -> InputTable:
    """An in-memory input table (rows numbered from 2, as under a header row)."""
    src = tuple(SourceRow(None, i + 2, tuple(r)) for i, r in enumerate(rows))
    return InputTable(Path("in.csv"), "0" * 64, 1, tuple(columns), src)
