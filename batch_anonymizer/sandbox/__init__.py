"""The built-in sandbox: a simulator of the CustomerGauge anonymize API on 127.0.0.1.

Everything a caller needs is here: ``Sandbox`` (the simulated vendor and its
request log), ``Faults`` (how it misbehaves), and three ways to serve it:
``start_sandbox`` in the caller's event loop, ``SandboxThread`` in a thread,
``serve`` blocking until a signal. The sandbox never logs or echoes a secret:
the log records only which kind of ``Authorization`` came.

``Person`` and ``Record`` are the store's people (to seed) and records (to
read). Inside, one job per module: ``store`` (people and records),
``seeding`` (records files, the demo's people), ``credentials`` (credentials and
tokens), ``faults`` (the fault spec), ``steps`` (script items),
``faultstate`` (the spec's running state), ``requestlog`` (the request log),
``wire`` (how answers look), ``routes`` (the aiohttp app), ``vendor``
(``Sandbox``, composing them) and ``serving`` (running it).
"""

from .faults import Faults
from .requestlog import LogEntry
from .seeding import demo_person
from .serving import SandboxThread, serve, start_sandbox
from .store import Person, Record
from .vendor import Sandbox

__all__ = [
    "Faults",
    "LogEntry",
    "Person",
    "Record",
    "Sandbox",
    "SandboxThread",
    "demo_person",
    "serve",
    "start_sandbox",
]
