"""`make update`: fetch IOM's newest Haiti figures into data/raw, with their provenance.

* :mod:`.client` - the DTM API v3 client (timeouts, bounded retries on 429/5xx).
* :mod:`.hdx` - the keyless route: HDX's IOM DTM dataset through hdx-python-api.
* :mod:`.store` - each response kept as received in data/raw/displacement/dtm/ with its
  sources.csv row, written atomically, nothing added when the data is already there.
* :mod:`.summary` - what changed, in words (also for the report's "What changed").
* :mod:`.cli` - ``python -m haiti_report.update``.
"""
