"""Stage 1, input: read a spreadsheet, find its key columns, validate and dedupe the keys."""
