"""batch_anonymizer: anonymize GDPR erasure requests in CustomerGauge, with an audit trail."""

from __future__ import annotations

from .core.version import __version__

__all__ = ["__version__"]
