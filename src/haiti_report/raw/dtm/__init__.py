"""Read IOM Displacement Tracking Matrix (DTM) figures for Haiti into one tidy table.

Three published shapes are accepted, and each reader returns the same table (:class:`DtmFigures`),
one row per (source file, operation, admin level, department, round, reporting date,
assessment type):

* ``read_dtm_api_json``      - a saved DTM API v3 response (``displacement/admin0`` or ``admin1``).
* ``read_hdx_csv``           - HDX's global ``global-iom-dtm-from-api-admin-0-to-2.csv`` (HXL row).
* ``read_hdx_baseline_xlsx`` - one HDX Haiti baseline-round workbook (3 header rows, HXL on row 3).

``read_dtm_file`` picks the right reader by looking at the file's content.

Things a reporter should know about the numbers:

* ``reporting_date`` is DTM's ``reportingDate``: an END-OF-MONTH STAMP (R8 fieldwork was early
  September 2024, stamped 2024-09-30), not the fieldwork window and not the publication date.
  For a baseline workbook it is the latest ``#date+reported`` in the sheet.
* API v3 and the HDX CSV split each round into rows by origin department x displacement reason;
  those rows are SUMMED here (``rows_summed`` says how many). Site assessments (``SA``) are a
  subset of the baseline (``BA``) and are never added to it: they stay separate rows.
* The HDX CSV also has commune (admin2) rows. They are ignored: every Haiti round in the HDX file
  has department (admin1) and national (admin0) rows, and re-adding communes would only risk
  double counting.
* For rounds 1-5 the API totals differ from IOM's headline totals (sites only, capital only,
  relabelled rounds): see research/displacement_notes.md section 3d. This module reports what
  the file says; overrides belong elsewhere.
"""

from haiti_report.raw.dtm.api import read_dtm_api_json
from haiti_report.raw.dtm.common import (
    ACCEPTED_SHAPES,
    BASELINE_OPERATION,
    SOURCE_FORMATS,
    DtmFigures,
    national_totals,
)
from haiti_report.raw.dtm.dispatch import read_dtm_file
from haiti_report.raw.dtm.hdx import read_hdx_csv
from haiti_report.raw.dtm.xlsx import read_hdx_baseline_xlsx

__all__ = [
    "ACCEPTED_SHAPES",
    "BASELINE_OPERATION",
    "SOURCE_FORMATS",
    "DtmFigures",
    "national_totals",
    "read_dtm_api_json",
    "read_dtm_file",
    "read_hdx_baseline_xlsx",
    "read_hdx_csv",
]
