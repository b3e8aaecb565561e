"""Shared machinery of the benchmark: repetitions, child processes, the sandbox, the table."""

from __future__ import annotations

import itertools
import json
import os
import platform
import pty
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work"
PY = sys.executable


def child_env(**extra: str) -> dict[str, str]:
    """The environment of every child: the repo importable, output unbuffered."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


# -- figures ---------------------------------------------------------------------------


@dataclass
class Series:
    """Repeated measurements of one figure."""

    values: list[float] = field(default_factory=list)

    def add(self, v: float) -> None:
        self.values.append(v)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def lo(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def hi(self) -> float:
        return max(self.values) if self.values else float("nan")


def repeat(reps: int, budget: float, once: Callable[[int], None]) -> int:
    """Call ``once(i)`` up to ``reps`` times, stopping early once ``budget`` seconds are spent.

    Long figures (a minute per run) then get fewer repetitions, and the table says how many.
    """
    t0 = time.monotonic()
    done = 0
    for i in range(reps):
        once(i)
        done += 1
        if time.monotonic() - t0 > budget:
            break
    return done


@dataclass
class Row:
    """One line of the results table."""

    section: str
    what: str
    series: Series | None = None
    unit: str = ""
    fmt: str = "{:,.0f}"
    target: str = ""
    ok: bool | None = None
    text: str = ""  # shown instead of the series (a skip, a count)
    cause: str = ""  # for a missed target: why, as measured

    def value(self) -> str:
        if self.series is None or not self.series.n:
            return self.text
        return f"{self.fmt.format(self.series.median)} {self.unit}".strip()

    def spread(self) -> str:
        if self.series is None or self.series.n < 2:
            return ""
        return f"{self.fmt.format(self.series.lo)}–{self.fmt.format(self.series.hi)}"

    def mark(self) -> str:
        return "" if self.ok is None else ("✓" if self.ok else "✗")


def render_table(rows: Sequence[Row], before: Previous | None = None) -> str:
    """The results table; with ``before``, each row's median of that earlier run beside it
    (matched by section and measurement text: a renamed row shows none)."""
    head = "| section | measurement | median | spread (min–max) | n | target | met |"
    rule = "| --- | --- | ---: | ---: | ---: | --- | :---: |"
    if before is not None:
        head += f" before ({before.label}) |"
        rule += " ---: |"
    out = [head, rule]
    for r in rows:
        n = str(r.series.n) if r.series is not None and r.series.n else ""
        line = (
            f"| {r.section} | {r.what} | {r.value()} | {r.spread()} | {n} | {r.target} "
            f"| {r.mark()} |"
        )
        if before is not None:
            line += f" {before.medians.get((r.section, r.what), '')} |"
        out.append(line)
    return "\n".join(out)


@dataclass(frozen=True)
class Previous:
    """The medians of an earlier results file, by (section, measurement)."""

    label: str  # its commit and date
    medians: dict[tuple[str, str], str]


def read_previous(path: Path) -> Previous | None:
    """The earlier run's medians from a results file this script wrote, or None."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    facts = dict(re.findall(r"^- \*\*(\w+)\*\*: (.*)$", text, flags=re.M))
    medians: dict[tuple[str, str], str] = {}
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("| section |")), len(lines))
    for line in itertools.takewhile(lambda ln: ln.startswith("|"), lines[start + 2 :]):
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) >= 3:
            medians[(cells[0], cells[1])] = cells[2]
    if not medians:
        return None
    when = facts.get("date", "?").removesuffix(" UTC")
    return Previous(f"{facts.get('commit', '?')}, {when}", medians)


# -- child processes -------------------------------------------------------------------


@dataclass
class Child:
    code: int
    out: str
    err: str
    wall: float
    max_rss_mb: float
    cpu: float = 0.0  # user + system seconds

    def json(self) -> dict[str, Any]:
        """The last JSON line the child printed."""
        for line in reversed(self.out.splitlines()):
            if line.startswith("{"):
                return json.loads(line)  # type: ignore[no-any-return]
        raise RuntimeError(f"no JSON from child (exit {self.code}): {self.err[-2000:]}")


def run_child(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdin: Path | None = None,
    tty_stderr: bool = False,
    timeout: float = 900.0,
) -> Child:
    """Run a process; return its output, wall time and peak RSS (from ``wait4``).

    ``tty_stderr`` gives the child a pseudo-terminal as stderr, so a progress bar
    that only draws on a terminal really draws (and costs what it costs).
    """
    err_path = WORK / f".stderr-{os.getpid()}-{threading.get_ident()}"
    master = slave = -1
    drained: list[bytes] = []
    with err_path.open("wb") as err_file:
        stderr: Any = err_file
        if tty_stderr:
            master, slave = pty.openpty()
            stderr = slave
        stdin_file = stdin.open("rb") if stdin else subprocess.DEVNULL
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(args),
            env=env or child_env(),
            cwd=cwd,
            stdin=stdin_file,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        drain = None
        if tty_stderr:
            os.close(slave)
            drain = threading.Thread(target=_drain, args=(master, drained), daemon=True)
            drain.start()
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        if drain is not None:
            drain.join(timeout=2)
            os.close(master)
        if stdin is not None and hasattr(stdin_file, "close"):
            stdin_file.close()
    err = err_path.read_bytes() + b"".join(drained)
    err_path.unlink(missing_ok=True)
    return Child(
        proc.returncode,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
        wall,
        usage.ru_maxrss / 1024,
        usage.ru_utime + usage.ru_stime,
    )


def _drain(fd: int, sink: list[bytes]) -> None:
    """Read a pty until the child closes it; keep only the tail."""
    while True:
        try:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            data = os.read(fd, 65536)
        except OSError:
            return
        if not data:
            return
        sink.append(data)
        if len(sink) > 64:
            del sink[:-8]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the sandbox in its own process ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrival:
    t: float  # arrival time, seconds (the sandbox's clock)
    method: str
    key: str
    status: int | None
    peer: str


class SandboxProc:
    """``batch-anonymizer sandbox`` as a child process, and its JSON-lines request log."""

    def __init__(
        self,
        tag: str,
        *,
        seed: Iterable[Path] = (),
        records: Iterable[Path] = (),
        faults: str | None = None,
    ) -> None:
        self.port = free_port()
        self.log = WORK / f"sandbox-{tag}.jsonl"
        self.log.unlink(missing_ok=True)
        args = [PY, "-m", "batch_anonymizer", "sandbox", "--port", str(self.port)]
        args += ["--log", str(self.log)]
        for s in seed:
            args += ["--seed", str(s)]
        for r in records:
            args += ["--records", str(r)]
        if faults:
            args += ["--faults", faults]
        self.out = WORK / f"sandbox-{tag}.out"
        self._out = self.out.open("wb")
        self.proc = subprocess.Popen(
            args, env=child_env(), cwd=WORK, stdout=self._out, stderr=subprocess.STDOUT
        )
        self.url = ""
        self.api_key = "sandbox-demo-key"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = self.out.read_text(errors="replace")
            if self.proc.poll() is not None:
                raise RuntimeError(f"the sandbox exited: {text[-2000:]}")
            for line in text.splitlines():
                if line.startswith("Sandbox listening on "):
                    self.url = line.split()[-1]
                if line.startswith("Demo API key: "):
                    self.api_key = line.split()[3]
            if self.url and "Demo API key" in text:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the sandbox did not start within 120 s")
        self.anonymize_url = f"{self.url}/v4.1/anonymize.json"

    def mark(self) -> int:
        """A position in the request log; ``arrivals(mark)`` reads what came after it."""
        return self.log.stat().st_size if self.log.exists() else 0

    def arrivals(self, since: int = 0, *, settle: float = 0.3) -> list[Arrival]:
        time.sleep(settle)  # let the server write out its last lines
        if not self.log.exists():
            return []
        with self.log.open("rb") as f:
            f.seek(since)
            data = f.read()
        out = []
        for raw in data.splitlines():
            if not raw.strip():
                continue
            rec = json.loads(raw)
            out.append(_arrival(rec))
        return out

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._out.close()

    def __enter__(self) -> SandboxProc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _arrival(rec: dict[str, Any]) -> Arrival:
    t = next((rec[k] for k in ("t", "time", "ts", "at", "arrived") if k in rec), None)
    if isinstance(t, str):
        t = datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
    key = next((str(rec[k]) for k in ("key", "email", "telephone") if rec.get(k)), "")
    status = rec.get("status")
    return Arrival(
        float(t or 0.0),
        str(rec.get("method", "POST")),
        key,
        int(status) if isinstance(status, int) else None,
        str(rec.get("peer", "")),
    )


def posts(arrivals: Iterable[Arrival]) -> list[Arrival]:
    return sorted((a for a in arrivals if a.method == "POST"), key=lambda a: a.t)


def achieved_rate(times: Sequence[float]) -> float:
    """Requests per second between the first and the last arrival."""
    if len(times) < 2 or times[-1] <= times[0]:
        return float("nan")
    return (len(times) - 1) / (times[-1] - times[0])


def max_in_window(times: Sequence[float], width: float = 1.0) -> int:
    """The most arrivals in any window ``[t, t + width)`` (sorted ``times``)."""
    best = lo = 0
    for hi, t in enumerate(times):
        while times[lo] <= t - width:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


class ConnectionCounter:
    """Samples ``ss`` for established connections to a port; keeps the maximum seen."""

    def __init__(self, port: int, interval: float = 0.05) -> None:
        self.port = port
        self.interval = interval
        self.max = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.available = shutil.which("ss") is not None

    def _run(self) -> None:
        while not self._stop.is_set():
            out = subprocess.run(
                ["ss", "-Htn", "state", "established", f"( dport = :{self.port} )"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            self.max = max(self.max, sum(1 for line in out.splitlines() if line.strip()))
            self._stop.wait(self.interval)

    def __enter__(self) -> ConnectionCounter:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()


# -- the machine -----------------------------------------------------------------------

PACKAGES = (
    "aiohttp",
    "pandas",
    "pyarrow",
    "python-calamine",
    "openpyxl",
    "xlsxwriter",
    "email-validator",
    "phonenumbers",
    "tqdm",
    "requests",
)


def _first_line(args: list[str]) -> str:
    if shutil.which(args[0]) is None:
        return "absent"
    try:
        out = subprocess.run(args, capture_output=True, text=True, check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "absent"
    return (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else "?"


def machine() -> list[tuple[str, str]]:
    """What the figures were measured on."""
    cpu = platform.processor() or "?"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("commit", commit or "?"),
        ("cpu", f"{cpu}, {os.cpu_count()} logical cores"),
        ("ram", ram),
        ("os", f"{platform.system()} {platform.release()}"),
        ("python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("packages", ", ".join(versions)),
        ("curl", _first_line(["curl", "--version"])),
        ("parallel", _first_line(["parallel", "--version"])),
    ]
