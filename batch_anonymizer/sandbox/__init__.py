"""The built-in sandbox: a simulator of the CustomerGauge anonymize API on 127.0.0.1.

Everything a caller needs is here: ``Sandbox`` (the simulated vendor and its
request log), ``Faults`` (how it misbehaves), and three ways to serve it:
``start_sandbox`` in the caller's event loop, ``SandboxThread`` in a thread,
``serve`` blocking until a signal.
"""

from .faults import Faults
from .server import LogEntry, Sandbox, SandboxThread, serve, start_sandbox

__all__ = ["Faults", "LogEntry", "Sandbox", "SandboxThread", "serve", "start_sandbox"]
