"""The environment is pinned once (uv.lock); the other install routes point at the same pins."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import ROOT


def lock_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in lock["package"] if "version" in p}


def requirement_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_environment_yml_parses_and_installs_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"][0] == "conda-forge"
    deps = env["dependencies"]
    names = [d.split("=")[0].split(">")[0] for d in deps if isinstance(d, str)]
    assert {"python", "pip", "quarto"} <= set(names)
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip_section == ["-r requirements.txt"]
    assert (ROOT / "requirements.txt").exists()


def test_requirements_txt_is_the_lock_exported():
    locked = lock_versions()
    pins = requirement_pins()
    assert len(pins) > 50
    for name, version in pins.items():
        assert locked.get(name) == version, (
            f"{name}=={version} in requirements.txt, lock has {locked.get(name)}"
        )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for dep in project["project"]["dependencies"]:
        name = re.split(r"[<>=\[ ]", dep)[0].lower()
        assert name in pins, f"runtime dependency {name} missing from requirements.txt"


def test_report_environment_is_lean():
    """JupyterLab and test tools stay out of the runtime pins (they slow every import)."""
    pins = requirement_pins()
    for heavy in ("jupyterlab", "pytest", "playwright", "hypothesis"):
        assert heavy not in pins
