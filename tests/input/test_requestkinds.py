"""The two tables that decide whether a row may be erased: request type and identity check."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch_anonymizer.input.requestkinds import (
    TypeKind,
    TypeReading,
    classify_type,
    identity_verified,
)

ERASURE, OTHER, BOTH, UNCLASSIFIED = "erasure", "other", "both", "unclassified"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        # erasure, as people and exports write it (any case, trimmed)
        ("Erasure", ERASURE),
        ("ERASURE", ERASURE),  # Transcend's action
        ("  erasure ", ERASURE),
        ("Deletion", ERASURE),
        ("Delete", ERASURE),
        ("delete my data", ERASURE),
        ("Right to be forgotten", ERASURE),
        ("right-to-be-forgotten", ERASURE),
        ("RTBF", ERASURE),
        ("Right to erasure", ERASURE),
        ("Right to deletion", ERASURE),
        ("Article 17", ERASURE),
        ("Art. 17", UNCLASSIFIED),  # the dot: not a value of the table
        ("Forget me", ERASURE),
        # another right
        ("Access", OTHER),
        ("ACCESS", OTHER),  # Transcend
        ("Subject access request", OTHER),
        ("DSAR", OTHER),
        ("Rectification", OTHER),
        ("RECTIFICATION", OTHER),
        ("Portability", OTHER),
        ("Objection", OTHER),
        ("Restriction", OTHER),
        ("RESTRICTION", OTHER),
        ("Opt-out", OTHER),
        ("opt out", OTHER),
        ("SALE_OPT_OUT", OTHER),  # Transcend
        ("CONTACT_OPT_OUT", OTHER),
        ("TRACKING_OPT_OUT", OTHER),
        ("AUTOMATED_DECISION_MAKING_OPT_OUT", OTHER),
        ("PLACE_ON_LEGAL_HOLD", OTHER),
        ("Do not sell", OTHER),
        # several rights in one cell
        ("Access, Erasure", BOTH),
        ("Erasure; Rectification", BOTH),
        ("Access and Deletion", BOTH),
        ("Access / RTBF", BOTH),
        ("Erasure, Delete", ERASURE),  # erasure twice: no other right
        ("Access, Portability", OTHER),
        ("Access, Something", UNCLASSIFIED),  # a part the table does not know
        # anything else
        ("", UNCLASSIFIED),
        ("  ", UNCLASSIFIED),
        ("Forget", UNCLASSIFIED),
        ("GDPR 15", UNCLASSIFIED),
        ("x", UNCLASSIFIED),
        ("Erasure?", UNCLASSIFIED),
    ],
)
def test_every_request_type_value(value: str, kind: str) -> None:
    assert classify_type(value).kind.value == kind


def test_both_names_the_other_rights_as_written() -> None:
    assert classify_type("Access,  Erasure") == TypeReading(TypeKind.BOTH, ("Access",))
    assert classify_type("Erasure / Portability; access").others == ("Portability", "access")


@pytest.mark.parametrize(
    ("value", "extra", "kind"),
    [
        ("Forget", ("forget",), ERASURE),
        ("  FORGET ", ("Forget",), ERASURE),
        ("Access", ("access",), ERASURE),  # named by the user: it wins over the table
        ("", ("",), ERASURE),
        ("Forget, Access", ("forget",), BOTH),
        ("Forgotten person", ("forget",), UNCLASSIFIED),
    ],
)
def test_erasure_type_names_a_value_an_erasure(value: str, extra: tuple[str], kind: str) -> None:
    assert classify_type(value, extra).kind.value == kind


@pytest.mark.parametrize(
    ("value", "go"),
    [
        ("Yes", True),
        ("YES", True),
        (" yes ", True),
        ("y", True),
        ("true", True),
        ("TRUE", True),  # a spreadsheet checkbox
        ("Verified", True),
        ("done", True),
        ("✓", True),
        ("✔", True),
        ("2026-11-21", True),  # the day it was checked
        ("2026-11-21 10:30:00", True),
        ("21/11/2026", True),
        ("05/11/2026", True),  # a date, whichever way it reads
        ("No", False),
        ("no", False),
        ("Pending", False),
        ("", False),
        ("   ", False),
        ("unknown", False),
        ("false", False),
        ("Yes?", False),
        ("not verified", False),
        ("1", False),
        ("n/a", False),
        ("2026-13-45", False),  # not a date
    ],
)
def test_every_identity_value(value: str, go: bool) -> None:
    assert identity_verified(value) is go


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=40))
def test_any_cell_is_read_without_raising(text: str) -> None:
    assert isinstance(classify_type(text).kind, TypeKind)
    assert identity_verified(text) in (True, False)
