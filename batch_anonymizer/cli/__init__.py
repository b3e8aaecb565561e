"""The command line: a thin layer over the library (parsing, messages, exit codes, signals)."""
