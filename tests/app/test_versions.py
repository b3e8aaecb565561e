"""Which API a run speaks: as asked, as the run it continues, or v4.1; what cannot work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_csv

from batch_anonymizer.api.auth import ApiKeyAuth, OAuth2Auth
from batch_anonymizer.api.endpoint import Endpoint
from batch_anonymizer.app.execute import execute
from batch_anonymizer.app.options import RunOptions
from batch_anonymizer.app.prepare import Prepared, prepare_run
from batch_anonymizer.app.versions import choose_api
from batch_anonymizer.core.errors import UsageError
from batch_anonymizer.state.previous import Previous, load_previous

EP = Endpoint.for_region("eu")
TOKEN = OAuth2Auth("client", "a-client-secret", EP.token_url)
KEY = ApiKeyAuth("an-api-key")


def prep_of(api: str | None, field: str = "") -> Prepared:
    earlier = None
    if api is not None:
        earlier = Previous(Path("x.journal"), "run-1", "", "", (), (), api_version=api,
                           v6_phone_field=field)  # fmt: skip
    return Prepared(Path("in.csv"), "", 0, (), (), {}, [], earlier)


@pytest.mark.parametrize(
    ("asked", "earlier", "field", "expected"),
    [
        (None, None, None, ("v4.1", "", "default", ())),
        ("v6", None, None, ("v6", "phone", "--api", (("v6_phone_field", "phone"),))),
        (None, "v6", None, ("v6", "telephone", "the earlier run",
                            (("v6_phone_field", "telephone"), ("api_from", "the earlier run")))),
        (None, "v6", "phone", ("v6", "phone", "the earlier run",
                               (("v6_phone_field", "phone"), ("api_from", "the earlier run")))),
        ("v4.1", "v6", None, ("v4.1", "", "--api", (("api_from", "--api"),))),
        (None, "v4.1", None, ("v4.1", "", "the earlier run", (("api_from", "the earlier run"),))),
        (None, "", None, ("v4.1", "", "default (the earlier run's .csv does not record its API)",
                          (("api_from", "default (the earlier run's .csv does not record its "
                                        "API)"),))),
    ],
)  # fmt: skip
def test_the_choice(
    asked: str | None,
    earlier: str | None,
    field: str | None,
    expected: tuple[str, str, str, tuple[tuple[str, str], ...]],
) -> None:
    opts = RunOptions(EP, TOKEN, api=asked, v6_phone_field=field)
    choice = choose_api(prep_of(earlier, "telephone"), opts)
    assert (choice.version, choice.phone_field, choice.source, choice.settings()) == expected


@pytest.mark.parametrize(
    ("earlier_field", "field", "note"),
    [
        ("phone", None, "this run uses the v6 API (telephone field 'phone'), as the run it "
                        "continues did; --api v4.1 would change that"),
        ("phone", "phone", "this run uses the v6 API (telephone field 'phone'), as the run it "
                           "continues did; --api v4.1 would change that"),
        ("phone", "telephone", "this run uses the v6 API, as the run it continues did, with the "
                               "telephone field 'telephone' as --v6-phone-field says (that run "
                               "sent 'phone'); --api v4.1 would change the API"),
    ],
)  # fmt: skip
def test_the_note_says_where_the_telephone_field_came_from(
    earlier_field: str, field: str | None, note: str
) -> None:
    opts = RunOptions(EP, TOKEN, v6_phone_field=field)
    assert choose_api(prep_of("v6", earlier_field), opts).note() == note


@pytest.mark.parametrize(
    ("opts", "earlier", "words"),
    [
        (RunOptions(EP, KEY, api="v6"), None, "takes OAuth2 tokens only"),
        (RunOptions(EP, None, api="v6"), None, "takes OAuth2 tokens only"),
        (RunOptions(EP, KEY), "v6", "the run this continues used v6"),
        (RunOptions(EP, TOKEN, api="v6", fmt="xml"), None, "JSON only"),
        (RunOptions(Endpoint.for_region("eu", "xml"), TOKEN, api="v6"), None, "JSON only"),
        (RunOptions(EP, TOKEN, v6_phone_field="phone"), None, "applies to the v6 API only"),
        (RunOptions(EP, TOKEN, api="v7"), None, "unknown API 'v7'"),
        (RunOptions(EP, TOKEN), "v7", "the API 'v7', which this version does not speak"),
        (RunOptions(EP, TOKEN, api="v6", v6_phone_field="mobile"), None, "unknown v6 telephone"),
    ],
)
def test_what_cannot_work_is_refused(opts: RunOptions, earlier: str | None, words: str) -> None:
    with pytest.raises(UsageError, match=words) as exc:
        choose_api(prep_of(earlier), opts)
    assert exc.value.message.endswith("nothing was sent")


def test_the_built_in_sandbox_needs_no_credentials_for_v6() -> None:
    assert choose_api(prep_of(None), RunOptions(None, None, api="v6")).version == "v6"


def test_a_journal_older_than_v6_spoke_v4_1(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["ann@example.com"]])
    opts = RunOptions(None, None, mode="dry-run", report=tmp_path / "r")
    summary = execute(prepare_run(src), opts)
    journal = summary.journal
    assert journal is not None
    lines = journal.read_text(encoding="utf-8").splitlines()
    run = json.loads(lines[0])
    assert run["api_version"] == "v4.1"
    del run["api_version"]  # as a journal of 0.1 or 0.2 has it
    journal.write_text("\n".join([json.dumps(run), *lines[1:]]) + "\n", encoding="utf-8")
    previous = load_previous(journal)
    assert (previous.api_version, previous.v6_phone_field) == ("v4.1", "")
    csv = load_previous(summary.csv)
    assert csv.api_version == ""  # a .csv alone does not say
    assert load_previous(summary.xlsx).api_version == "v4.1"
