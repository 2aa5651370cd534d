"""The report: facts, charts and text, from the processed tables only (never the raw files)."""
