"""Records files: a CSV of the vendor's records, loaded into the store, and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sandbox_helpers import call, post, run_sandbox

from batch_anonymizer.core.errors import UsageError
from batch_anonymizer.sandbox import Sandbox

GOOD = (
    "email,sms_telephone,first_name,last_name,job_level,NPS comment,Follow-up\n"
    "ann@example.com,447700900134,Ann,Lee,Director,Great,Call on Monday\n"
    "ANN@example.com,,Ann,Lee,,,\n"
    ",447700900134,Ann,,,,\n"
    ",12025550111,Kim,Day,,,\n"
    "\n"
    "kim@example.net,,Kim,Day,,,\n"
)


def write(tmp_path: Path, text: str, name: str = "records.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_records_file_gives_one_record_per_line_grouped_into_people(tmp_path: Path) -> None:
    box = Sandbox()
    assert box.load_records(write(tmp_path, GOOD)) == 5
    records = box.store.all_records()
    # Ann's three lines share an email or a telephone: one person. Kim's two share nothing.
    assert [(r.person, r.email, r.sms_telephone) for r in records] == [
        (0, "ann@example.com", "447700900134"),
        (0, "ANN@example.com", ""),
        (0, "", "447700900134"),
        (1, "", "12025550111"),
        (2, "kim@example.net", ""),
    ]
    first, second = records[0], records[1]
    assert (first.job_level, first.nps_comment, first.follow_up) == (
        "Director",
        "Great",
        "Call on Monday",
    )
    # a named column with an empty cell is empty; an unnamed one keeps the demo value
    assert (second.job_level, second.nps_comment, second.follow_up) == ("", "", "")
    assert second.job_position == "Buyer"
    assert [r.number_customergauge for r in records] == [str(100001 + i) for i in range(5)]
    assert [p.emails for p in box.store.people] == [
        ("ann@example.com", "ANN@example.com"),
        (),
        ("kim@example.net",),
    ]


def test_a_person_column_groups_records_whatever_their_keys(tmp_path: Path) -> None:
    text = (
        "person,email,sms_telephone,number_customergauge\n"
        "p1,a@example.com,,CG-7\n"
        "p2,b@example.com,,\n"
        "p1,,12025550112,\n"
    )
    box = Sandbox()
    box.load_records(write(tmp_path, text))
    records = box.store.all_records()
    assert [(r.person, r.number_customergauge) for r in records] == [
        (0, "CG-7"),
        (0, "100002"),
        (1, "100003"),
    ]
    assert box.store.people[0].telephones == ("12025550112",)


def test_a_loaded_store_answers_over_http(tmp_path: Path) -> None:
    with run_sandbox() as thread:
        thread.sandbox.load_records(write(tmp_path, GOOD))
        listed = call(thread.url, "GET", params={"telephone": "447700900134"}).json()["Data"]
        assert [r["first_name"] for r in listed] == ["Ann", "Ann"]
        assert post(thread.url, telephone="+44 7700 900134").status == 400
        assert post(thread.url, email="ann@example.com").status == 200
        assert thread.sandbox.posts()[-1].records == 2
        # the line with only Ann's telephone is still there
        assert len(thread.sandbox.records_for("telephone", "447700900134")) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"records\.csv: empty; the first line must name the columns$"),
        (" , \n", "empty"),
        ("email,phone\n", r"unknown column\(s\) 'phone'; known: email, sms_telephone, "),
        ("first_name,last_name\nAnn,Lee\n", "needs an email or an sms_telephone column"),
        ("email,Email\n", r"column\(s\) email given twice"),
        (
            "email,sms_telephone\n,+44 7700 900123\n",
            r"line 2: sms_telephone '\+44 7700 900123' is not in the vendor's form, "
            r"country code and number in digits only \(e\.g\. 447700900123\)$",
        ),
        ("sms_telephone\n07700900123\n", r"line 2: sms_telephone '07700900123' is not in"),
        ("sms_telephone\n447700900123\nn/a\n", r"line 3: sms_telephone 'n/a' is not in"),
        ("email,first_name\na@example.com,A\n,B\n", "line 3: neither an email nor an sms_"),
        ("email\na@example.com,extra\n", "line 2: 2 cells but 1 columns"),
        ("email\nann.example.com\n", "line 2: email 'ann.example.com' is not an email address"),
        ('email\n"a@example.com\n', "line 2: not valid CSV"),
    ],
)
def test_a_bad_records_file_is_refused_in_one_line_and_adds_nothing(
    tmp_path: Path, text: str, message: str
) -> None:
    box = Sandbox()
    box.add_contact(email="keep@example.com")
    path = write(tmp_path, text)
    with pytest.raises(UsageError, match=message) as refused:
        box.load_records(path)
    assert str(refused.value).startswith(f"sandbox records: {path}: ")
    assert "\n" not in str(refused.value)
    assert [r.email for r in box.contacts] == ["keep@example.com"]


def test_an_unreadable_records_file_is_refused(tmp_path: Path) -> None:
    box = Sandbox()
    with pytest.raises(UsageError, match=r"missing\.csv: cannot read it \("):
        box.load_records(tmp_path / "missing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("email,first_name\nann@example.com,Ren\xe9e\n".encode("latin-1"))
    with pytest.raises(UsageError, match="not UTF-8 text"):
        box.load_records(latin)
    assert box.contacts == []


def test_a_header_only_file_is_an_empty_store(tmp_path: Path) -> None:
    box = Sandbox()
    assert box.load_records(write(tmp_path, "\ufeffemail,sms_telephone\n")) == 0
    assert box.contacts == []


_CSVISH = st.text(alphabet=st.sampled_from('email,sms_telephone,first_name,"\n\r @.+0147aé\x00'))


@settings(deadline=None)
@given(st.one_of(st.binary(max_size=200), _CSVISH.map(str.encode)))
def test_any_bytes_are_loaded_or_refused_with_the_projects_error(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(data)
        box = Sandbox()
        try:
            box.load_records(path)
        except UsageError as exc:
            assert "\n" not in str(exc)
