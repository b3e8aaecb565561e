"""The real CLI in a process of its own, forked from an interpreter that has imported it.

Starting Python and importing the package (pandas' neighbours, aiohttp, xlsxwriter, ...)
costs about 0.8 CPU-s a process; the crash and lock tests start dozens. A zygote
process per test worker imports the CLI once; each ``spawn`` forks a child of it
that runs ``python -m batch_anonymizer``'s ``__main__`` with the arguments, working
folder, environment and standard streams the test gives. The child is a real
process: its own pid, its own file locks, signals and SIGKILL as any other; it ends
through the interpreter's normal exit (threads joined, atexit, streams flushed), so
its exit status is what ``python -m batch_anonymizer`` would give. What it does not
prove is that the interpreter starts and finds the package: tests/cli/test_docs.py
runs ``python -m batch_anonymizer`` for that.

The zygote forks a reaper for each request, which forks the child, sends its pid and
then its wait status back over the request's connection (the zygote itself stays
single-threaded, so forking it is safe, and never waits).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

_ZYGOTE = r"""
import json, os, runpy, selectors, signal, socket, sys
import batch_anonymizer.cli.main  # the import every child would otherwise pay for

listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1])
listener.listen(16)
print("ready", flush=True)
watch = selectors.DefaultSelector()
watch.register(listener, selectors.EVENT_READ)
watch.register(sys.stdin, selectors.EVENT_READ)  # the test worker's end: EOF, it is gone


def child(conn, request, fds):
    # the CLI's process: the test's streams, folder, environment and arguments
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    conn.close()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if request["code"] is not None:  # as `python -c CODE ARGS...`
        sys.argv = ["-c", *request["args"]]
        exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__"})
        sys.exit(0)
    sys.argv = ["batch_anonymizer", *request["args"]]
    # raises SystemExit: the interpreter ends as `python -m batch_anonymizer` would
    runpy.run_module("batch_anonymizer", run_name="__main__", alter_sys=True)
    sys.exit(0)


def serve():
    while True:
        for key, _ in watch.select():
            if key.fileobj is sys.stdin:
                if not sys.stdin.buffer.read1(64):
                    return None
                continue
            conn, _ = listener.accept()
            data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
            if os.fork() == 0:  # the reaper
                listener.close()
                pid = os.fork()
                if pid == 0:
                    return conn, json.loads(data), fds
                for fd in fds:
                    os.close(fd)
                conn.sendall(f"{pid}\n".encode())
                _, status = os.waitpid(pid, 0)
                conn.sendall(f"{status}\n".encode())
                os._exit(0)
            for fd in fds:
                os.close(fd)
            conn.close()
            reap(os.WNOHANG)


def reap(flags):
    # waited for, so that every child's CPU time counts in the test run's own
    try:
        while os.waitpid(-1, flags)[0]:
            pass
    except ChildProcessError:
        pass


job = serve()
if job is not None:
    watch.close()
    child(*job)
reap(0)
"""

_lock = threading.Lock()
_zygote: tuple[subprocess.Popen[bytes], str] | None = None


def _address() -> str:
    """The zygote's socket, started on first use in this test worker."""
    global _zygote
    with _lock:
        if _zygote is None or _zygote[0].poll() is not None:
            folder = tempfile.mkdtemp(prefix="forkcli-")
            address = os.path.join(folder, "zygote")
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            proc = subprocess.Popen(
                [sys.executable, "-c", _ZYGOTE, address],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd="/",
                env=env,
            )
            assert proc.stdout is not None
            assert proc.stdout.readline() == b"ready\n", "the CLI zygote did not start"
            atexit.register(_stop, proc, folder)
            _zygote = (proc, address)
        return _zygote[1]


def _stop(proc: subprocess.Popen[bytes], folder: str) -> None:
    """End the zygote and wait for it (and so for every child's CPU time to be counted)."""
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(folder, ignore_errors=True)


class ForkedCli:
    """A ``subprocess.Popen``-like handle on a forked CLI process (text streams)."""

    def __init__(
        self, args: list[str], cwd: Path, env: dict[str, str], code: str | None, stdin: bool
    ) -> None:
        self.args = args
        self.returncode: int | None = None
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        in_r, in_w = os.pipe() if stdin else (os.open(os.devnull, os.O_RDONLY), -1)
        self._conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._conn.connect(_address())
        request = {"args": args, "cwd": str(cwd), "env": env, "code": code}
        socket.send_fds(self._conn, [json.dumps(request).encode()], [in_r, out_w, err_w])
        for fd in (in_r, out_w, err_w):
            os.close(fd)
        self.stdin = open(in_w, "w", encoding="utf-8") if stdin else None  # noqa: SIM115
        self.stdout = open(out_r, encoding="utf-8")  # noqa: SIM115 (closed by communicate)
        self.stderr = open(err_r, encoding="utf-8")  # noqa: SIM115
        self._said = b""
        self.pid = int(self._line(None))

    def _line(self, timeout: float | None) -> str:
        """The next line the reaper sends (pid, then wait status)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._said:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._conn.settimeout(left)
            try:
                got = self._conn.recv(64)
            except (TimeoutError, BlockingIOError):
                raise subprocess.TimeoutExpired(self.args, timeout or 0) from None
            assert got, "the CLI zygote's reaper went away"
            self._said += got
        line, _, self._said = self._said.partition(b"\n")
        return line.decode()

    def _ended(self, timeout: float | None) -> int:
        if self.returncode is None:
            status = int(self._line(timeout))
            self.returncode = os.waitstatus_to_exitcode(status)
            self._conn.close()
        return self.returncode

    def poll(self) -> int | None:
        try:
            return self._ended(0)
        except subprocess.TimeoutExpired:
            return None

    def wait(self, timeout: float | None = None) -> int:
        return self._ended(timeout)

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Everything the process writes on stdout and stderr (after what was read), once
        it has ended."""
        if self.stdin is not None and not self.stdin.closed:
            self.stdin.close()
        deadline = None if timeout is None else time.monotonic() + timeout
        got: dict[str, str] = {}
        readers = [
            threading.Thread(target=lambda n=n, f=f: got.__setitem__(n, f.read()), daemon=True)
            for n, f in (("out", self.stdout), ("err", self.stderr))
        ]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if reader.is_alive():
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
        self.stdout.close()
        self.stderr.close()
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return got["out"], got["err"]


def spawn(
    args: list[str],
    cwd: Path,
    env: dict[str, str],
    *,
    code: str | None = None,
    stdin: bool = False,
) -> ForkedCli:
    """``python -m batch_anonymizer ARGS`` (or ``python -c CODE ARGS``) in ``cwd`` with
    ``env``, as a forked process; ``stdin``: a pipe the test writes to, else empty."""
    return ForkedCli([str(a) for a in args], cwd, env, code, stdin)
