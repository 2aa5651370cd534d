"""Size limits for input files: absurd input fails fast with a clear message instead of
exhausting memory. The largest raw CSV is about 100 KB and a DTM API response for one country
a few MB, so the limits leave ample room for growth."""

MAX_RAW_CSV_BYTES = 20 * 1024 * 1024  # any hand-kept file in data/raw
