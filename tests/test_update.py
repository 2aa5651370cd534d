"""`make update`: the DTM API client against a local stand-in, provenance, idempotence, summary.

Never touches the internet: a small HTTP server on 127.0.0.1 (http.server in a thread) plays
the DTM API (and HDX) from recorded responses: the shared real samples (tests skip when they
are absent) and the synthetic fixtures in tests/fixtures/dtm/update/.
"""

from __future__ import annotations

import copy
import datetime as dt
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from conftest import DTM_SAMPLES, ROOT, copy_project, tree_hashes

from haiti_report.clean import displacement, dtm_files
from haiti_report.core.errors import InputError
from haiti_report.raw.sources import load_sources, newest_published
from haiti_report.update import cli, store, summary
from haiti_report.update.client import RetryPolicy, UpdateError, fetch_api

FIXTURES = Path(__file__).parent / "fixtures" / "dtm"
SYNTHETIC = FIXTURES / "update"
TODAY = dt.date(2026, 12, 1)
KEY = "test-key-not-a-secret"
FAST = RetryPolicy(retries=2, backoff=0.05, max_wait=0.5, connect_timeout=2, read_timeout=2)


# --- the stand-in -----------------------------------------------------------------------------


class StandIn:
    """Answers per path: a list of (status, headers, body, delay); the last one repeats."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, dict[str, str], bytes, float]]] = {}
        self.seen: list[tuple[str, str | None]] = []
        handler = self._handler()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def set(self, path: str, *answers: tuple[int, dict[str, str], bytes, float]) -> None:
        self.answers[path] = list(answers)

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = self.path.split("?")[0]
                stand_in.seen.append((self.path, self.headers.get("Ocp-Apim-Subscription-Key")))
                queue = stand_in.answers.get(path) or [(404, {}, b"not here", 0.0)]
                status, headers, body, delay = queue.pop(0) if len(queue) > 1 else queue[0]
                time.sleep(delay)
                try:
                    self.send_response(status)
                    for k, v in {"Content-Length": str(len(body)), **headers}.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[StandIn]:
    stand_in = StandIn()
    yield stand_in
    stand_in.close()


def ok(payload: dict | bytes) -> tuple[int, dict[str, str], bytes, float]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return (200, {"Content-Type": "application/json"}, body, 0.0)


def shared(level: str) -> dict:
    path = DTM_SAMPLES / f"dtm_api_v3_{level}_HTI.json"
    if not path.is_file():
        pytest.skip(f"shared DTM sample {path} not present (it lives outside the repo)")
    return json.loads(path.read_text(encoding="utf-8"))


def with_round_12(level: str) -> dict:
    """The shared sample plus the synthetic round 12: a DTM API that published a new round."""
    payload = shared(level)
    extra = json.loads((SYNTHETIC / f"r12_synthetic_{level}.json").read_text())["result"]
    payload["result"] = payload["result"] + extra
    payload["totalRecordsCount"] = len(payload["result"])
    return payload


def serve(api: StandIn, admin0: dict | bytes, admin1: dict | bytes) -> None:
    api.set("/v3/displacement/admin0", ok(admin0))
    api.set("/v3/displacement/admin1", ok(admin1))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def update(project: Path, api: StandIn, monkeypatch, day: dt.date = TODAY, **env: str) -> str:
    monkeypatch.setenv("DTM_API_URL", f"{api.url}/v3")
    monkeypatch.setenv("DTM_API_KEY", KEY)
    monkeypatch.delenv("SOURCE", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return cli.run(project, os.environ.get("SOURCE", "api") or "api", day)


def raw_state(project: Path) -> dict[str, str]:
    return tree_hashes(project / "data" / "raw")


def newest(project: Path):
    return newest_published(load_sources(project / "data" / "raw"))


def national(project: Path) -> pl.DataFrame:
    raw = displacement.load_raw(project / "data" / "raw")
    log = displacement.CleaningLog("test")
    return displacement.build_tables(raw, newest(project), (), log).national


# --- fetch, provenance, idempotence -------------------------------------------------------------


def test_fetch_keeps_each_response_as_received_with_its_source_row(project, api, monkeypatch):
    admin0, admin1 = shared("admin0"), shared("admin1")
    serve(api, admin0, admin1)
    before = national(project)
    text = update(project, api, monkeypatch)
    folder = project / "data" / "raw" / "displacement" / "dtm"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "dtm-api-v3-admin0-hti-2026-12-01.json",
        "dtm-api-v3-admin1-hti-2026-12-01.json",
    ]
    assert json.loads((folder / names[0]).read_bytes()) == admin0  # as received
    assert all(key == KEY for _, key in api.seen)  # the key travels as the header
    sources = load_sources(project / "data" / "raw")
    row = sources.filter(pl.col("source_id") == "dtm-api-v3-admin0-hti-2026-12-01").row(
        0, named=True
    )
    assert row["url"] == f"{api.url}/v3/displacement/admin0?Admin0Pcode=HTI"
    assert KEY not in (project / "data" / "raw" / "sources.csv").read_text()
    assert row["published"] == "2026-12-01" and row["kind"] == "dataset"
    assert "Added to data/raw: dtm-api-v3-admin0-hti-2026-12-01.json" in text
    # the shared samples hold no round the fact base lacks: the national series is unchanged
    cols = ["round", "value", "figure_id", "source_id"]
    assert national(project).select(cols).equals(before.select(cols))


def test_fetching_the_same_data_again_adds_and_changes_nothing(project, api, monkeypatch):
    serve(api, with_round_12("admin0"), with_round_12("admin1"))
    update(project, api, monkeypatch)
    state = raw_state(project)
    text = update(project, api, monkeypatch)
    assert raw_state(project) == state
    assert text.startswith("No new IOM data")
    # the same records in another order and layout, on a later day: still nothing new
    shuffled = with_round_12("admin0")
    shuffled["result"] = list(reversed(shuffled["result"]))
    serve(api, json.dumps(shuffled, indent=4).encode(), with_round_12("admin1"))
    update(project, api, monkeypatch, day=TODAY + dt.timedelta(days=7))
    assert raw_state(project) == state


def test_new_round_becomes_the_newest_iom_count(project, api, monkeypatch):
    serve(api, with_round_12("admin0"), with_round_12("admin1"))
    text = update(project, api, monkeypatch)
    out = project / "out"
    tables, _ = displacement.run("2026-12-01", project / "data" / "raw", out)
    newest = displacement.newest_national(tables.national)
    assert (newest["round"], newest["idps"]) == ("R12", 1_234_567)
    # counted from the day it was retrieved (IOM published it by then), credited to its source
    assert newest["published"] == "2026-12-01"
    assert newest["source_id"] == "dtm-api-v3-admin0-hti-2026-12-01"
    assert newest["basis"] == "DTM file dtm-api-v3-admin0-hti-2026-12-01.json"
    r12 = tables.departments.filter(pl.col("round") == "R12")
    assert r12.height == 10 and r12["idps"].sum() == 1_234_567
    assert (
        "New IOM round R12 (counted to 31 October 2026, known from 1 December 2026): "
        "1,234,567 internally displaced people" in text
    )
    assert "it is now the newest IOM count" in text
    assert "New department figures for R12: 10 of Haiti's 10 departments" in text
    # an edition as of the day before the retrieval does not know the round
    early, _ = displacement.run("2026-11-30", project / "data" / "raw", project / "early")
    assert "R12" not in set(early.national["round"])


def test_changed_figure_goes_to_the_log_and_the_summary_not_the_series(project, api, monkeypatch):
    admin0 = shared("admin0")
    changed = copy.deepcopy(admin0)
    r10 = [r for r in changed["result"] if r["roundNumber"] == 10 and r["assessmentType"] == "BA"]
    r10[0]["numPresentIdpInd"] += 1_000  # IOM revised round 10 by 1,000
    serve(api, changed, shared("admin1"))
    text = update(project, api, monkeypatch)
    series = national(project).filter(pl.col("round") == "R10")
    assert series["value"].item() == 1_287_593  # the dated fact-base figure keeps its place
    assert "A DTM file differs from the figure used" in text
    assert "says 1,288,593" in text and "1,287,593" in text


def test_a_changed_figure_for_a_round_from_an_earlier_fetch(project, api, monkeypatch):
    serve(api, with_round_12("admin0"), with_round_12("admin1"))
    update(project, api, monkeypatch)
    revised = with_round_12("admin0")
    revised["result"][-1]["numPresentIdpInd"] += 10  # R12: 1,234,577 a week later
    serve(api, revised, with_round_12("admin1"))
    text = update(project, api, monkeypatch, day=TODAY + dt.timedelta(days=7))
    assert "dtm-api-v3-admin0-hti-2026-12-08.json" in text
    assert "conflict" not in text.lower() or "1,234,577" in text
    r12 = national(project).filter(pl.col("round") == "R12")
    assert r12["value"].item() == 1_234_567  # first published wins; the revision is logged
    assert "1,234,577" in text


# --- failures leave data/raw as it was ---------------------------------------------------------


def fails(project: Path, api: StandIn, monkeypatch, **env: str) -> str:
    state = raw_state(project)
    with pytest.raises(UpdateError) as info:
        update(project, api, monkeypatch, **env)
    assert raw_state(project) == state
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_key_fails_with_one_line_naming_it(project, api, monkeypatch, capsys):
    monkeypatch.delenv("DTM_API_KEY", raising=False)
    monkeypatch.setenv("DTM_API_URL", f"{api.url}/v3")
    state = raw_state(project)
    assert cli.main(["--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DTM_API_KEY" in err and "Traceback" not in err
    assert raw_state(project) == state and api.seen == []


def test_refused_key_names_dtm_api_key(project, api, monkeypatch):
    api.set("/v3/displacement/admin0", (401, {}, b'{"statusCode": 401}', 0.0))
    assert "refused DTM_API_KEY (HTTP 401)" in fails(project, api, monkeypatch)
    api.set("/v3/displacement/admin0", (403, {}, b"", 0.0))
    assert "refused DTM_API_KEY (HTTP 403)" in fails(project, api, monkeypatch)


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        (b'{"result": [', "not valid JSON"),
        (
            json.dumps({"result": [], "isSuccess": True, "totalRecordsCount": 0}).encode(),
            "no records",
        ),
        (b"<html>maintenance</html>", "not a DTM file"),
    ],
)
def test_unusable_answers_change_nothing(project, api, monkeypatch, body, expect):
    serve(api, body, shared("admin1"))
    message = fails(project, api, monkeypatch)
    assert "admin0" in message and expect in message and "nothing was changed" in message


def test_response_for_another_country_is_refused(project, api, monkeypatch):
    other = shared("admin0")
    for rec in other["result"]:
        rec["admin0Pcode"] = "DOM"
    serve(api, other, shared("admin1"))
    assert "not Haiti's" in fails(project, api, monkeypatch)


def test_one_bad_level_writes_nothing_for_the_other(project, api, monkeypatch):
    serve(api, with_round_12("admin0"), b"{broken")
    assert "admin1" in fails(project, api, monkeypatch)


def test_429_then_200_honours_retry_after(api):
    payload = shared("admin0")
    api.set("/v3/displacement/admin0", (429, {"Retry-After": "1"}, b"slow down", 0.0), ok(payload))
    api.set("/v3/displacement/admin1", ok(shared("admin1")))
    start = time.perf_counter()
    got = fetch_api(f"{api.url}/v3", KEY, TODAY, RetryPolicy(retries=2, backoff=0.05, max_wait=5))
    assert 1.0 <= time.perf_counter() - start < 4
    assert json.loads(got[0].body) == payload
    assert [p for p, _ in api.seen].count("/v3/displacement/admin0?Admin0Pcode=HTI") == 2


def test_retry_after_is_bounded(api):
    api.set(
        "/v3/displacement/admin0", (429, {"Retry-After": "3600"}, b"", 0.0), ok(shared("admin0"))
    )
    api.set("/v3/displacement/admin1", ok(shared("admin1")))
    start = time.perf_counter()
    fetch_api(f"{api.url}/v3", KEY, TODAY, FAST)
    assert time.perf_counter() - start < 3  # waited 0.5 s, not an hour


def test_429_every_time_gives_up(api):
    api.set("/v3/displacement/admin0", (429, {"Retry-After": "0"}, b"", 0.0))
    with pytest.raises(UpdateError, match=r"limiting requests \(HTTP 429\) after 3 tries"):
        fetch_api(f"{api.url}/v3", KEY, TODAY, FAST)
    assert len(api.seen) == 3


def test_server_error_is_retried_then_reported(project, api, monkeypatch):
    api.set("/v3/displacement/admin0", (500, {}, b"oops", 0.0))
    with pytest.raises(UpdateError, match=r"HTTP 500 .* after 3 tries"):
        fetch_api(f"{api.url}/v3", KEY, TODAY, FAST)
    assert len(api.seen) == 3


def test_500_then_200_recovers(api):
    api.set(
        "/v3/displacement/admin0", (500, {}, b"", 0.0), (502, {}, b"", 0.0), ok(shared("admin0"))
    )
    api.set("/v3/displacement/admin1", ok(shared("admin1")))
    assert len(fetch_api(f"{api.url}/v3", KEY, TODAY, FAST)) == 2


def test_timeout_is_reported_in_one_line(api):
    api.set("/v3/displacement/admin0", (200, {}, b"{}", 1.5))
    policy = RetryPolicy(retries=1, backoff=0.05, max_wait=0.2, read_timeout=0.3)
    start = time.perf_counter()
    with pytest.raises(UpdateError, match=r"no answer from .* within 0.3 s, 2 tries"):
        fetch_api(f"{api.url}/v3", KEY, TODAY, policy)
    assert time.perf_counter() - start < 3


def test_unreachable_api_names_dtm_api_url():
    with pytest.raises(UpdateError, match="check DTM_API_URL"):
        fetch_api("http://127.0.0.1:9/v3", KEY, TODAY, FAST)


def test_interrupted_commit_leaves_data_raw_as_it_was(project, api, monkeypatch):
    serve(api, with_round_12("admin0"), with_round_12("admin1"))
    state = raw_state(project)
    real_replace = os.replace
    calls = []

    def dying_replace(src, dst):
        calls.append(dst)
        if len(calls) == 1:
            raise KeyboardInterrupt  # killed before the first rename landed
        return real_replace(src, dst)

    monkeypatch.setattr(store.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        update(project, api, monkeypatch)
    assert raw_state(project) == state  # no temporary file left behind either
    leftovers = list((project / "data" / "raw").rglob(".*.tmp"))
    assert leftovers == []


def test_leftovers_of_a_killed_update_are_removed_and_never_read(project, api, monkeypatch):
    folder = project / "data" / "raw" / "displacement" / "dtm"
    folder.mkdir(parents=True)
    (folder / ".dtm-api-v3-admin0-hti-2026-12-01.json.x1.tmp").write_text("{half")
    raw = displacement.load_raw(project / "data" / "raw")
    assert raw.dtm_inputs == ()  # a build skips it
    serve(api, shared("admin0"), shared("admin1"))
    update(project, api, monkeypatch)
    assert not list(folder.glob(".*"))


# --- the registry row and the folder's checks ------------------------------------------


def test_source_row_fills_only_the_columns_the_registry_has(tmp_path):
    fetched = store.Fetched(
        "dtm-api-v3",
        "admin0",
        "https://x/v3/displacement/admin0?Admin0Pcode=HTI",
        b'{"result": []}',
        TODAY,
        "terms",
    )
    row = store.source_row(fetched, Path("dtm-api-v3-admin0-hti-2026-12-01.json"))
    today_header = "source_id,outlet,title,url,published,kind,language,via\n"
    registry = tmp_path / "sources.csv"
    registry.write_text(today_header + "a,b,,https://a,2024-01-01,un,en,\n")
    data, missing = store.registry_with_rows(registry, [row])
    assert missing == ["accessed", "sha256", "licence", "credit"]
    assert (
        data.decode().splitlines()[-1].startswith("dtm-api-v3-admin0-hti-2026-12-01,IOM DTM API,")
    )
    wider = (
        "source_id,outlet,title,url,published,published_basis,replaced_url,kind,language,via,"
        "accessed,sha256,licence,credit\n"
    )
    registry.write_text(wider)
    data, missing = store.registry_with_rows(registry, [row])
    assert missing == []
    import csv
    import io

    written = list(csv.DictReader(io.StringIO(data.decode())))[-1]
    assert written["accessed"] == "2026-12-01" and written["replaced_url"] == ""
    assert written["sha256"] == row["sha256"] and len(written["sha256"]) == 64
    assert written["credit"] == summary.CREDIT and written["licence"] == "terms"
    assert written["published_basis"] == store.PUBLISHED_BASIS


def test_a_file_in_the_folder_without_its_source_row_stops_the_build(project):
    folder = project / "data" / "raw" / "displacement" / "dtm"
    folder.mkdir(parents=True)
    stray = folder / "stray.json"
    shutil.copy(FIXTURES / "api_admin0_small.json", stray)
    raw = displacement.load_raw(project / "data" / "raw")
    log = displacement.CleaningLog("test")
    with pytest.raises(InputError, match="no row in sources.csv with source_id 'stray'"):
        displacement.build_tables(raw, newest(project), (), log)
    # passed explicitly with DTM_FILES, it is read once, as any other given file
    tables = displacement.build_tables(raw, newest(project), [stray], log)
    assert not tables.national.is_empty()


def test_a_file_changed_after_it_was_fetched_stops_the_build(tmp_path):
    folder = tmp_path / "raw" / "displacement" / "dtm"
    folder.mkdir(parents=True)
    path = folder / "dtm-api-v3-admin0-hti-2026-12-01.json"
    path.write_bytes(b'{"result": []}')
    sources = pl.DataFrame(
        {
            "source_id": [path.stem],
            "accessed": ["2026-12-01"],
            "sha256": ["0" * 64],
            "published_last": [TODAY],
        }
    )
    (bad,) = dtm_files.folder_inputs(tmp_path / "raw", sources)
    with pytest.raises(InputError, match="sha256 differs"):
        dtm_files.build_inputs([bad], ())
    right = dtm_files.sha256_of(path)
    (got,) = dtm_files.folder_inputs(tmp_path / "raw", sources.with_columns(sha256=pl.lit(right)))
    assert (got.source_id, got.retrieved) == (path.stem, TODAY)


# --- the summary, reusable by the report's "What changed" -----------------------------------------


def test_summary_between_two_builds(tmp_path):
    def build(name: str, rounds: dict[str, int]) -> Path:
        folder = tmp_path / name / "data" / "displacement"
        folder.mkdir(parents=True)
        pl.DataFrame(
            {
                "round": list(rounds),
                "idps": list(rounds.values()),
                "idps_as_written": [f"{v:,}" for v in rounds.values()],
                "reference_period_end": ["2025-06-30"] * len(rounds),
                "published": ["2025-07-01"] * len(rounds),
                "basis": ["fact base: most precise figure known"] * len(rounds),
            }
        ).write_csv(folder / "idps_national.csv")
        return tmp_path / name

    old = build("old", {"R9": 1_041_229, "R10": 1_287_593})
    new = build("new", {"R9": 1_041_229, "R10": 1_290_000, "R11": 1_412_199})
    lines = summary.summarise_builds(old, new)
    assert lines[0].startswith("Round R10 changed: 1,287,593 -> 1,290,000")
    assert lines[1].startswith("New IOM round R11 (counted to 30 June 2025")
    assert summary.summarise_builds(new, new) == []
    assert summary.summarise_builds(None, new)[0].startswith("New IOM round R9")


# --- the keyless route: HDX through hdx-python-api ---------------------------------------------


def test_hdx_route_keeps_haitis_rows_with_the_dataset_licence(project, api, monkeypatch):
    pytest.importorskip("hdx.api.configuration")
    from haiti_report.update import hdx

    resource_url = f"{api.url}/dataset/x/resource/y/download/{hdx.RESOURCE}"
    package = {
        "success": True,
        "result": {
            "id": "32d0365c-d513-4721-8d66-1b19b12c4b08",
            "name": hdx.DATASET,
            "license_title": "Other",
            "license_other": "IOM terms (test stand-in)",
            "resources": [{"id": "r1", "name": hdx.RESOURCE, "format": "CSV", "url": resource_url}],
        },
    }
    api.set("/api/action/package_show", ok(package))
    api.set(
        f"/dataset/x/resource/y/download/{hdx.RESOURCE}",
        (200, {"Content-Type": "text/csv"}, (FIXTURES / "hdx_global_small.csv").read_bytes(), 0.0),
    )
    monkeypatch.setenv("HDX_URL", api.url)
    text = update(project, api, monkeypatch, SOURCE="hdx")
    (path,) = (project / "data" / "raw" / "displacement" / "dtm").iterdir()
    assert path.name == "hdx-admin0-2-hti-2026-12-01.csv" and path.name in text
    lines = path.read_text().splitlines()
    assert lines[1].startswith("#") and all(",HTI," in line for line in lines[2:])
    assert "COD" not in path.read_text()
    row = load_sources(project / "data" / "raw").filter(pl.col("source_id") == path.stem)
    assert row["url"].item() == resource_url
    assert update(project, api, monkeypatch, SOURCE="hdx").startswith("No new IOM data")


# --- acceptance: make update then make report on a fresh copy; both again change nothing


def fresh_copy(tmp_path: Path) -> Path:
    root = copy_project(tmp_path / "fresh")
    for name in ("Makefile", "pyproject.toml", "uv.lock"):
        shutil.copy2(ROOT / name, root / name)
    for name in (".venv", ".tools"):
        (root / name).symlink_to(ROOT / name)
    return root


@pytest.mark.slow
def test_make_update_then_make_report_tell_the_new_round(tmp_path, api):
    with_round_12("admin0")  # skips without the shared samples
    serve(api, with_round_12("admin0"), with_round_12("admin1"))
    root = fresh_copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("DTM_API_KEY", "SOURCE", "MAKEFLAGS")}

    def make(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["make", "-s", *args],
            cwd=root,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=900,
        )

    no_key = make("update", f"DTM_API_URL={api.url}/v3")
    assert no_key.returncode != 0 and "DTM_API_KEY" in no_key.stderr.splitlines()[0]
    first = make("update", f"DTM_API_URL={api.url}/v3", f"DTM_API_KEY={KEY}")
    assert first.returncode == 0, first.stderr
    assert "New IOM round R12" in first.stdout
    report = make("report")
    assert report.returncode == 0, report.stderr
    facts = json.loads((root / "reports" / "latest" / "facts.json").read_text())
    assert facts["displacement"]["round"] == "R12" and facts["displacement"]["idps"] == 1_234_567
    state = tree_hashes(root / "data" / "raw"), tree_hashes(root / "reports" / "latest")
    again = make("update", f"DTM_API_URL={api.url}/v3", f"DTM_API_KEY={KEY}")
    assert again.returncode == 0 and again.stdout.startswith("No new IOM data")
    assert make("report").returncode == 0
    assert (tree_hashes(root / "data" / "raw"), tree_hashes(root / "reports" / "latest")) == state


# --- the scheduled workflow ---------------------------------------------------------------------


def test_update_workflow_is_weekly_uses_the_secret_and_opens_a_pull_request():
    from test_workflows import PINNED, check_jsonschema, load_yaml, steps_of, triggers

    path = ROOT / ".github" / "workflows" / "update.yml"
    workflow = load_yaml(path)
    assert check_jsonschema(path).returncode == 0
    (entry,) = triggers(workflow)["schedule"]
    minute, hour, day, month, weekday = entry["cron"].split()
    assert day == month == "*" and weekday.isdigit() and minute.isdigit() and hour.isdigit()
    steps = [step for _, step in steps_of(workflow)]
    assert all(PINNED.match(s["uses"]) for s in steps if "uses" in s)
    fetch = next(s for s in steps if "make update" in str(s.get("run", "")))
    assert fetch["env"]["DTM_API_KEY"] == "${{ secrets.DTM_API_KEY }}"
    assert "DTM_API_KEY" not in fetch["run"]  # never pasted into the command line
    pull = next(
        s for s in steps if s.get("uses", "").startswith("peter-evans/create-pull-request@")
    )
    assert pull["with"]["body-path"] == fetch["env"]["UPDATE_SUMMARY_FILE"]
    assert "data/raw/displacement/dtm/*" in pull["with"]["add-paths"]
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
