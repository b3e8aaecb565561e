"""The command line: a thin layer over the library (parsing, messages, exit codes, signals).

Its face is ``main`` (the ``batch-anonymizer`` console script); every other
module is internal. The command line imports ``app`` and ``core`` only (an
import-linter contract) and is the one place that maps exceptions to exit codes
(``exits``).
"""

__all__ = [
    "main",
]
