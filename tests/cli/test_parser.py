"""The command line's grammar: no abbreviations, numbers in range, one credential, safe errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES

from batch_anonymizer.cli.parser import build_parser
from batch_anonymizer.core.text import printable

NOWHERE = "http://127.0.0.1:9"  # nothing is sent in these tests: they stop before


def _usage_error(cli, *args: object) -> None:
    with pytest.raises(SystemExit) as exc:
        cli(*args)
    assert exc.value.code == 2


@pytest.mark.parametrize(
    "option",
    ["--api-key", "--oauth-client", "--sand", "--no-ver", "--max-r"],
)
def test_options_cannot_be_abbreviated(cli, tmp_path: Path, option: str, capsys) -> None:
    _usage_error(cli, "run", SAMPLES / "requests.csv", option, "x")
    assert "unrecognized arguments" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--rate", "nan"),
        ("--rate", "inf"),
        ("--rate", "-1"),
        ("--rate", "1e-300"),
        ("--rate", "1e9"),
        ("--rate", "fast"),
        ("--timeout", "inf"),
        ("--timeout", "0"),
        ("--timeout", "7200"),
        ("--max-wait", "-5"),
        ("--max-wait", "nan"),
        ("--max-retries", "101"),
        ("--max-retries", "1.5"),
        ("--concurrency", "0"),
        ("--concurrency", "1000"),
        ("--max-failure-rate", "nan"),
        ("--max-failure-rate", "150%"),
        ("--max-consecutive-failures", "-1"),
        ("--header-row", "0"),
    ],
)
def test_numbers_out_of_range_are_usage_errors(
    cli, tmp_path: Path, capsys, option: str, value: str
) -> None:
    _usage_error(cli, "run", SAMPLES / "requests.csv", "--sandbox", option, value)
    err = capsys.readouterr().err
    assert f"argument {option}:" in err and "Traceback" not in err
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--rate", "0", 0.0),
        ("--rate", "0.5", 0.5),
        ("--timeout", "3600", 3600.0),
        ("--max-wait", "0", 0.0),
        ("--max-retries", "0", 0),
        ("--concurrency", "auto", None),
        ("--concurrency", "256", 256),
        ("--max-failure-rate", "25%", 0.25),
    ],
)
def test_numbers_in_range_are_taken(option: str, value: str, expected: object) -> None:
    args = build_parser().parse_args(["run", "in.csv", option, value])
    assert getattr(args, option[2:].replace("-", "_")) == expected


def test_sandbox_port_is_checked(capsys) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sandbox", "--port", "70000"])
    assert "argument --port: give a number from 0 to 65535" in capsys.readouterr().err


def test_an_argument_with_escapes_is_printed_escaped(capsys) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "in.csv", "x\x1b[2J\rgot you"])
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\r" not in err
    assert "unrecognized arguments: x\\x1b[2J\\x0dgot you" in err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"key-one\nkey-two\n", "more than one line"),
        (b"my key", "a space inside the value"),
        (b"key\x00", "a character no key has"),
        ("kéy".encode(), "a character no key has"),
        (b"   \n", "is empty"),
    ],
)
def test_an_api_key_file_must_hold_one_key(
    cli, tmp_path: Path, content: bytes, problem: str
) -> None:
    key = tmp_path / "key.txt"
    key.write_bytes(content)
    res = cli(
        "run", SAMPLES / "requests.csv", "--base-url", NOWHERE, "--api-key-file", key, "--yes"
    )
    assert res.code == 2
    assert problem in res.err and "nothing was sent" in res.err
    assert "key-one" not in res.err and "my key" not in res.err
    assert not (tmp_path / "reports").exists()


def test_an_api_key_file_with_a_bom_and_a_newline_is_one_key(tmp_path: Path) -> None:
    from batch_anonymizer.cli.arguments import endpoint_and_auth

    key = tmp_path / "key.txt"
    key.write_bytes(b"\xef\xbb\xbf  key-1f2e \r\n")
    args = build_parser().parse_args(
        ["run", "in.csv", "--base-url", NOWHERE, "--api-key-file", str(key)]
    )
    _, auth = endpoint_and_auth(args)
    assert auth is not None and auth.secrets() == ("key-1f2e",)


def test_a_huge_file_is_not_a_key(cli, tmp_path: Path) -> None:
    key = tmp_path / "key.txt"
    key.write_bytes(b"k" * 70_000)
    res = cli("run", SAMPLES / "requests.csv", "--base-url", NOWHERE, "--api-key-file", key)
    assert res.code == 2 and "larger than 64 KB" in res.err


def test_an_api_key_variable_must_hold_one_key(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CUSTOMERGAUGE_API_KEY", "key-one key-two")
    res = cli("run", SAMPLES / "requests.csv", "--base-url", NOWHERE, "--yes")
    assert res.code == 2
    assert "the CUSTOMERGAUGE_API_KEY variable holds a space inside the value" in res.err
    assert "key-one" not in res.err


def test_an_oauth_secret_file_must_hold_one_secret(cli, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s1\ns2\n")
    res = cli(
        "run",
        SAMPLES / "requests.csv",
        "--base-url",
        NOWHERE,
        "--oauth-client-id",
        "client",
        "--oauth-secret-file",
        secret,
    )
    assert res.code == 2 and "OAuth2 client secret file" in res.err
    assert "more than one line" in res.err


def test_error_messages_escape_what_the_user_gave(cli, tmp_path: Path) -> None:
    res = cli("run", tmp_path / "evil\x1b]0;owned\x07.csv", "--sandbox")
    assert res.code == 2
    assert "\x1b" not in res.err and "\x07" not in res.err
    assert "evil\\x1b]0;owned\\x07.csv" in res.err


def test_printable_leaves_ordinary_text_alone() -> None:
    text = "Zoë's list — 2026 (ünïcode) 😀"
    assert printable(text) == text
    assert printable("a\u202eb\u2028c\td") == "a\\u202eb\\u2028c\\x09d"
