"""The build driver, end to end, on a copy of the project (real notebooks, real papermill)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, copy_project, run_build, tree_hashes

from haiti_report.build.steps import EDITIONS, STEPS

pytestmark = pytest.mark.slow
STEP_NAMES = [s.name for s in STEPS]


def statuses(root: Path, label: str = "latest") -> dict[str, str]:
    manifest = json.loads((root / "reports" / label / "manifest.json").read_text())
    return {s["name"]: s["status"] for s in manifest["steps"]}


def test_build_folder_has_everything(built):
    out = built / "reports" / "latest"
    assert out.is_symlink(), "reports/latest is switched atomically as a link"
    for name in ("report.html", "facts.json", "manifest.json", "figures", "notebooks", "data"):
        assert (out / name).exists(), name
    for step in STEPS:
        executed = out / "notebooks" / Path(step.notebook).name
        nb = json.loads(executed.read_text())
        assert nb["metadata"]["papermill"]["exception"] is None
        assert any(c["outputs"] for c in nb["cells"] if c["cell_type"] == "code")
    # data/processed is the processed tables of the latest build
    assert (built / "data" / "processed").resolve() == (out / "data").resolve()


def test_pdf_is_made_when_chromium_is_present(built):
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed: the build skips the PDF (by design)")
    pdf = built / "reports/latest/report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_manifest_records_the_run(built):
    manifest = json.loads((built / "reports/latest/manifest.json").read_text())
    assert manifest["label"] == "latest"
    assert manifest["parameters"]["as_of"] >= "2024-01-01"
    assert manifest["renderer"] in {"nbconvert", "quarto"}
    assert [s["name"] for s in manifest["steps"]] == STEP_NAMES
    assert all(s["status"] == "ran" and s["duration_s"] > 0 for s in manifest["steps"])
    raw = {p.relative_to(built).as_posix() for p in (built / "data/raw").rglob("*.csv")}
    assert raw <= set(manifest["inputs"]), "every raw file is hashed in the manifest"
    assert all(len(h) == 64 for h in manifest["inputs"].values())
    assert {"polars", "altair", "papermill", "python"} <= set(manifest["package_versions"])


def test_facts_json_is_valid_against_the_schema(built):
    schema = json.loads((ROOT / "src/haiti_report/core/facts.schema.json").read_text())
    facts = json.loads((built / "reports/latest/facts.json").read_text())
    jsonschema.validate(facts, schema, format_checker=jsonschema.FormatChecker())


def test_second_build_reexecutes_nothing(built):
    before = tree_hashes(built / "reports/latest")
    proc = run_build(built)
    assert "nothing changed" in proc.stdout
    assert proc.stdout.count("unchanged, reused") == len(STEPS) + len(EDITIONS)  # + renders
    assert tree_hashes(built / "reports/latest") == before


def test_changing_one_raw_file_reruns_only_its_readers(project):
    run_build(project)
    target = project / "data/raw/displacement/context.csv"
    target.write_text(target.read_text() + "\n")  # a byte changes, the content does not
    proc = run_build(project)
    readers = {
        s.name
        for s in STEPS
        if any(target.match(p) or target.relative_to(project).match(p) for p in s.inputs)
    }
    assert readers == {"clean_displacement", "check_claims"}  # the claims check re-cleans
    got = statuses(project)
    assert got["clean_displacement"] == "ran" and got["check_claims"] == "ran"
    assert got["clean_mss"] == "reused"
    assert "clean_mss: unchanged, reused" in proc.stdout


def test_force_reruns_everything(built):
    proc = run_build(built, "--force")
    assert set(statuses(built).values()) == {"ran"}
    assert "running" in proc.stdout


def test_as_of_build_goes_to_its_own_folder(built):
    run_build(built, "--as-of", "2024-09-21")
    out = built / "reports" / "2024-09-21"
    assert json.loads((out / "manifest.json").read_text())["parameters"]["as_of"] == "2024-09-21"
    facts = json.loads((out / "facts.json").read_text())
    assert facts["as_of"] == "2024-09-21"
    assert (built / "data/processed").resolve() == (built / "reports/latest/data").resolve()


def test_failed_notebook_names_notebook_and_cell_and_keeps_outputs(project):
    run_build(project)
    before = tree_hashes(project / "reports/latest")
    processed_before = tree_hashes(project / "data/processed")
    # A mistake only the cleaning notebook can see (a broken file or date is refused before
    # any notebook runs): a negative count.
    figures = project / "data/raw/mss/figures.csv"
    text = figures.read_text()
    assert ",24,people," in text
    figures.write_text(text.replace(",24,people,", ",-24,people,", 1))
    proc = run_build(project, check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "[while running 10_clean_mss.ipynb, cell" in proc.stderr
    assert "figures.csv" in proc.stderr
    assert tree_hashes(project / "reports/latest") == before
    assert tree_hashes(project / "data/processed") == processed_before
    assert not list((project / "reports/.builds").glob("*.partial"))


def _kill_during(root: Path, trigger: str, sig: int, extra_delay: float) -> str:
    """Start a forced build, send `sig` when `trigger` appears in its output."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "haiti_report.build", "--root", str(root), "--force"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if trigger in line:
            time.sleep(extra_delay)
            proc.send_signal(sig)
            break
    proc.wait(timeout=120)
    return "".join(seen)


KILL_POINTS = [
    ("parameters:", signal.SIGKILL, 0.0),
    ("clean_mss: running", signal.SIGINT, 0.5),
    ("clean_mss: running", signal.SIGKILL, 1.5),
    ("clean_displacement: running", signal.SIGKILL, 0.1),
    ("clean_mss: done", signal.SIGINT, 0.0),
    ("report: running", signal.SIGINT, 1.0),
    ("report: running", signal.SIGKILL, 2.5),
    ("render: nbconvert", signal.SIGINT, 0.3),
    ("render: nbconvert", signal.SIGKILL, 1.5),
    ("manifest.json written", signal.SIGKILL, 0.0),
]


def test_interrupted_builds_leave_previous_or_complete_outputs(tmp_path):
    root = copy_project(tmp_path / "project")
    run_build(root)
    previous = tree_hashes(root / "reports/latest")
    processed = tree_hashes(root / "data/processed")
    for trigger, sig, delay in KILL_POINTS:
        log = _kill_during(root, trigger, sig, delay)
        now = tree_hashes(root / "reports/latest")
        if now != previous:  # a complete new set: published after the kill point
            assert "manifest.json" in now and "report.html" in now, log
            manifest = json.loads((root / "reports/latest/manifest.json").read_text())
            assert [s["name"] for s in manifest["steps"]] == STEP_NAMES
            previous, processed = now, tree_hashes(root / "data/processed")
        assert tree_hashes(root / "data/processed") == processed, f"{trigger}: processed mixed"
        raw_before = tree_hashes(ROOT / "data/raw")
        assert tree_hashes(root / "data/raw") == raw_before, "the build never writes data/raw"
    # and the next build succeeds and cleans up what the killed ones left behind
    run_build(root)
    leftovers = [p.name for p in (root / "reports/.builds").iterdir()]
    assert len(leftovers) == 1, leftovers


def test_two_builds_from_the_same_inputs_are_byte_identical(built):
    """Times live only in manifest.json: tables, facts, chart data and specs do not change."""

    def stable(root: Path) -> dict[str, str]:
        out = root / "reports/latest"
        hashes = {f"data/{k}": v for k, v in tree_hashes(out / "data").items()}
        hashes["facts.json"] = tree_hashes(out)["facts.json"]
        hashes.update(
            {
                f"figures/{k}": v
                for k, v in tree_hashes(out / "figures").items()
                if k.endswith((".csv", ".vl.json"))
            }
        )
        return hashes

    first = stable(built)
    assert any(k.endswith(".vl.json") for k in first) and any(k.startswith("data/") for k in first)
    run_build(built, "--force")
    assert stable(built) == first


def test_every_processed_row_traces_to_a_registered_source(built):
    import csv

    registry = {r["source_id"] for r in csv.DictReader((ROOT / "data/raw/sources.csv").open())}
    tables = [
        p
        for p in (built / "data/processed").rglob("*.csv")
        if not p.name.endswith(".quarantine.csv") and p.name != "cleaning_log.csv"
    ]
    assert len(tables) >= 8
    checked = 0
    for table in tables:
        rows = list(csv.DictReader(table.open(encoding="utf-8")))
        columns = [
            c
            for c in (rows[0] if rows else [])
            if c.endswith(("source_id", "source_ids")) and not c.startswith("later_")
        ]
        if table.name == "decisions.csv":
            continue  # decisions name figures, whose rows carry the sources
        assert columns, f"{table.name} has no source column"
        for row in rows:
            ids = {i.strip() for c in columns for i in (row[c] or "").split(";") if i.strip()}
            assert ids, f"{table.name}: a row without a source"
            assert ids <= registry, f"{table.name}: unknown {ids - registry}"
            checked += 1
    assert checked > 200


def test_datapackage_of_the_build_validates(built):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(built / "reports/latest/datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_notebooks_run_top_to_bottom_with_their_defaults(project):
    """What a reporter does in JupyterLab: open each notebook and run all cells, no parameters."""
    import nbformat
    from nbclient import NotebookClient

    from haiti_report.build.kernel import KERNEL_NAME

    for step in STEPS:
        path = project / step.notebook
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            kernel_name=KERNEL_NAME,
            timeout=600,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        errors = [
            o
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
            if o.get("output_type") == "error"
        ]
        assert errors == [], (step.name, errors[:1])
    out = project / "reports/notebook-run"
    assert (out / "facts.json").exists() and (out / "data/mss/pledged_vs_deployed.csv").exists()
    facts = json.loads((out / "facts.json").read_text())
    from haiti_report.build.params import newest_as_of

    assert facts["as_of"] == newest_as_of(project)


def test_a_changed_raw_figure_shows_in_what_changed(project):
    """Edit one figure, rebuild: the report's "What changed" section and the console say so."""
    run_build(project)
    before = json.loads((project / "reports/latest/facts.json").read_text())
    figures = project / "data/raw/mss/figures.csv"
    text = figures.read_text(encoding="utf-8")
    # The force's own count of 8 Dec 2025 is what the newest edition rests on.
    line = next(ln for ln in text.splitlines() if ln.startswith("SIZ-030,"))
    assert ",980,people," in line
    figures.write_text(
        text.replace(line, line.replace(",980,people,", ",981,people,")), encoding="utf-8"
    )
    proc = run_build(project)
    after = json.loads((project / "reports/latest/facts.json").read_text())
    assert after["personnel"]["deployed_total"] == before["personnel"]["deployed_total"] + 1
    assert "Changes since the previous build" in proc.stdout
    changes = json.loads((project / "reports/latest/changes.json").read_text())
    changed = {c["path"] for c in changes["facts"]["changed"]}
    assert "personnel.deployed_total" in changed
    html = (project / "reports/latest/report.html").read_text(encoding="utf-8")
    # The section between its heading and the next (the table of contents names both too).
    start = re.search(r"<h2[^>]*>\s*What changed since the last build", html)
    end = re.search(r"<h2[^>]*>\s*Methodology", html[start.end() :])
    section = html[start.end() :][: end.start()]
    assert "In Haiti: 980 → 981" in section  # the headline, in words
    assert "personnel.deployed_total" not in section  # no internal field paths for readers
