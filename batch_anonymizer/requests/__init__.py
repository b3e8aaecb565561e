"""Erasure requests: the report's lines grouped into the requests people made, with deadlines.

``derive_requests`` (``derive``) is the one place that decides what a request
is, its outcome and its deadline (``stream_requests`` makes the same requests one at
a time, for a run's report); ``RequestRules`` (``rules``) says which
columns to read and is recorded in the run facts. ``audit`` writes what comes out.
"""

from __future__ import annotations

from .derive import derive_requests
from .dues import timing
from .overview import overview_lines
from .rules import RequestRules, rules_from_facts
from .stream import stream_requests

__all__ = [
    "RequestRules",
    "derive_requests",
    "overview_lines",
    "rules_from_facts",
    "stream_requests",
    "timing",
]
