"""The raw files themselves (data/raw): canonical sources, honest dates, valid vocabularies.

These tests read the CSVs with the standard library only, so they check the data independently
of the cleaning code. Each check is a small function that returns the problems it finds; the
first tests prove on made-up rows that the checks can fail, the rest run them on the real files.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
LATEST = dt.date(2026, 12, 1)  # no source can be published after the build's latest as-of date
BASES = ("fact_base", "factcheck", "notes", "url", "page")

# Hosts that only copy other outlets' pages. Each was replaced by the canonical page or a
# direct wire copy (data/raw/README.md, "Canonical sources"); none may come back.
MIRROR_HOSTS = {
    "wiki.av1.space": "offline Wikipedia dump; cite en.wikipedia.org",
    "askwikinow.com": "Wikipedia mirror; cite en.wikipedia.org",
    "l.global.ssl.fastly.net": "Wikipedia mirror (Misplaced Pages); cite en.wikipedia.org",
    "ard.binge-education.com": "mirror of arcamax.com (same /currentnews/... path)",
    "news-pravda.com": "state-media aggregator network relaying other outlets' stories",
    "alpha-news.org": "aggregator of wire copies; cite a direct wire copy",
    "negasiranslan.com": "reworded copy of other outlets' stories (same URL slugs)",
}
# Staging and preview hosts of real outlets (pre.efe.com, demo.elmundo.sv): cite the public host.
PREVIEW_HOST = re.compile(r"^(pre|demo|staging|stage|dev|test|preview)\.")
# Query keys that make a page a site-search result rather than an article.
SEARCH_KEYS = {"q", "s", "query", "search", "searchterm", "keyword", "keywords"}
# http:// is allowed only where the fact base cites no https address on the same host.
HTTP_ONLY_HOSTS = {
    "haitify.com",  # alterpresse-haitify-2024-06-25: only http in the fact base
    "newscentral.africa",  # afp-newscentral-2025-02-26: only http in the fact base
    "haiti24news.com",  # haiti24news-2025-02: only http in the fact base
    "unscr.com",  # unscr-res-2699, unscr-res-2751: only http in the fact base
}
# AMP pages whose non-AMP address cannot be read off the URL itself.
AMP_EXCEPTIONS = {
    "dominicantoday-2024-09-22",  # /amp/news?id=...: the site's canonical path is not evident
}
FILES_WITH_SOURCES = (
    "mss/figures.csv",
    "claims.csv",
    "displacement/idps_national.csv",
    "displacement/idps_departments.csv",
    "displacement/context.csv",
)


def read(name: str) -> list[dict[str, str]]:
    with (RAW / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def split_ids(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def url_problems(source_id: str, url: str) -> list[str]:
    """What is wrong with a source address (empty list when nothing is)."""
    parts = urlsplit(url)
    host = host_of(url)
    problems = []
    if parts.scheme not in ("http", "https") or not host:
        return [f"{source_id}: not a web address: {url}"]
    if parts.scheme == "http" and host not in HTTP_ONLY_HOSTS:
        problems.append(f"{source_id}: plain http; use https (or list the host as http-only)")
    for mirror, why in MIRROR_HOSTS.items():
        if host == mirror or host.endswith("." + mirror):
            problems.append(f"{source_id}: mirror host {host} ({why})")
    if PREVIEW_HOST.match(host):
        problems.append(f"{source_id}: preview/staging host {host}; cite the public host")
    keys = {key.lower() for key in parse_qs(parts.query, keep_blank_values=True)}
    if keys & SEARCH_KEYS or "/search" in parts.path.lower():
        problems.append(f"{source_id}: a site-search results page, not an article")
    segments = [s.lower() for s in parts.path.split("/") if s]
    is_amp = "amp" in segments or keys & {"amp", "outputtype"} or parts.path.endswith(".amp")
    if is_amp and source_id not in AMP_EXCEPTIONS:
        problems.append(f"{source_id}: AMP page; cite the non-AMP address")
    return problems


def normalised(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host_of(url)}{path}{query}"


def date_problems(text: str, where: str) -> list[str]:
    """A published date must be YYYY, YYYY-MM or YYYY-MM-DD, real, and not after LATEST."""
    if not text:
        return []
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if not match:
        return [f"{where}: {text!r} is not YYYY[-MM[-DD]]"]
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        first = dt.date(year, month or 1, day or 1)
    except ValueError:
        return [f"{where}: {text!r} is not a real date"]
    return [f"{where}: {text} is after {LATEST}"] if first > LATEST else []


MONTHS = {
    m: f"{i:02d}"
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


def url_dates(url: str) -> set[str]:
    """Dates written in an address: /2025/01/04/, /2025/Oct/11/, 2024-10-11, 22-12-2025."""
    found = set()
    for y, m, d in re.findall(r"(20\d\d)[/-](\d\d|[A-Za-z]{3})[/-](\d\d?)(?!\d)", url):
        month = MONTHS.get(m.lower(), m)
        found |= {f"{y}-{month}-{int(d):02d}", f"{y}-{month}"}
    for d, m, y in re.findall(r"(?<!\d)(\d\d)[/-](\d\d)[/-](20\d\d)", url):
        found |= {f"{y}-{m}-{d}", f"{y}-{m}"}
    for y, m in re.findall(r"/(20\d\d)/(\d\d)/", url):
        found.add(f"{y}-{m}")
    return found


def used_source_ids() -> Counter[str]:
    used: Counter[str] = Counter()
    for name in FILES_WITH_SOURCES:
        for row in read(name):
            used.update(split_ids(row["source_id"]))
    return used


# --- the checks can fail -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expect"),
    [
        ("https://tengele.com/search?q=Henry+Wooster", "site-search"),
        ("https://example.org/?s=haiti", "site-search"),
        ("https://wiki.av1.space/content/wikipedia_en_all_mini_2025-06/X", "mirror host"),
        ("https://canada.news-pravda.com/canada/2025/12/09/30284.html", "mirror host"),
        ("https://pre.efe.com/en/latest-news/x", "preview/staging"),
        ("https://demo.elmundo.sv/politica/x", "preview/staging"),
        ("https://magneticmediatv.com/2024/10/story/amp", "AMP page"),
        ("https://example.org/story?amp=1", "AMP page"),
        ("http://example.org/story", "plain http"),
        ("javascript:alert(1)", "not a web address"),
    ],
)
def test_url_check_rejects_bad_addresses(url, expect):
    assert any(expect in problem for problem in url_problems("x", url))


def test_url_check_accepts_a_plain_article_and_listed_exceptions():
    assert url_problems("x", "https://www.thestar.com.my/news/world/2025/02/05/story") == []
    assert url_problems("x", "http://unscr.com/en/resolutions/2699") == []
    assert (
        url_problems("dominicantoday-2024-09-22", "https://dominicantoday.com/amp/news?id=1") == []
    )


@pytest.mark.parametrize(
    ("text", "ok"),
    [("2024", True), ("2024-10", True), ("2024-10-11", True), ("2026-12-01", True),
     ("2024-13", False), ("2024-02-30", False), ("Oct 2024", False), ("2027-01", False)],
)  # fmt: skip
def test_date_check(text, ok):
    assert (date_problems(text, "x") == []) is ok


def test_dates_read_off_addresses():
    assert "2025-10-11" in url_dates("https://x.com/health/2025/Oct/11/story")
    assert "2025-12-22" in url_dates("https://x.com/post/22-12-2025-story")
    assert url_dates("https://x.com/2024/10/story/") == {"2024-10"}
    assert url_dates("https://x.com/story-1721534") == set()


# --- sources.csv ---------------------------------------------------------------------------


def test_source_addresses_are_canonical():
    problems = [
        p for row in read("sources.csv") for p in url_problems(row["source_id"], row["url"])
    ]
    assert problems == []


def test_no_url_is_cited_twice():
    counts = Counter(normalised(row["url"]) for row in read("sources.csv"))
    assert [url for url, n in counts.items() if n > 1] == []


def test_replaced_urls_are_kept_and_differ_from_the_url():
    for row in read("sources.csv"):
        for old in split_ids(row["replaced_url"]):
            assert urlsplit(old).scheme in ("http", "https"), row["source_id"]
            assert normalised(old) != normalised(row["url"]), row["source_id"]


def test_published_dates_are_valid_and_have_a_basis():
    problems = []
    for row in read("sources.csv"):
        sid, published, basis = row["source_id"], row["published"], row["published_basis"]
        problems += date_problems(published, sid)
        if basis not in (*BASES, ""):
            problems.append(f"{sid}: published_basis {basis!r} not in {BASES}")
        if bool(published) != bool(basis):
            problems.append(f"{sid}: a date needs a basis, and an empty date no basis")
        if basis == "url" and published not in url_dates(row["url"]):
            problems.append(f"{sid}: basis 'url' but the URL does not contain {published}")
    assert problems == []


def test_every_source_is_used_and_every_use_exists():
    ids = [row["source_id"] for row in read("sources.csv")]
    assert [sid for sid, n in Counter(ids).items() if n > 1] == []
    used = used_source_ids()
    assert sorted(set(used) - set(ids)) == [], "source ids used but not in sources.csv"
    assert sorted(set(ids) - set(used)) == [], "sources no row uses"


def test_displacement_published_is_the_source_date():
    published = {row["source_id"]: row["published"] for row in read("sources.csv")}
    for name in FILES_WITH_SOURCES[2:]:
        for row in read(name):
            assert row["published"] == published[row["source_id"]], (name, row["figure_id"])


# --- mss/figures.csv -----------------------------------------------------------------------

KINDS = ("pledge", "arrival", "departure", "strength", "rotation", "mandate", "money")
MISSIONS = ("MSS", "GSF")
STATUSES = ("made", "confirmed", "on_hold", "withdrawn")  # lapsed is derived, never written
PLEDGE_MEASURES = (
    "personnel",
    "aggregate_personnel",
    "aggregate_contributors",
    "personnel_tranche",
)
MANDATE_MEASURES = (
    "authorisation", "planning_figure", "ceiling", "mss_end", "schedule", "suspension",
    "proposal", "national_approval",
)  # fmt: skip
PAST_TENSE = ("arrival", "departure", "strength", "rotation")  # reports of what already happened
MSS_END = "2025-10-02"  # last day of the MSS authorisation (MAN-017)
GSF_AUTHORISED = "2025-09-30"  # resolution 2793 (MAN-013-A)


def span(text: str) -> tuple[dt.date, dt.date]:
    """First and last day of YYYY, YYYY-MM or YYYY-MM-DD."""
    parts = [int(p) for p in text.split("-")]
    first = dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    if len(parts) == 3:
        return first, first
    if len(parts) == 2:
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, following - dt.timedelta(days=1)
    return first, dt.date(first.year, 12, 31)


def figure_problems(rows: list[dict[str, str]]) -> list[str]:
    """Vocabulary and cross-row rules of figures.csv (see data/raw/README.md)."""
    by_id = {row["figure_id"]: row for row in rows}
    problems = []
    for row in rows:
        fid, kind, measure = row["figure_id"], row["kind"], row["measure"]
        if kind not in KINDS:
            problems.append(f"{fid}: kind {kind!r}")
        if row["mission"] not in (*MISSIONS, ""):
            problems.append(f"{fid}: mission {row['mission']!r}")
        if kind == "pledge":
            if not row["mission"]:
                problems.append(f"{fid}: a pledge needs its mission")
            if row["status"] not in STATUSES:
                problems.append(f"{fid}: pledge status {row['status']!r}")
            if measure not in PLEDGE_MEASURES:
                problems.append(f"{fid}: pledge measure {measure!r}")
            date = row["event_date"]
            if row["mission"] == "GSF" and date and date < GSF_AUTHORISED:
                problems.append(f"{fid}: a GSF pledge dated before the GSF existed")
            if row["mission"] == "MSS" and date and date > MSS_END:
                problems.append(f"{fid}: an MSS pledge dated after the MSS ended")
        elif row["status"]:
            problems.append(f"{fid}: status is for pledge rows only")
        if kind == "mandate" and measure not in MANDATE_MEASURES:
            problems.append(f"{fid}: mandate measure {measure!r}")
        if kind == "mandate" and measure == "ceiling" and row["country"] != "GSF total":
            problems.append(f"{fid}: only resolution 2793 (the GSF) set a ceiling")
        if measure == "authorisation" and not re.search(
            r"[Rr]esolution (2699|2751|2793)", row["description"]
        ):
            problems.append(f"{fid}: an authorisation names its resolution in the description")
        if row["part_of"]:
            total = by_id.get(row["part_of"])
            if kind != "strength":
                problems.append(f"{fid}: part_of is for strength rows only")
            elif total is None or total["country"] not in ("MSS total", "GSF total"):
                problems.append(f"{fid}: part_of must name a reported mission total")
            elif (total["source_id"], total["event_date"]) != (row["source_id"], row["event_date"]):
                problems.append(f"{fid}: the total must come from the same report and day")
    mss_end = [row for row in rows if row["measure"] == "mss_end"]
    if [row["event_date"] for row in mss_end] != [MSS_END]:
        problems.append(f"exactly one mss_end row, dated {MSS_END}")
    return problems


def event_problems(rows: list[dict[str, str]]) -> list[str]:
    """An event label groups several reports of one movement: same kind, same country."""
    groups: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if row["event"]:
            groups.setdefault(row["event"], []).append(row)
    problems = []
    for label, members in groups.items():
        if len(members) < 2:
            problems.append(f"event {label}: a label for a single row says nothing")
        if len({(m["kind"], m["country"]) for m in members}) > 1:
            problems.append(f"event {label}: mixes kinds or countries")
    return problems


def test_figure_rules_catch_bad_rows():
    good = {
        "figure_id": "P1", "kind": "pledge", "measure": "personnel", "mission": "MSS",
        "status": "made", "country": "Kenya", "event_date": "2024-01", "event": "",
        "part_of": "", "description": "", "source_id": "s",
    }  # fmt: skip
    end = {**good, "figure_id": "E", "kind": "mandate", "measure": "mss_end", "status": "",
           "event_date": MSS_END}  # fmt: skip
    assert figure_problems([good, end]) == []
    bad = [
        {**good, "status": "lapsed"},
        {**good, "mission": ""},
        {**good, "mission": "GSF", "event_date": "2024-05"},
        {**good, "kind": "arrival", "status": "made"},
        {**good, "kind": "mandate", "measure": "transition", "status": ""},
        {**good, "kind": "strength", "status": "", "part_of": "P1"},
    ]
    for row in bad:
        assert figure_problems([row, end]), row
    assert figure_problems([good]) == ["exactly one mss_end row, dated 2025-10-02"]
    assert event_problems([{**good, "event": "x"}])


def test_figures_follow_the_vocabulary():
    rows = read("mss/figures.csv")
    assert figure_problems(rows) == []
    assert event_problems(rows) == []


def test_breakdown_parts_point_at_a_total_from_the_same_report():
    rows = read("mss/figures.csv")
    groups: dict[str, list[str]] = {}
    for row in rows:
        if row["part_of"]:
            groups.setdefault(row["part_of"], []).append(row["country"])
    assert groups, "the Sep 2025 breakdown (NEW-3) must point at its total"
    for countries in groups.values():
        assert len(countries) == len(set(countries)) >= 2
    # NEW-3: EFE's parts add up to 990; the total is Ruto's 989 as reported, never the sum
    new3 = {row["figure_id"]: row for row in rows}[next(iter(groups))]
    assert new3["value_as_written"] == "989"


def test_reports_of_the_past_are_not_dated_after_their_source():
    published = {row["source_id"]: row["published"] for row in read("sources.csv")}
    late = []
    for row in read("mss/figures.csv"):
        source_day = published[split_ids(row["source_id"])[0]]
        dated = row["kind"] in PAST_TENSE and row["event_date"] and source_day
        if dated and span(row["event_date"])[0] > span(source_day)[1]:
            late.append(f"{row['figure_id']}: event {row['event_date']} after {source_day}")
    assert late == []


# --- decisions.csv -------------------------------------------------------------------------


def test_decisions_name_existing_figures_and_valid_dates():
    known = {
        row["figure_id"]
        for name in FILES_WITH_SOURCES
        if name != "claims.csv"
        for row in read(name)
    }
    problems = []
    for row in read("decisions.csv"):
        problems += date_problems(row["decided"], row["decision_id"])
        if not split_ids(row["chosen"]):
            problems.append(f"{row['decision_id']}: nothing chosen")
        for column in ("chosen", "rejected"):
            problems += [
                f"{row['decision_id']}: {column} {fid} does not exist"
                for fid in split_ids(row[column])
                if fid not in known
            ]
        overlap = set(split_ids(row["chosen"])) & set(split_ids(row["rejected"]))
        if overlap:
            problems.append(f"{row['decision_id']}: {sorted(overlap)} both chosen and rejected")
    assert problems == []


# --- displacement/ -------------------------------------------------------------------------

IOM_API_SOURCES = ("iom-dtm-api-fixture-admin0", "iom-dtm-api-fixture-admin1")


def displacement_problems(name: str, rows: list[dict[str, str]]) -> list[str]:
    """IOM's reference period, the API's reportingDate stamp and the publication date are three
    fields: the stamp is a month-end date on API rows only, and the data period ends before it
    was published."""
    problems = []
    for row in rows:
        fid, stamp = row["figure_id"], row["api_reporting_date"]
        from_api = row["source_id"] in IOM_API_SOURCES
        if from_api != bool(stamp):
            problems.append(f"{name} {fid}: api_reporting_date is for rows from the DTM API only")
        if stamp:
            day = dt.date.fromisoformat(stamp)
            if (day + dt.timedelta(days=1)).day != 1:
                problems.append(f"{name} {fid}: the API stamp {stamp} is not a month end")
        start, end = row["reference_period_start"], row["reference_period_end"]
        for text in (start, end, row["published"]):
            problems += date_problems(text, f"{name} {fid}")
        if start and end and span(start)[0] > span(end)[1]:
            problems.append(f"{name} {fid}: reference period starts after it ends")
        if end and row["published"] and span(end)[1] > span(row["published"])[1]:
            problems.append(
                f"{name} {fid}: data period {end} ends after publication {row['published']}"
            )
    return problems


def test_displacement_checks_catch_a_stamp_taken_for_a_period():
    row = {
        "figure_id": "X", "source_id": "iom-press", "api_reporting_date": "",
        "reference_period_start": "", "reference_period_end": "2025-06-30",
        "published": "2025-06-11",
    }  # fmt: skip
    assert displacement_problems("t", [row])  # period ends after publication
    api = {
        **row,
        "source_id": IOM_API_SOURCES[0],
        "published": "",
        "api_reporting_date": "2025-06-15",
    }
    assert any("month end" in p for p in displacement_problems("t", [api]))
    assert displacement_problems("t", [{**row, "api_reporting_date": "2025-06-30"}])


@pytest.mark.parametrize(
    "name", ["displacement/idps_national.csv", "displacement/idps_departments.csv"]
)
def test_iom_period_stamp_and_publication_are_consistent(name):
    assert displacement_problems(name, read(name)) == []
