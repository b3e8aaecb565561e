"""The built-in sandbox: a simulator of the CustomerGauge anonymize API on 127.0.0.1."""
