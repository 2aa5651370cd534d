"""The keyless route (``make update SOURCE=hdx``): HDX's "Global IOM Displacement Tracking Matrix
(DTM) from API" dataset, read with OCHA's own client, hdx-python-api.

The dataset's CSV holds every country (tens of MB); only Haiti's rows are kept, with the header
and the HXL row, in the shape the project's HDX reader reads. The dataset's licence comes from
its own metadata. ``HDX_URL`` (read by hdx-python-api) points it at another HDX site or a
stand-in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from haiti_report.update.client import Fetched, UpdateError

DATASET = "global-iom-dtm-from-api"
RESOURCE = "global-iom-dtm-from-api-admin-0-to-2.csv"
PUBLIC_SITE = "https://data.humdata.org"
COUNTRY_TAG = "#country+code"


def haiti_rows(path: Path) -> bytes:
    """The header, the HXL row and Haiti's rows of the global CSV, streamed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        header, tags = next(rows, None), next(rows, None)
        if not header or not tags or COUNTRY_TAG not in [t.strip() for t in tags]:
            raise UpdateError(
                f"HDX's {RESOURCE} has no HXL row with {COUNTRY_TAG} on line 2; nothing was changed"
            )
        col = [t.strip() for t in tags].index(COUNTRY_TAG)
        writer.writerow(header)
        writer.writerow(tags)
        for row in rows:
            if len(row) > col and row[col].strip().upper() == "HTI":
                writer.writerow(row)
    return out.getvalue().encode("utf-8")


def fetch_hdx(hdx_url: str | None, today: dt.date, workdir: Path) -> Fetched:
    try:
        from hdx.api.configuration import Configuration
        from hdx.data.dataset import Dataset
    except ImportError:
        raise UpdateError(
            "hdx-python-api is not installed: run `make update SOURCE=hdx` (it installs the "
            "update group)"
        ) from None
    site = (hdx_url or PUBLIC_SITE).rstrip("/")
    try:
        config = Configuration(hdx_url=site, hdx_read_only=True, user_agent="haiti-report")
        config.setup_session_remoteckan()
        dataset = Dataset.read_from_hdx(DATASET, configuration=config)
        if dataset is None:
            raise UpdateError(f"HDX at {site} has no dataset {DATASET!r}")
        resource = next((r for r in dataset.get_resources() if r["name"] == RESOURCE), None)
        if resource is None:
            raise UpdateError(f"HDX dataset {DATASET!r} has no resource {RESOURCE!r}")
        url, path = resource.download(workdir)
    except UpdateError:
        raise
    except Exception as err:  # hdx-python-api wraps network and CKAN errors in its own classes
        reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise UpdateError(f"could not read {DATASET!r} from HDX at {site}: {reason}") from None
    licence = dataset.data.get("license_title") or dataset.data.get("license_id") or "unknown"
    terms = " ".join(str(dataset.data.get("license_other") or "").split())
    return Fetched(
        "hdx",
        "admin0-2",
        url,
        haiti_rows(Path(path)),
        today,
        f"{licence}: {terms}" if terms else licence,
    )
