"""Transcend's round trip end to end: the real CLI reads a cron pull file as it is, the
sandbox erases what may be erased, and the hand-back, the Requests sheet's protocol codes
and the receipts say exactly what happened."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from importlib import resources
from pathlib import Path

import jsonschema
from conftest import REPO, fast_args

from batch_anonymizer.audit.reportread import read_requests

PULL = REPO / "tests" / "data" / "exports" / "transcend_pull.csv"

COMPLETED = (
    b"nonce,identifier\r\n"
    b"nonce-a1,ann.pull@example.com\r\n"
    b"nonce-a2,+44 7700 900201\r\n"  # as pulled: not the vendor form, no apostrophe
    b"nonce-b1,bob.pull@example.org\r\n"  # not held: settled as not_found
    b"nonce-c2,cara.pull@example.net\r\n"
    b"nonce-e1,Eve.Pull@Example.com\r\n"  # case as pulled
    b"nonce-g1,ann.pull@example.com\r\n"  # a duplicate: settled by the line that sent it
)
REMAINING = [
    ["nonce", "identifier", "type", "requestId", "status", "code"],
    ["nonce-c1", "user-8812", "userId", "7d0c0a3e-000c", "skipped", "identifier_type"],
    ["nonce-d1", "dev.pull@example.com", "email", "7d0c0a3e-000d", "skipped", "not_erasure"],
    ["nonce-f1", "frank.pull@@example.com", "email", "7d0c0a3e-000f", "invalid", "invalid_email"],
]


def test_a_pull_file_runs_as_is_and_hands_back_the_settled_pairs(
    cli, tmp_path: Path, sandbox
) -> None:
    src = shutil.copy(PULL, tmp_path / "pull.csv")
    # dev.pull is held too: only the request type keeps it from being erased
    sandbox.sandbox.seed(
        ["ann.pull@example.com", "cara.pull@example.net", "dev.pull@example.com"],
        ["447700900201"],
    )
    res = cli("run", src, *fast_args(sandbox.url), "--report", tmp_path / "out" / "pull.xlsx",
              "--receipts")  # fmt: skip
    assert res.code == 1, res.err  # frank's address is invalid
    assert "Transcend hand-back: " in res.out
    assert "pull.transcend-completed.csv (6 settled" in res.out
    assert "pull.transcend-remaining.csv (3 left for the manual queue)" in res.out
    xlsx = tmp_path / "out" / "pull.xlsx"
    sent = [(e.method, e.key) for e in sandbox.sandbox.log]
    assert not [s for s in sent if "dev.pull" in s[1] or "8812" in s[1]], sent
    assert sorted(k for m, k in sent if m == "POST") == [
        "447700900201",
        "ann.pull@example.com",
        "cara.pull@example.net",
    ]  # fmt: skip  (both identifiers of request A erased)
    completed = xlsx.with_name("pull.transcend-completed.csv")
    assert completed.read_bytes() == COMPLETED
    assert oct(completed.stat().st_mode & 0o777) == "0o600"
    remaining = xlsx.with_name("pull.transcend-remaining.csv").read_bytes()
    assert remaining.startswith(b"\xef\xbb\xbf")  # a person's file: opens in Excel as UTF-8
    rows = list(csv.reader(io.StringIO(remaining.decode("utf-8-sig"))))
    assert [r[:6] for r in rows] == REMAINING
    assert all(r[6] for r in rows[1:])  # each with its message
    got = {r["request"]: (r["outcome"], r["protocol_status"], r["protocol_reason"])
           for r in read_requests(xlsx)}  # fmt: skip
    assert got["7d0c0a3e-000a"] == ("erased", "fulfilled", "")
    assert got["7d0c0a3e-000b"] == ("no_data_held", "denied", "no_match")
    assert got["7d0c0a3e-000c"] == ("erased", "fulfilled", "")
    assert got["7d0c0a3e-000f"] == ("invalid", "in_progress", "")
    assert read_requests(xlsx.with_name("pull.requests.csv"))[0]["protocol_status"] == "fulfilled"
    # the receipts: one per request, valid against the schema shipped in the package
    schema = json.loads(
        resources.files("batch_anonymizer.app").joinpath("receipt.schema.json").read_text()
    )
    receipts_file = xlsx.with_name("pull.receipts.jsonl")
    text = receipts_file.read_text()
    receipts = [json.loads(line) for line in text.splitlines()]
    manifest = xlsx.with_name("pull.manifest.json")
    for r in receipts:
        jsonschema.validate(r, schema, format_checker=jsonschema.FormatChecker())
        assert r["manifest"]["sha256"] == hashlib.sha256(manifest.read_bytes()).hexdigest()
    said = [(r["request_id"], r["protocol_status"], r["protocol_reason"]) for r in receipts]
    assert said[:2] == [
        ("7d0c0a3e-000a", "fulfilled", ""),
        ("7d0c0a3e-000b", "denied", "no_match"),
    ]
    assert receipts[0]["keys"][0]["key"] == "a***@example.com"
    assert "ann.pull@example.com" not in text and "900201" not in text  # keys masked
    # the hand-back is part of the evidence: verify names it, and finds an edit
    res = cli("verify", xlsx)
    assert res.code == 0 and "transcend completed csv" in res.out, res.out
    receipts_file.rename(tmp_path / "first.jsonl")
    res = cli("receipts", xlsx)
    assert res.code == 0, res.err
    assert receipts_file.read_bytes() == (tmp_path / "first.jsonl").read_bytes()
    completed.write_bytes(COMPLETED + b"nonce-x,x@example.com\r\n")
    res = cli("verify", xlsx)
    assert res.code == 1 and "transcend completed csv differs" in res.out, res.out
