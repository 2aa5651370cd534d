"""Every case of the bad-input corpus at its level (see tests/bad_inputs.py); the one top-level
handler's line for failures the corpus cannot cause cheaply; editions built at the same time;
hostile text in what the build writes and prints."""

from __future__ import annotations

import datetime as dt
import errno
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest
from bad_inputs import BUILD, CASES, CLI, MAKE, ROOT, Case, _cell, documented, normalise, run_case
from conftest import copy_project, tree_hashes

from haiti_report.build import cli
from haiti_report.build.publish import BUILDS_DIR, claim_build, collect_garbage, lock
from haiti_report.core.errors import InputError


@pytest.fixture(scope="module")
def baseline(built: Path) -> Path:
    """A project copy with a published build (the session's), copied by every full-build case."""
    return built


def _param(case: Case):
    slow = case.stage == BUILD or case.builds
    return pytest.param(case, id=case.name, marks=[pytest.mark.slow] if slow else [])


def test_corpus_is_large_and_covers_every_raw_file():
    assert len(CASES) >= 80
    touched = {c.file for c in CASES}
    raw = {str(p.relative_to(ROOT)) for p in (ROOT / "data/raw").rglob("*.csv")}
    assert raw <= touched, f"raw files without a bad-input case: {raw - touched}"
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.stage for c in CASES} == {CLI, MAKE, BUILD}


def _check_one_plain_line(case: Case, code: int, message: str, stderr: str) -> None:
    assert code != 0, stderr
    assert "Traceback" not in stderr and "panicked" not in stderr, stderr
    # make's own trailer ("make: ***", or "make[1]: ***" when the tests run under make)
    lines = [
        ln for ln in stderr.strip().splitlines() if not re.match(r"make(\[\d+\])?: \*\*\*", ln)
    ]
    assert len(lines) == 1, stderr
    for fragment in case.expect:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    if case.located:
        assert re.search(r"line \d+|record \d+|row \d+|command line", message), message
    if case.exact:
        assert _cell(normalise(message)) == documented().get(case.name), (
            "the message differs from docs/bad-input-messages.md; regenerate it with "
            f"`python tests/bad_inputs.py` if the change is right:\n{normalise(message)}"
        )


@pytest.mark.parametrize("case", [_param(c) for c in CASES if not c.builds])
def test_bad_input_ends_in_one_plain_line(case, request, tmp_path):
    root = tmp_path / "project"
    if case.stage == BUILD:
        shutil.copytree(request.getfixturevalue("baseline"), root, symlinks=True)
    else:
        copy_project(root)
    before = tree_hashes(root / "reports/latest"), tree_hashes(root / "data/processed")
    outcome = run_case(case, root)
    if case.name.startswith("machine: Ctrl-C"):
        assert outcome.code == 130 and outcome.stderr == "interrupted\n", outcome.stderr
    _check_one_plain_line(case, outcome.code, outcome.message, outcome.stderr)
    if case.stage != BUILD:  # decided before any notebook ran
        assert ": running" not in outcome.stdout, f"a notebook ran: mark it BUILD\n{outcome}"
    assert (tree_hashes(root / "reports/latest"), tree_hashes(root / "data/processed")) == before
    assert not list((root / "reports" / BUILDS_DIR).glob("*.partial"))
    assert not list(root.rglob("pwned*")), "a shell command ran"


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in CASES if c.builds], ids=lambda c: c.name)
def test_files_as_people_save_them_build_correctly(case, baseline, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(baseline, root, symlinks=True)
    outcome = run_case(case, root)
    assert outcome.code == 0, outcome.stderr
    assert "Traceback" not in outcome.stderr
    manifest = json.loads((root / "reports/latest/manifest.json").read_text(encoding="utf-8"))
    if case.stage == MAKE:  # the path reached the build exactly as typed
        typed = case.change(tmp_path / "unused")[0].removeprefix("DTM_FILES=")
        assert manifest["parameters"]["dtm_files"] == [typed]
    else:  # the same data, read the same: the same headline numbers
        facts = json.loads((root / "reports/latest/facts.json").read_text(encoding="utf-8"))
        old = json.loads((baseline / "reports/latest/facts.json").read_text(encoding="utf-8"))
        assert facts == old
    assert documented().get(case.name) == "(builds correctly)"


def test_docs_table_lists_every_case():
    table = documented()
    missing = [c.name for c in CASES if c.name not in table]
    assert not missing, f"regenerate with: python tests/bad_inputs.py ({missing})"
    assert len(table) == len(CASES), "the docs list a case the corpus no longer has"


# --- the top-level handler: one line for anything ----------------------------------------------


def _fail_with(monkeypatch, exc: BaseException, phase: str = "running the notebooks"):
    def fake_run(args, root, log):
        log.phase = phase
        raise exc

    monkeypatch.setattr(cli, "_run", fake_run)


@pytest.mark.parametrize(
    ("exc", "phase", "code", "expected"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/p/reports/x.csv"), "publishing",
         1, "error: the disk is full (while publishing, writing reports/x.csv). Free some"),
        (subprocess.TimeoutExpired(["/usr/bin/chromium", "--headless"], 180),
         "rendering the report", 1, "error: chromium did not finish within 180 s (while"),
        (type("DeadKernelError", (RuntimeError,), {})("Kernel died"), "running the notebooks",
         1, "error: the notebook's Python kernel died (while running the notebooks)"),
        (MemoryError(), "running the notebooks", 1, "error: out of memory"),
        (PermissionError(errno.EACCES, "Permission denied", "/p/reports"), "publishing", 1,
         "error: Permission denied: reports (while publishing)"),
        (RuntimeError("Chromium could not print report.html to PDF:\ncrash"),
         "rendering the report", 1, "error: rendering failed: Chromium could not print"),
        (ValueError("boom\nsecond line"), "writing the data package and manifest", 1,
         "error: ValueError: boom (while writing the data package and manifest). This is a bug"),
        (InputError("f.csv", "bad \x1b[31mred", row=2), "checking the parameters", 2,
         "error: f.csv, line 2: bad \\x1b[31mred"),
    ],
)  # fmt: skip
def test_every_failure_is_one_line(monkeypatch, capsys, exc, phase, code, expected):
    monkeypatch.delenv(cli.ENV_DEBUG, raising=False)
    _fail_with(monkeypatch, exc, phase)
    assert cli.main(["--root", "/p"]) == code
    err = capsys.readouterr().err
    assert err.startswith(expected) and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_ctrl_c_says_interrupted_and_nothing_else(monkeypatch, capsys):
    _fail_with(monkeypatch, KeyboardInterrupt())
    assert cli.main(["--root", "/p"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setenv(cli.ENV_DEBUG, "1")
    _fail_with(monkeypatch, ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        cli.main(["--root", "/p"])


def test_make_parameters_reach_the_build_through_the_environment(monkeypatch, tmp_path):
    seen = {}

    def fake_load_params(root, **kw):
        seen.update(kw)
        raise InputError("x", "stop")

    monkeypatch.setattr(cli, "load_params", fake_load_params)
    (tmp_path / "my file.json").write_text("{}")
    monkeypatch.setenv(cli.ENV_AS_OF, "2024-09-21;touch pwned")
    monkeypatch.setenv(cli.ENV_DTM_FILES, "my file.json")
    assert cli.main(["--root", str(tmp_path)]) == 2
    assert seen == {"as_of": "2024-09-21;touch pwned", "dtm_files": ["my file.json"]}
    cli.main(["--root", str(tmp_path), "--as-of", "2025-01-01"])  # an option wins
    assert seen["as_of"] == "2025-01-01"


# --- editions for different dates at the same time ---------------------------------------------


def test_clean_up_removes_only_what_no_running_build_owns(tmp_path):
    reports = tmp_path / "reports"
    builds = reports / BUILDS_DIR
    (builds / "latest-1-1").mkdir(parents=True)
    (reports / "latest").symlink_to(Path(BUILDS_DIR) / "latest-1-1")  # published
    (builds / "old-1-2").mkdir()  # replaced long ago
    (builds / "killed-1-3.partial").mkdir()  # a build that died
    (builds / "killed-1-3.lock").touch()
    (reports / ".gone.link-99").symlink_to("x")  # a dead build's temporary link
    with lock(tmp_path, "2024-09-21"), claim_build(tmp_path, "2024-09-21-1-4"):
        (builds / "2024-09-21-1-4.partial").mkdir()  # another edition, running
        (reports / ".2024-09-21.link-7").symlink_to("x")  # ... and publishing
        collect_garbage(tmp_path, "latest")
        left = sorted(p.name for p in builds.iterdir())
        assert left == ["2024-09-21-1-4.lock", "2024-09-21-1-4.partial", "latest-1-1"]
        assert (reports / ".2024-09-21.link-7").is_symlink()
        assert not (reports / ".gone.link-99").is_symlink()
    collect_garbage(tmp_path, "latest")  # that build is over (it died): now it goes
    assert sorted(p.name for p in builds.iterdir()) == ["latest-1-1"]


def test_claiming_a_build_survives_a_clean_up_in_between(tmp_path):
    """The lock file is taken before the folder exists; clean-up racing the claim can delete
    an unheld lock file, so the claim checks it still holds the file at the path."""
    stop = threading.Event()

    def clean() -> None:
        while not stop.is_set():
            collect_garbage(tmp_path)

    cleaner = threading.Thread(target=clean, daemon=True)
    (tmp_path / "reports" / BUILDS_DIR).mkdir(parents=True)
    cleaner.start()
    try:
        for i in range(200):
            with claim_build(tmp_path, f"b-{i}"):
                folder = tmp_path / "reports" / BUILDS_DIR / f"b-{i}.partial"
                folder.mkdir()
                (folder / "work").write_text("x")
                for _ in range(3):
                    collect_garbage(tmp_path)
                assert (folder / "work").exists(), f"clean-up deleted running build {i}"
    finally:
        stop.set()
        cleaner.join()


@pytest.mark.slow
def test_two_editions_build_at_the_same_time(tmp_path):
    root = copy_project(tmp_path / "project")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "haiti_report.build", "--root", str(root), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in ([], ["--as-of", "2024-09-21"])
    ]
    results = [p.communicate(timeout=900) for p in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
    for label in ("latest", "2024-09-21"):
        assert (root / "reports" / label / "report.html").exists()
        assert (root / "reports" / label / "manifest.json").exists()
    assert len(list((root / "reports" / BUILDS_DIR).iterdir())) == 2


# --- hostile text in what the build writes and prints ------------------------------------------


def test_published_csvs_never_carry_a_formula(tmp_path):
    from haiti_report.clean.tables import write_csv

    safe = pl.DataFrame({"a": ["-24", "+5%", "Haiti", None], "n": [-1, 2, 3, 4]})
    write_csv(safe, tmp_path / "ok.csv")
    with pytest.raises(InputError, match=r"ok\.csv, line 3, column 'admin': a text cell"):
        write_csv(pl.DataFrame({"admin": ["Ouest", "=cmd|' /C calc'!A0"]}), tmp_path / "ok.csv")
    assert (tmp_path / "ok.csv").read_text().startswith("a,n\n-24,-1")  # the old file stands


def test_the_changes_summary_prints_escapes_instead_of_obeying_them():
    from haiti_report.build.changes_text import format_changes

    result = {
        "first_build": False,
        "as_of": {"old": "2024-09-21", "new": "2024-09-21"},
        "facts": {"changed": [], "removed": [], "added": [{"path": "x\x1b[2J", "new": "\u202e1"}]},
        "tables": {},
        "quarantined": {},
        "sources": {"added": ["evil\x1b]0;title\x07\nsecond"], "removed": []},
    }
    text = format_changes(result)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "\\x1b[2J" in text and "evil\\x1b]0;title\\x07\\nsecond" in text
    assert len(text.splitlines()) == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$5 or $6", "\\$5 or \\$6"),  # Pandoc math
        ("x^2^", "x\\^2\\^"),  # superscript
        ("@smith2024 says", "\\@smith2024 says"),  # citation / Typst label
        ("[@a; @b]", "\\[\\@a; \\@b\\]"),
        ("`x`{=typst}", "\\`x\\`\\{\\=typst\\}"),  # raw Typst
        ("H~2~O", "H\\~2\\~O"),  # subscript
        ("a\x00b\u202ec", "a\ufffdb\ufffdc"),
        ("<script>", "&lt;script&gt;"),
    ],
)
def test_markdown_escaping_is_complete_for_pandoc_and_typst(text, expected):
    from haiti_report.report.prose import escape_md

    assert escape_md(text) == expected


def test_source_date_epoch_is_the_as_of_day():
    from haiti_report.build.reproducible import source_date_epoch

    assert source_date_epoch("2024-09-21") == 1726876800
    assert dt.datetime.fromtimestamp(1726876800, dt.UTC).date() == dt.date(2024, 9, 21)


def test_pdf_dates_are_pinned_in_place(tmp_path):
    from haiti_report.build.reproducible import pin_pdf_dates

    body = (
        b"%PDF-1.4\n1 0 obj\n<</CreationDate (D:20261201211855+00'00')\n"
        b"/ModDate (D:20261201211855+00'00')>>\n"
    )
    local = b"<</CreationDate (D:20261201211855+02'00')>>\n"
    (tmp_path / "a.pdf").write_bytes(body + local)
    assert pin_pdf_dates(tmp_path / "a.pdf", 1726876800) == 2
    pinned = (tmp_path / "a.pdf").read_bytes()
    assert pinned.count(b"D:20240921000000+00'00'") == 2 and len(pinned) == len(body + local)
    assert local in pinned  # a local time is left alone, never shifted


def test_make_passes_no_parameter_through_a_shell():
    made = subprocess.run(
        ["make", "-n", "report", "diff", "AS_OF=x;touch pwned", "OLD=a\";touch pwned;\"",
         "DTM_FILES=$(shell touch pwned)", f"VENV={ROOT / '.venv'}", f"TOOLS={ROOT / '.tools'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "pwned" not in made.stdout and "touch" not in made.stdout, made.stdout
    assert not list(ROOT.glob("pwned*"))
