"""State: the durable journal, and what an earlier run already did (resume, retry)."""
