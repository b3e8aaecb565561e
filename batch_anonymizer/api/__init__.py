"""Stage 3, the API: endpoint, credentials, HTTP, answer classification, rate limit, worker pool.

Its face, the modules the other stages may import (``__all__``): ``settings``
(how to send), ``endpoint`` (where), ``auth`` (with what credentials),
``control`` (stopping a run), ``sender`` (the only HTTP), ``sending`` (one
run's sending, wired), ``pool`` (the worker pool's results, progress and
recorder), ``stoplist``, ``v6`` (the v6 call) and ``messages`` (what a halt
says). The others (``attempts``, ``erasure``, ``classify``, ``body``,
``bounded``, ``breakers``, ``prior``, ``proxy``, ``ratelimit``, ``scrub``,
``retry``) are internal to the stage and may change. Only the top-level
``batch_anonymizer`` package is the supported library face.
"""

__all__ = [
    "auth",
    "control",
    "endpoint",
    "messages",
    "pool",
    "sender",
    "sending",
    "settings",
    "stoplist",
    "v6",
]
