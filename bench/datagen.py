"""Benchmark inputs, generated with a fixed seed into ``bench/work/``.

Only reserved values: emails at ``example.com`` / ``example.org`` /
``example.net``, telephone numbers from ranges set aside for drama and
fiction. There are only ~170,000 such numbers (UK Ofcom drama ranges, the
NANP ``555-0100``-``0199`` block in each area code, Australia's ACMA
``5550 xxxx`` and ``7010 xxxx`` blocks), so a million rows cannot each carry a
distinct number. Every row still carries a distinct *string* (each number is
written in up to eight layouts), so validation, which is cached per distinct
string, does the same work as on a million distinct numbers; deduplication,
which compares normalised numbers, sees the repeats as duplicates.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

SEED = 20240301
VERSION = 4  # bump when the layout changes, so cached files are rebuilt
HEADER = ("Request ID", "Date received", "Name", "Email", "Phone", "Request type")
TLDS = ("com", "org", "net")


def _uk() -> Iterator[tuple[str, str]]:
    """(country code, national number) from the Ofcom drama ranges."""
    blocks = [("7700", "900", 1000)]
    blocks += [("20", "7946", 1000)]
    blocks += [(a, "496", 1000) for a in ("113", "114", "115", "116", "117", "118", "121")]
    blocks += [(a, "496", 1000) for a in ("131", "141", "151", "161")]
    blocks += [("191", "498", 1000), ("29", "2018", 1000), ("1632", "960", 1000)]
    blocks += [("808", "157", 1000), ("909", "879", 1000), ("306", "999", 1000)]
    for area, prefix, size in blocks:
        width = 10 - len(area + prefix)  # UK national numbers here have 10 digits
        for n in range(size):
            yield "44", f"{area}{prefix}{n:0{width}d}"


def _nanp() -> Iterator[tuple[str, str]]:
    """555-0100..0199 in every geographic-looking area code (reserved for fiction)."""
    for npa in range(201, 990):
        s = str(npa)
        if s[1:] == "11" or s[1] == "9" or s.startswith("37") or s.startswith("96"):
            continue
        for n in range(100, 200):
            yield "1", f"{npa}5550{n}"


def _au() -> Iterator[tuple[str, str]]:
    """ACMA fictitious-use blocks: (0)2/3/7/8 5550 xxxx and 7010 xxxx."""
    for area in "2378":
        for block in ("5550", "7010"):
            for n in range(10_000):
                yield "61", f"{area}{block}{n:04d}"


def phone_pool() -> list[tuple[str, str]]:
    """Every fiction-safe (country code, national number) used here, in a fixed order."""
    return [*_uk(), *_nanp(), *_au()]


def _layout(cc: str, nat: str, style: int) -> str:
    """The same number written in one of eight layouts people use."""
    a, b, c = nat[:-7], nat[-7:-4], nat[-4:]
    return (
        f"+{cc}{nat}",
        f"+{cc} {a} {b} {c}",
        f"+{cc} {a} {b}{c}",
        f"+{cc}-{a}-{b}-{c}",
        f"+{cc}.{a}.{b}.{c}",
        f"+{cc} ({a}) {b} {c}",
        f"+{cc} {a}-{b}{c}",
        f"+{cc} {a}/{b}{c}",
    )[style]


def _email(n: int) -> str:
    return f"user{n}@example.{TLDS[n % 3]}"


def contact_rows(
    n: int, *, dup_share: float = 0.05, invalid_share: float = 0.02, phones: bool = True
) -> Iterator[tuple[str, ...]]:
    """``n`` rows: distinct emails, distinct phone strings, some duplicates and invalid keys.

    A duplicate repeats an earlier row's email with other letter case and
    surrounding spaces, and its number in another layout. An invalid row has a
    malformed email and, half of the time, a malformed number.
    """
    rng = random.Random(SEED)
    pool = phone_pool() if phones else []
    used: list[tuple[int, int]] = []  # (email number, pool index) of earlier valid rows
    next_email = 0
    next_phone = 0
    for i in range(n):
        day = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        roll = rng.random()
        if roll < dup_share and used:
            e, p = used[rng.randrange(len(used))]
            email = _email(e)
            email = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in email)
            email = " " * rng.randint(1, 2) + email + " " * rng.randint(0, 2)
            phone = ""
            if phones:
                cc, nat = pool[p]
                phone = "  " + _layout(cc, nat, rng.randrange(8)) + " "
        elif roll < dup_share + invalid_share:
            email = f"user{next_email}@@example.com" if i % 2 else f"user{next_email}.example.org"
            next_email += 1
            phone = ""
            if phones:
                phone = "+44 7700 9001" if i % 4 == 1 else "+1 202 555 0100 99999"
        else:
            e = next_email
            next_email += 1
            phone = ""
            p = -1
            if phones:
                p = next_phone % len(pool)
                cc, nat = pool[p]
                phone = _layout(cc, nat, (next_phone // len(pool)) % 8)
                next_phone += 1
            email = _email(e)
            if len(used) < 200_000:
                used.append((e, p))
        yield (f"REQ-{100000 + i}", day, f"Person {i}", email, phone, "Erasure")


def write_csv(path: Path, rows: Iterator[tuple[str, ...]], header: tuple[str, ...]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    tmp.replace(path)
    return path


def write_xlsx(path: Path, rows: Iterator[tuple[str, ...]], header: tuple[str, ...]) -> Path:
    import xlsxwriter  # type: ignore[import-untyped]

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.xlsx")
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("Requests")
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, row)
    book.close()
    tmp.replace(path)
    return path


def contacts(work: Path, n: int, suffix: str = ".csv") -> Path:
    """The contacts file of ``n`` rows (cached in ``work`` between runs)."""
    path = work / f"contacts-{n}-v{VERSION}{suffix}"
    if not path.exists():
        writer = write_xlsx if suffix == ".xlsx" else write_csv
        writer(path, contact_rows(n), HEADER)
    return path


def send_keys(work: Path, start: int, count: int) -> tuple[Path, Path]:
    """Keys ``start`` .. ``start + count`` (distinct valid emails): a CSV for the tool, a key list.

    The sandbox is seeded with a CSV holding every key a section will send, so
    each client in a section can be given keys of its own.
    """
    stem = work / f"send-{start}-{count}-v{VERSION}"
    csv_path, keys_path = stem.with_suffix(".csv"), stem.with_suffix(".keys")
    if not csv_path.exists() or not keys_path.exists():
        emails = [_email(i) for i in range(start, start + count)]
        write_csv(
            csv_path,
            ((f"REQ-{start + i}", "2024-03-01", e, "Erasure") for i, e in enumerate(emails)),
            ("Request ID", "Date received", "Email", "Request type"),
        )
        keys_path.write_text("\n".join(emails) + "\n", encoding="utf-8")
    return csv_path, keys_path


def send_records(work: Path, start: int, count: int) -> Path:
    """A sandbox records file holding one record for each of those keys (``--records``).

    ``--seed`` applies the demo rule, which leaves one key in twenty without
    records (answered ``400 no records``); a client measured on HTTP 200s needs
    every key held.
    """
    _, keys_path = send_keys(work, start, count)
    path = work / f"records-{start}-{count}-v{VERSION}.csv"
    if not path.exists():
        path.write_text("email\n" + keys_path.read_text(encoding="utf-8"), encoding="utf-8")
    return path
