"""batch_anonymizer: anonymize GDPR erasure requests in CustomerGauge, with an audit trail."""

from __future__ import annotations

__version__ = "0.1.0"
