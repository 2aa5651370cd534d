"""Limits on input: absurd input fails fast with a clear message instead of exhausting memory
or time. Each limit leaves ample room over what the real data needs (figures as of the
current data/raw): the largest raw CSV is about 70 KB, the longest cell about 400 characters,
params.yaml a few lines."""

MAX_RAW_CSV_BYTES = 20 * 1024 * 1024  # any hand-kept file in data/raw (largest: ~70 KB)
MAX_CELL_CHARS = 10_000  # one cell of a raw CSV (longest today: ~400, a long note)
MAX_PARAMS_BYTES = 64 * 1024  # params.yaml (two parameters; a long dtm_files list fits)
MAX_PARAMS_DEPTH = 8  # nesting of params.yaml (a mapping of scalars and one list: depth 2)
MAX_INPUT_BYTES = 1024 * 1024 * 1024  # any file a build step reads (DTM files included)


def mebibytes(size: int) -> str:
    """A size as people read it in an error message: '1,024 MB' (binary megabytes)."""
    value = size / 2**20
    return f"{value:,.0f} MB" if value >= 1 else f"{size / 1024:,.0f} KB"
