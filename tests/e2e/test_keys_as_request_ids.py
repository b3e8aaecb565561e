"""Request ids that ARE keys (issue 23, high 5 and 6): a tracker that files each request
under the person's email or telephone, or under another person's. The report keeps the
input as it was (that is the evidence); nothing meant to name nobody may hold a key:
the ledger file, its export, ``history``, the certificates (text, file names, manifest)."""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

from conftest import fast_args, only_report, write_csv
from pypdf import PdfReader

# (request id, email, telephone): ids that are a key of the row, another row's key in
# another form, or a key of nobody in the run
ROWS = [
    ["alice.h@example.com", "alice.h@example.com", "+44 7700 900555"],
    ["jim.leak@example.com", "bob@example.org", "07700 900555"],  # Jim's email; Alice's phone
    ["447700900556", "jim.leak@example.com", "+44 7700 900556"],  # Jim's phone, vendor digits
    ["+1 202 555 0143", "", "+1 202 555 0143"],
    ["07700 900557", "carol@example.net", ""],  # a telephone of nobody in the run
]
EMAILS = ["alice.h@example.com", "jim.leak@example.com", "bob@example.org", "carol@example.net"]
# every telephone as written, E.164, in the vendor's digits and nationally (with and
# without spaces)
PHONES = [
    ["+44 7700 900555", "+447700900555", "447700900555", "07700 900555", "07700900555"],
    ["+44 7700 900556", "+447700900556", "447700900556", "07700 900556", "07700900556"],
    ["+1 202 555 0143", "+12025550143", "12025550143", "(202) 555-0143", "2025550143"],
    ["+44 7700 900557", "+447700900557", "447700900557", "07700 900557", "07700900557"],
]
FORMS = [f for e in EMAILS for f in (e, e.upper(), "Alice.H@Example.com")] + [
    f for forms in PHONES for f in forms
]


def leaks(text: str) -> list[str]:
    low = text.lower()
    return sorted({f for f in FORMS if f.lower() in low})


def pdf_text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(p.extract_text() for p in pages) + pdf.decode("latin-1")


def test_request_ids_that_are_keys_are_nowhere_that_names_nobody(cli, tmp_path: Path) -> None:
    from conftest import start_sandbox

    src = write_csv(tmp_path / "in.csv", ["Request ID", "Email", "Phone"], ROWS)
    ledger = Path(os.environ["BATCH_ANONYMIZER_LEDGER"])
    with start_sandbox() as thread:
        thread.sandbox.seed(EMAILS[:3], ["+44 7700 900555", "+44 7700 900556", "+1 202 555 0143"])
        res = cli("run", src, *fast_args(thread.url), "--default-region", "GB", "--ledger", ledger)
    assert res.code == 0, res.out + res.err
    xlsx = only_report(tmp_path / "reports")
    # the report is the evidence: the ids as the input gave them
    assert "jim.leak@example.com" in xlsx.with_suffix(".csv").read_text(encoding="utf-8-sig")

    with sqlite3.connect(ledger) as db:
        ids = [r[0] for r in db.execute("SELECT request_id FROM entries")]
    assert ids and all(i.startswith("withheld:") and len(i) == 9 + 64 for i in ids), ids
    stored = b"".join(p.read_bytes() for p in ledger.parent.glob(ledger.name + "*"))
    assert leaks(stored.decode("latin-1")) == []

    exported = cli("ledger", "export", "--ledger", ledger)
    assert exported.code == 0 and leaks(exported.out + exported.err) == []

    for key in ("alice.h@example.com", "jim.leak@example.com", "+44 7700 900556"):
        said = cli("history", key, "--ledger", ledger)
        assert said.code == 0, said.err
        assert "request id withheld: it held a key" in said.out
        assert leaks(said.out + said.err) == [], said.out

    made = cli("certificates", xlsx)
    assert made.code == 0, made.err
    folder = xlsx.with_name(xlsx.stem + "-certificates")
    names = sorted(p.name for p in folder.iterdir())
    assert leaks(" ".join(names)) == [] and len(names) == 16, names  # pdf, eml, txt each
    assert "a_example.com.pdf" in names  # the id masked, then made a file name
    for pdf in folder.glob("*.pdf"):
        assert leaks(pdf_text(pdf.read_bytes())) == [], pdf.name
    for txt in folder.glob("*.txt"):  # the reply's text: the person's own keys masked too
        assert leaks(txt.read_text(encoding="utf-8")) == [], txt.name
    assert leaks((folder / "certificates.manifest.json").read_text()) == []
    bob = pdf_text((folder / "j_example.com.pdf").read_bytes())
    assert "its keys were sent for request a***@example.com" in bob
    assert "Erasure request j***@example.com" in bob
    checked = cli("verify", xlsx)  # the masked names are the ones the manifest holds
    assert checked.code == 0 and "5 certificates unchanged" in checked.out, checked.out
