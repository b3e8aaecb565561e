"""Stage 5, the audit: the report workbook and its csv twin, safe cells, manifest, handover."""
