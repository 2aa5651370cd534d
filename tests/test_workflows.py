"""The CI workflows, the pre-commit hooks and the citation file, checked without the network.

Each workflow is validated against GitHub's workflow schema as check-jsonschema ships it
(vendored, so offline); the tests here add what the schema cannot know: every action pinned,
the commands run being real Makefile targets, the Pages permissions and the main-only deploy.
"""

from __future__ import annotations

import copy
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "report.yml"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"
CITATION = ROOT / "CITATION.cff"
MAKEFILE = ROOT / "Makefile"

PINNED = re.compile(
    r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$"
)
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
MAIN_ONLY = "github.ref == 'refs/heads/main'"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict) -> Any:
    """``on:`` is read as the boolean True by YAML 1.1 loaders such as PyYAML."""
    if "on" in workflow:
        return workflow["on"]
    return workflow.get(True)


def normalised(workflow: dict) -> dict:
    out = dict(workflow)
    if True in out:
        out["on"] = out.pop(True)
    return out


def makefile_targets() -> set[str]:
    text = MAKEFILE.read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", text, re.M)}


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*:?=\s*(\S+)", MAKEFILE.read_text(encoding="utf-8"), re.M)
    assert match, f"{name} is not set in the Makefile"
    return match.group(1)


def make_targets_run(run: str) -> list[str]:
    """Targets of every ``make ...`` command in a shell snippet (variables skipped)."""
    targets = []
    for line in run.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        command: list[str] = []
        for word in [*lexer, ";"]:
            if word in (";", "&&", "||", "|", "&"):
                if command[:1] == ["make"]:
                    targets += [w for w in command[1:] if "=" not in w and not w.startswith("-")]
                command = []
            else:
                command.append(word)
    return targets


def steps_of(workflow: dict) -> list[tuple[str, dict]]:
    return [
        (name, step)
        for name, job in workflow.get("jobs", {}).items()
        for step in job.get("steps", [])
    ]


@pytest.fixture(scope="module")
def workflow() -> dict:
    return load_yaml(WORKFLOW)


# --- The checker on the real workflow ----------------------------------------------------------


WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def check_jsonschema(*paths: Path) -> subprocess.CompletedProcess:
    """check-jsonschema with its vendored GitHub workflow schema: no network needed."""
    exe = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run(
        [str(exe), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_workflow_is_valid_against_githubs_schema():
    assert WORKFLOWS, "no workflows"
    result = check_jsonschema(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "breakage",
    [
        lambda w: w["jobs"]["build"].pop("runs-on"),
        lambda w: w["jobs"]["build"]["steps"].append({"name": "x", "runs": "make test"}),
        lambda w: w["jobs"]["deploy"].update(permissions={"pages": "rw"}),
        lambda w: w.update(job={}),
    ],
)
def test_the_schema_check_catches_a_broken_workflow(workflow, tmp_path, breakage):
    broken = copy.deepcopy(normalised(workflow))
    breakage(broken)
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    assert check_jsonschema(path).returncode != 0


def test_triggers(workflow):
    on = triggers(workflow)
    assert {"push", "pull_request", "workflow_dispatch", "schedule"} <= set(on)
    (entry,) = on["schedule"]
    minute, hour, day, month, weekday = entry["cron"].split()
    assert day == "*" and month == "*" and weekday not in ("*", "?"), "not weekly"
    assert minute.isdigit() and hour.isdigit()


def test_every_action_is_pinned_by_version(workflow):
    uses = [step["uses"] for _, step in steps_of(workflow) if "uses" in step]
    assert uses
    for ref in uses:
        assert PINNED.match(ref), ref
    names = {ref.split("@")[0] for ref in uses}
    assert {
        "actions/checkout",
        "actions/setup-python",
        "quarto-dev/quarto-actions/setup",
        "actions/upload-artifact",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    } <= names


def test_build_job_sets_up_the_tools_and_runs_the_two_commands(workflow):
    steps = workflow["jobs"]["build"]["steps"]
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"  # a string: 3.10 would read as 3.1
    runs = [str(s.get("run", "")) for s in steps]
    text = "\n".join(runs)
    # uv pinned to the version the Makefile installs for everyone else.
    uv_version = makefile_variable("UV_VERSION")
    assert workflow["env"]["UV_VERSION"] == uv_version
    assert 'pip install --disable-pip-version-check "uv==${UV_VERSION}"' in text
    assert re.search(r"sudo apt-get install -y chromium poppler-utils", text)
    assert "sudo apt-get update" in text
    quarto = next(s for s in steps if s.get("uses", "").startswith("quarto-dev/"))
    assert re.fullmatch(r"\d+\.\d+\.\d+", workflow["env"]["QUARTO_VERSION"])
    assert quarto["with"]["version"] == "${{ env.QUARTO_VERSION }}"
    order = [t for run in runs for t in make_targets_run(run)]
    assert order == ["test", "editions"], order
    assert {"test", "editions"} <= makefile_targets()
    assert 'cp -rL "$edition" site/' in text  # each edition is a link: dereference it
    assert "cp reports/index.html reports/index.csv site/" in text  # the site opens on the index
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"].rstrip("/") == "reports"  # the previous build, for what changed
    assert step_index(steps, "actions/cache") < step_index(steps, "make editions")
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"].rstrip("/") == "site"
    pages = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert pages["with"]["path"].rstrip("/") == "site"
    assert step_index(steps, "upload-artifact") > step_index(steps, "cp -rL")


def step_index(steps: list[dict], needle: str) -> int:
    return next(i for i, s in enumerate(steps) if needle in str(s.get("uses", s.get("run"))))


def test_pages_deploy_from_main_only_with_the_right_permissions(workflow):
    assert workflow["permissions"] == {"contents": "read"}
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert MAIN_ONLY in deploy["if"] and "pull_request" in deploy["if"]
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["concurrency"]["group"] and deploy["concurrency"]["cancel-in-progress"] is False
    (step,) = deploy["steps"]
    assert step["uses"].startswith("actions/deploy-pages@") and step["id"] == "deployment"
    for step in workflow["jobs"]["build"]["steps"]:
        if "pages" in step.get("uses", ""):
            assert MAIN_ONLY in step["if"], step
    assert workflow["concurrency"]["group"]


def test_make_commands_are_read_like_a_shell_reads_them():
    assert make_targets_run('make test UV="$(command -v uv)" && make -j2 report; echo make x') == [
        "test",
        "report",
    ]
    assert make_targets_run("cd x && make lab  # make not-this") == ["lab"]


def test_on_parses_as_true_in_yaml_1_1():
    assert yaml.safe_load("on:\n  push:\n") == {True: {"push": None}}
    assert triggers({True: {"push": None}}) == {"push": None}


# --- pre-commit --------------------------------------------------------------------------------


def lock_version(name: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return next(p["version"] for p in lock["package"] if p["name"] == name)


def test_pre_commit_config_names_nbstripout_and_ruff():
    config = load_yaml(PRE_COMMIT)
    hooks = {hook["id"]: (repo, hook) for repo in config["repos"] for hook in repo["hooks"]}
    assert {"nbstripout", "ruff-check", "ruff-format"} <= set(hooks)
    nbstripout_repo, nbstripout = hooks["nbstripout"]
    assert nbstripout_repo["repo"] == "https://github.com/kynan/nbstripout"
    assert "--keep-id" in nbstripout["args"]  # the notebooks' cell ids stay as committed
    ruff_repo, _ = hooks["ruff-check"]
    assert ruff_repo["repo"] == "https://github.com/astral-sh/ruff-pre-commit"
    # The hooks run the same versions as the locked dev tools.
    assert nbstripout_repo["rev"] == lock_version("nbstripout")
    assert ruff_repo["rev"] == "v" + lock_version("ruff")


def test_pre_commit_validates_its_config(tmp_path):
    pre_commit = shutil.which("pre-commit") or str(ROOT / ".venv" / "bin" / "pre-commit")
    if not Path(pre_commit).exists():
        pytest.skip("pre-commit is not installed (dev dependency group)")
    proc = subprocess.run(
        [pre_commit, "validate-config", str(PRE_COMMIT)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_committed_notebooks_are_already_stripped(tmp_path):
    """nbstripout --keep-id leaves the committed notebooks byte for byte as they are."""
    nbstripout = shutil.which("nbstripout") or str(ROOT / ".venv" / "bin" / "nbstripout")
    if not Path(nbstripout).exists():
        pytest.skip("nbstripout is not installed (dev dependency group)")
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        copy_path = tmp_path / notebook.name
        shutil.copy2(notebook, copy_path)
        subprocess.run([nbstripout, "--keep-id", str(copy_path)], check=True, timeout=120)
        assert copy_path.read_bytes() == notebook.read_bytes(), f"{notebook.name} has outputs"


# --- CITATION.cff ------------------------------------------------------------------------------

CFF_KEYS = {
    "abstract",
    "authors",
    "cff-version",
    "commit",
    "contact",
    "date-released",
    "doi",
    "identifiers",
    "keywords",
    "license",
    "license-url",
    "message",
    "preferred-citation",
    "references",
    "repository",
    "repository-artifact",
    "repository-code",
    "title",
    "type",
    "url",
    "version",
}


def test_citation_file_is_cff_1_2_0():
    cff = load_yaml(CITATION)
    assert cff["cff-version"] == "1.2.0"
    assert set(cff) <= CFF_KEYS, set(cff) - CFF_KEYS
    assert cff["message"].strip() and cff["title"].strip()
    assert cff["type"] in ("software", "dataset")
    assert cff["authors"] == [{"name": "Pledged vs. Deployed contributors"}]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert cff["license"] == project["license"] == "MIT"
    assert str(cff["version"]) == project["version"]
    for reference in cff.get("references", []):
        assert reference["type"] and reference["title"] and reference["authors"]
    # No invented addresses: any URL given must be a real https address of this project.
    for key in ("url", "repository-code", "repository", "repository-artifact", "license-url"):
        if key in cff:
            assert str(cff[key]).startswith("https://"), key
