"""Reply drafts beside the certificates: one .eml and .txt per request, listed in the
certificates manifest, the certificate quoting the same text; the command's options."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

from request_data import TODAY, planned
from test_certify import FACTS, report, text

from batch_anonymizer.app.certify import write_certificates
from batch_anonymizer.audit.manifest import verify, write_manifest
from batch_anonymizer.audit.report import write_report
from batch_anonymizer.requests import derive_requests


def test_every_request_has_its_drafts_listed_and_quoted_by_its_certificate(
    tmp_path: Path,
) -> None:
    xlsx, manifest, requests = report(tmp_path)
    folder = write_certificates(xlsx, manifest, requests, FACTS).folder
    msg = message_from_bytes((folder / "REQ-1.eml").read_bytes(), policy=policy.default)
    assert msg["To"] == "ann.lee@example.com" and msg["X-Unsent"] == "1"
    txt = (folder / "REQ-1.txt").read_text(encoding="utf-8")
    assert txt.startswith("Subject: Your request to erase your personal data (REQ-1)\n\nHello,")
    assert "ann.lee@example.com" not in txt  # masked in the text; in full only in To:
    said = " ".join(text(folder / "REQ-1.pdf").split())
    assert " ".join(msg.get_content().split()) in said  # the certificate quotes the .eml
    invalid = message_from_bytes((folder / "REQ_3_a-2.eml").read_bytes(), policy=policy.default)
    assert invalid["To"] is None  # no address to write to: the sender fills it in
    assert verify(xlsx).ok
    draft = folder / "REQ-2.eml"
    draft.write_bytes(draft.read_bytes().replace(b"Hello,", b"Hi,"))
    (problem,) = verify(xlsx).problems
    assert problem.startswith("reply draft differs from the manifest")
    draft.unlink()
    assert verify(xlsx).problems == ["reply draft REQ-2.eml is missing"]


def test_the_command_takes_templates_signature_and_columns(cli, tmp_path: Path) -> None:
    header = ["Request ID", "Date received", "Email", "Full name", "Locale"]
    rows = [
        ["R-1", "2026-11-20", "jürgen@example.com", "Jürgen Groß", "de"],
        ["R-2", "2026-11-20", "ann@example.com", "Ann Lee", "fr"],
    ]
    lines, rules = planned(rows, header=header)
    requests = derive_requests(lines, header, rules, TODAY)
    xlsx = tmp_path / "run.xlsx"
    write_report(xlsx, tmp_path / "run.csv", header, lines, FACTS, requests=requests)
    write_manifest(xlsx, tmp_path / "run.csv", None, FACTS)
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "erased.de.txt").write_text(
        "Subject: Löschung\n\nGuten Tag {{ name }},\n\n{{ signature }}\n", encoding="utf-8"
    )
    (tmp_path / "sig.txt").write_text("Joanna Nowak, DPO\n", encoding="utf-8")
    options = ("--reply-templates", folder, "--signature-file", tmp_path / "sig.txt")
    done = cli("certificates", xlsx, *options, "--authority", "the ICO")
    assert done.code == 0, done.err
    assert "each with its reply draft as .eml and .txt" in done.out
    assert f"needs attention: no reply template erased.fr.txt in {folder}: 1 request(s)" in done.err
    out = tmp_path / "run-certificates"
    assert (out / "R-1.txt").read_text(encoding="utf-8") == (
        "Subject: Löschung\n\nGuten Tag Jürgen Groß,\n\nJoanna Nowak, DPO\n"
    )
    english = (out / "R-2.txt").read_text(encoding="utf-8")
    assert english.startswith("Subject: Your request to erase your personal data (R-2)\n\n")
    assert "Dear Ann Lee," in english and "complain to the ICO." in english
    assert english.endswith("Kind regards,\n\nJoanna Nowak, DPO\n")


def test_a_template_error_is_one_message_exit_2_and_nothing_written(cli, tmp_path: Path) -> None:
    xlsx, _, _ = report(tmp_path)
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "erased.en.txt").write_text("Dear {{ name.first }},\n", encoding="utf-8")
    done = cli("certificates", xlsx, "--reply-templates", folder)
    assert done.code == 2 and done.out == ""
    assert done.err.count("\n") == 1 and "Traceback" not in done.err
    assert (
        "reply template erased.en.txt cannot be rendered for request REQ-1: 'str object' has "
        "no attribute 'first'"
    ) in done.err
    assert not (tmp_path / "run-certificates").exists()
    missing = cli("certificates", xlsx, "--name-column", "Nom")
    assert missing.code == 2 and "no column 'Nom' in the input" in missing.err


def test_a_run_checks_the_reply_options_before_sending_and_says_what_needs_attention(
    cli, tmp_path: Path
) -> None:
    from conftest import write_csv

    src = write_csv(
        tmp_path / "log.csv",
        ["Request ID", "Email", "Name", "Lang"],
        [["R-1", "ann@example.com", "Ann Lee", "de"]],
    )
    base = ("run", src, "--sandbox", "--yes", "--rate", "0", "--no-progress", "--certificates")
    refused = cli(*base, "--name-column", "Nom")
    assert refused.code == 2 and "no column 'Nom' in the input" in refused.err
    assert not (tmp_path / "reports").exists()  # refused before anything was sent or written
    done = cli(*base, "--language-column", "Lang")
    assert done.code == 0, done.err
    assert "needs attention: no reply template erased.de.txt built in: 1 request(s)" in done.err
    (folder,) = (tmp_path / "reports").glob("*-certificates")
    assert (folder / "R-1.txt").read_text(encoding="utf-8").count("Dear Ann Lee,") == 1
