"""The checks on option values: numbers in the ranges that make sense, percentages,
``COLUMN=VALUE`` filters, country codes. Each raises ``ArgumentTypeError``, which the
parser reports as a usage error (exit 2) before anything is read or sent.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from ..app import check_country


def number(
    kind: Callable[[str], float], low: float, high: float, *, zero: bool = False
) -> Callable[[str], float]:
    """A type that accepts finite numbers from ``low`` to ``high`` (and 0 when ``zero``)."""

    def check(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if zero and value == 0:
            return value
        if not (math.isfinite(value) and low <= value <= high):
            also = "0 or " if zero else ""
            raise argparse.ArgumentTypeError(f"give {also}a number from {low:g} to {high:g}")
        return value

    check.__name__ = kind.__name__
    return check


rate = number(float, 0.01, 100_000, zero=True)
timeout = number(float, 0.1, 3600)
max_wait = number(float, 0, 86_400)
max_retries = number(int, 0, 100)
max_failures = number(int, 0, 1_000_000)
port = number(int, 0, 65_535)
header_row = number(int, 1, 1_048_576)
days = number(int, 0, 36_500)  # --retain-keys, redact --older-than
years = number(int, 1, 100)  # ledger prune --older-than


def percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r}") from None
    if text.endswith("%") or value > 1:
        value /= 100
    if not 0 <= value <= 1:  # also refuses nan
        raise argparse.ArgumentTypeError("give a percentage between 0% and 100%")
    return value


def where(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError("use COLUMN=VALUE, for example 'Request type=Erasure'")
    column, value = text.split("=", 1)
    return column.strip(), value.strip()


workers = number(int, 1, 256)


def country(text: str) -> str:
    try:
        return check_country(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def concurrency(text: str) -> int | None:
    if text == "auto":
        return None
    return int(workers(text))
