"""``batch-anonymizer sandbox``: the API simulator on 127.0.0.1, for ``--base-url``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..app import prepare_run
from ..core.errors import ExitCode
from .parser import API_KEY_ENV, CLIENT_SECRET_ENV

if TYPE_CHECKING:  # imported when the command runs: it loads the web server
    from ..sandbox import Sandbox


def cmd_sandbox(args: argparse.Namespace) -> int:
    from ..app.builtin import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, seed
    from ..sandbox import Faults, Sandbox, serve

    faults = Faults.from_spec(args.faults) if args.faults else None
    box = Sandbox(
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        faults=faults,
        log_path=args.log,
        v6_phone_field=args.v6_phone_field,
    )
    for path in args.records:
        n = box.load_records(path)
        print(f"Loaded {n} record(s) from {path}", flush=True)
    for path in args.seed:
        seed(box, prepare_run(path).lines)

    def ready(url: str) -> None:
        print(f"Sandbox listening on {url}", flush=True)
        print(f"Demo API key: {box.api_key}  (export {API_KEY_ENV}=<that key>)", flush=True)
        print(f"Try: batch-anonymizer run INPUT --base-url {url} --yes", flush=True)
        print(
            f"v6 API: --api v6 --oauth-client-id {box.client_id} (export "
            f"{CLIENT_SECRET_ENV}={SANDBOX_CLIENT_SECRET}); telephone field "
            f"'{box.v6_phone_field}'",
            flush=True,
        )
        print(_sandbox_holds(box), flush=True)

    serve(box, args.port, ready=ready)
    return ExitCode.OK


def _sandbox_holds(box: Sandbox) -> str:
    """What a standalone sandbox holds, said when it starts: an empty one knows nobody."""
    records = [r for r in box.contacts if not r.anonymized]
    people = len({r.person for r in records})
    if not people:
        return (
            "It holds nobody: it answers not_found to every key (nothing is anonymized); "
            "seed it with --seed INPUT or --records FILE"
        )
    return (
        f"It holds {people} {'person' if people == 1 else 'people'} ({len(records)} "
        "records); any other key answers not_found. "
        "Runs against it are test runs: kept out of the real erasure ledger"
    )
