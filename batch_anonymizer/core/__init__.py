"""Shared by every stage: the records that flow between them, the exception tree, codes, time."""
