"""Every script, everywhere: a request log with names and addresses in Polish, Greek,
Cyrillic, Chinese and Arabic makes certificates whose text layer holds them as written
(read back with pypdf) and drafts addressed to the person in their script."""

from __future__ import annotations

from email import message_from_bytes, message_from_string, policy
from pathlib import Path

from request_data import TODAY, planned
from test_certify import FACTS, text

from batch_anonymizer.app.certify import write_certificates
from batch_anonymizer.audit.drafts import ReplySettings
from batch_anonymizer.audit.manifest import write_manifest
from batch_anonymizer.audit.report import write_report
from batch_anonymizer.requests import derive_requests

HEADER = ["Request ID", "Date received", "Email", "Phone", "Name"]
PEOPLE = {  # request -> (name, address, the address as the certificate masks it)
    "PL-1": ("Łukasz Wójcik", "łukasz.wójcik@example.com", "ł***@example.com"),
    "GR-2": ("Γιώργος Παπαδόπουλος", "γιώργος@example.com", "γ***@example.com"),
    "RU-3": ("Ольга Смирнова", "ольга@example.org", "о***@example.org"),
    "CN-4": ("王小明", "王小明@example.net", "王***@example.net"),
    "AR-5": ("فاطمة الزهراء", "فاطمة@example.com", "ف***@example.com"),
}


def certified(
    tmp_path: Path,
    people: dict[str, tuple[str, str, str]] = PEOPLE,
    replies: ReplySettings | None = None,
):
    rows = [[rid, "2026-11-20", addr, "", name] for rid, (name, addr, _) in people.items()]
    lines, rules = planned(rows, header=HEADER)
    requests = derive_requests(lines, HEADER, rules, TODAY)
    xlsx = tmp_path / "run.xlsx"
    write_report(xlsx, tmp_path / "run.csv", HEADER, lines, FACTS, requests=requests)
    manifest = write_manifest(xlsx, tmp_path / "run.csv", None, FACTS)
    return write_certificates(xlsx, manifest, requests, FACTS, columns=HEADER, replies=replies)


def test_each_script_is_in_the_certificates_text_and_the_drafts_as_written(
    tmp_path: Path,
) -> None:
    done = certified(tmp_path)
    assert done.warnings == ()  # every character had a font
    for rid, (name, address, masked) in PEOPLE.items():
        # fpdf2 gives a CFF font (Noto Sans CJK) an embedded CMap of two-byte codes, which
        # pypdf reads as a NUL and the character (poppler's pdftotext reads it as written)
        said = text(done.folder / f"{rid}.pdf").replace("\x00", "")
        for bad in ("<U+", "[name]", "?", "\ufffd"):
            assert bad not in said, (rid, bad)
        # pypdf puts spaces between CJK glyphs and reads right-to-left words in visual
        # order (the last first): each word is compared, without the spaces
        flat = "".join(said.split())
        for word in name.split():
            assert word in flat, (rid, word, said)
        assert "".join(f"Dear {name},".split()) in flat or rid == "AR-5"
        if rid != "AR-5":  # right-to-left letters before "@": the order is the viewer's
            assert masked in said, (rid, said)
        raw = (done.folder / f"{rid}.eml").read_bytes()
        msg = message_from_bytes(raw, policy=policy.default)
        assert str(msg["To"]) == address
        parsed = message_from_string(raw.decode("utf-8"), policy=policy.default)
        assert parsed["To"].addresses[0].addr_spec == address
        body = msg.get_content().replace("\r\n", "\n")
        assert body.startswith(f"Dear {name},\n")
        txt = (done.folder / f"{rid}.txt").read_text(encoding="utf-8")
        for bad in ("<U+", "[name]", "?", "\ufffd"):
            assert bad not in body and bad not in txt, (rid, bad)


def test_a_character_no_font_holds_is_named_and_said_never_a_code_point(tmp_path: Path) -> None:
    # U+0378 is unassigned: no font has a glyph for it
    done = certified(tmp_path, {"X-\u0378": ("Zoë \u0378", "zoe@example.com", "")})
    (name,) = [p.name for p in done.folder.glob("*.pdf")]
    said = text(done.folder / name)
    assert "<U+" not in said and "[character 0378]" in said
    (note,) = done.warnings
    assert note.startswith(f"no_glyph: {name} holds characters no installed font has")
    assert "pip install" in note


def one_glyph_font(path: Path, char: str) -> Path:
    """A TrueType font holding one drawn glyph, for ``char`` (a square)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    pen.moveTo((100, 0))
    pen.lineTo((100, 600))
    pen.lineTo((500, 600))
    pen.lineTo((500, 0))
    pen.closePath()
    box = pen.glyph()
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", "box"])
    fb.setupCharacterMap({ord(char): "box"})
    fb.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "box": box})
    fb.setupHorizontalMetrics({".notdef": (600, 0), "box": (600, 100)})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "One Glyph", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    fb.save(str(path))
    return path


PRIVATE = "\ue000"  # a private-use character: no installed or system font is asked for it
ODD = {"P-1": (f"Zoë {PRIVATE}", "zoe@example.com", "")}


def test_a_font_given_prints_what_the_built_in_fonts_lack(tmp_path: Path) -> None:
    without = certified(tmp_path / "a", ODD)
    assert "[character E000]" in text(without.folder / "P-1.pdf")
    assert [w.split(":")[0] for w in without.warnings] == ["no_glyph"]
    font = one_glyph_font(tmp_path / "one.ttf", PRIVATE)
    given = certified(tmp_path / "b", ODD, ReplySettings(fonts=(font,)))
    assert given.warnings == ()
    said = text(given.folder / "P-1.pdf")
    assert PRIVATE in said and "[character E000]" not in said


def test_font_through_the_command_line(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.csv"
    src.write_text(f"Request ID,Email,Name\nP-1,zoe@example.com,Zoë {PRIVATE}\n", "utf-8")
    run = ["run", src, "--sandbox", "--certificates", "--yes", "--no-progress"]
    refused = cli(*run, "--font", "nowhere.ttf")
    assert refused.code == 2 and "--font nowhere.ttf: no such file" in refused.err
    (tmp_path / "not-a-font.ttf").write_text("hello", "utf-8")
    refused = cli(*run, "--font", "not-a-font.ttf")
    assert refused.code == 2 and "--font not-a-font.ttf: not a font it can read" in refused.err
    assert not (tmp_path / "reports").exists() or not list((tmp_path / "reports").glob("*.journal"))
    one_glyph_font(tmp_path / "one.ttf", PRIVATE)
    done = cli(*run, "--font", "one.ttf")
    assert done.code in (0, 1), done.err
    (pdf,) = (tmp_path / "reports").glob("*-certificates/P-1.pdf")
    assert PRIVATE in text(pdf)
    assert "no_glyph" not in done.out + done.err
