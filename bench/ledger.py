"""What the erasure ledger costs: ``python bench/ledger.py [--keys N]``.

Prints (1) the cost of ``Ledger.record`` per key at several batch sizes (a
run writes one batch per journal fsync, so its batches grow with the rate),
and (2) a whole verified run against the sandbox (in this process, latency
0, unlimited rate) with and without the ledger. Reserved data only; every
file lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import batch_anonymizer as ba
from batch_anonymizer.core.records import KeyType
from batch_anonymizer.state.ledger import Ledger, LedgerEntry

SECRET = b"bench-secret-of-enough-length-0123"


def record_cost(folder: Path, keys: int, batch: int) -> float:
    """Microseconds per key to record ``keys`` entries in batches of ``batch``."""
    ledger = Ledger(folder / f"batch{batch}.sqlite3", create=True)
    ledger.bind(SECRET)
    entries = [
        LedgerEntry(
            ledger.hmac(KeyType.EMAIL, f"user{i}@example.com"),
            "email",
            "u***@example.com",
            "success",
            "",
            1,
            0,
            "2026-12-01T10:00:00Z",
            "bench-run",
            "0" * 64,
        )
        for i in range(keys)
    ]
    start = time.perf_counter()
    for i in range(0, keys, batch):
        ledger.record(entries[i : i + batch])
    elapsed = time.perf_counter() - start
    ledger.close()
    return elapsed / keys * 1e6


def run_rate(folder: Path, keys: int, ledger: bool) -> float:
    """Keys per second of a verified run of ``keys`` emails, with or without the ledger."""
    emails = [f"user{i}@example.com" for i in range(keys)]
    src = folder / f"in-{ledger}.csv"
    src.write_text("Email\n" + "\n".join(emails) + "\n", encoding="utf-8")
    box = ba.Sandbox(api_key="bench-key")
    box.seed(emails, [])
    with ba.SandboxThread(box) as thread:
        target = ba.LedgerTarget(folder / "run.sqlite3", SECRET) if ledger else None
        opts = ba.RunOptions(
            ba.Endpoint.for_base_url(thread.url),
            ba.ApiKeyAuth("bench-key"),
            settings=ba.Settings(rate=None, concurrency=16),
            report=folder / f"report-{ledger}.xlsx",
            ledger=target,
        )
        prep = ba.prepare_run(src)
        start = time.perf_counter()
        summary = ba.execute(prep, opts)
        elapsed = time.perf_counter() - start
    assert summary.counts["success"] == keys, summary.sentence()
    assert summary.recorded == (keys if ledger else 0)
    return keys / elapsed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--keys", type=int, default=5000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["BATCH_ANONYMIZER_CONFIG_DIR"] = str(folder / "config")
        print(f"Ledger.record, {args.keys} keys, one transaction per batch (synchronous=FULL):")
        for batch in (1, 10, 100, 1000):
            print(f"  batch {batch:>5}: {record_cost(folder, args.keys, batch):8.1f} µs/key")
        n = min(args.keys, 2000)
        without = run_rate(folder, n, ledger=False)
        with_ledger = run_rate(folder, n, ledger=True)
        print(f"A verified run of {n} keys (sandbox in-process, no rate limit):")
        print(f"  without the ledger: {without:7.0f} keys/s")
        print(f"  with the ledger:    {with_ledger:7.0f} keys/s ({with_ledger / without:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
