"""JupyterLab opens every notebook with the project's kernel (what `make lab` gives a reporter),
a new notebook too.

Starts a real JupyterLab server on 127.0.0.1 with a random token, reads the notebooks through
its contents API and the kernelspecs through its kernelspecs API, starts a kernel and a session
without naming a kernel, then stops it. Every wait is bounded; nothing leaves the loopback
interface.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

from haiti_report.build.kernel import DISPLAY_NAME, KERNEL_NAME, SERVER_CONFIG, register

# JupyterLab has its own environment (.venv-lab, made by `make lab` / `make test`); its kernel
# is the report's Python.
LAB_PREFIX = ROOT / ".venv-lab"
JUPYTER = LAB_PREFIX / "bin" / "jupyter"
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 20

pytestmark = [
    pytest.mark.skipif(
        not JUPYTER.exists() and os.environ.get("HAITI_REPORT_CI_STRICT") != "1",
        reason="JupyterLab's environment .venv-lab is missing (`make test` or `make lab` "
        "creates it)",
    ),
    pytest.mark.timeout(240),
]

# No proxy, ever: the server is on loopback.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    def __init__(self, base: str, token: str, log: Path) -> None:
        self.base, self.token, self.log = base, token, log

    def get(self, path: str, timeout: float = 10) -> dict:
        return self.call("GET", path, timeout=timeout)

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 10):
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode("utf-8"),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with OPENER.open(request, timeout=timeout) as response:
            said = response.read().decode("utf-8")
            return json.loads(said) if said else None


def wait_until_up(proc: subprocess.Popen, lab: Lab) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"JupyterLab exited with {proc.returncode} before it was up:\n"
                + lab.log.read_text(errors="replace")[-3000:]
            )
        try:
            status = lab.get("/api/status", timeout=2)
            if "started" in status:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError) as exc:
            last_error = exc
        time.sleep(0.25)
    pytest.fail(
        f"JupyterLab was not up within {START_TIMEOUT_S}s ({last_error}):\n"
        + lab.log.read_text(errors="replace")[-3000:]
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    register(LAB_PREFIX)  # what `make lab` does (haiti_report.build.kernel .venv-lab)
    tmp = tmp_path_factory.mktemp("lab")
    port, token = free_port(), secrets.token_hex(24)
    env = {
        **os.environ,
        # Keep the user's Jupyter config, data and runtime files out of the test (and vice
        # versa); the project kernel must be found in this environment's own prefix.
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
    }
    log = tmp / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(JUPYTER),
                "lab",
                "--no-browser",
                "--ip",
                "127.0.0.1",
                "--port",
                str(port),
                "--port-retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={ROOT}",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.news_url=None",
                "--LabApp.extension_manager=readonly",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],  # CI containers run as root
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
    handle = Lab(f"http://127.0.0.1:{port}", token, log)
    try:
        wait_until_up(proc, handle)
        yield handle
    finally:
        stop(proc)
    assert proc.returncode is not None


NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_the_server_needs_the_token(lab):
    request = urllib.request.Request(lab.base + "/api/contents/notebooks")
    with pytest.raises(urllib.error.HTTPError) as info:
        OPENER.open(request, timeout=10)
    assert info.value.code in (401, 403)


def test_lab_lists_every_notebook(lab):
    listing = lab.get("/api/contents/notebooks")
    assert listing["type"] == "directory"
    listed = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
    assert listed == NOTEBOOKS
    assert NOTEBOOKS, "no notebooks in notebooks/"


def test_the_project_kernel_is_offered(lab):
    specs = lab.get("/api/kernelspecs")
    assert KERNEL_NAME in specs["kernelspecs"], sorted(specs["kernelspecs"])
    spec = specs["kernelspecs"][KERNEL_NAME]["spec"]
    assert spec["display_name"] == DISPLAY_NAME
    assert spec["language"] == "python"
    # The kernel runs this environment's Python, not some other one on PATH.
    assert Path(spec["argv"][0]).resolve() == Path(sys.executable).resolve()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_opens_with_the_project_kernel(lab, name):
    model = lab.get(f"/api/contents/notebooks/{name}?content=1&type=notebook")
    assert model["type"] == "notebook" and model["format"] == "json"
    kernelspec = model["content"]["metadata"]["kernelspec"]
    assert kernelspec["name"] == KERNEL_NAME
    assert kernelspec["name"] in lab.get("/api/kernelspecs")["kernelspecs"]
    # Committed without outputs (nbstripout, see CONTRIBUTING.md).
    for cell in model["content"]["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, name


def test_make_lab_registers_the_kernel_and_its_default_before_it_starts_lab(lab):
    """`make lab` runs haiti_report.build.kernel for the Lab environment (the kernelspec and
    the server's default kernel, in .venv-lab/etc/jupyter) every time, then JupyterLab."""
    shown = subprocess.run(
        ["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    ).stdout.splitlines()
    register_at = next(i for i, ln in enumerate(shown) if "haiti_report.build.kernel" in ln)
    lab_at = next(i for i, ln in enumerate(shown) if "jupyter lab" in ln)
    assert register_at < lab_at and ".venv-lab" in shown[register_at], shown
    config = json.loads((LAB_PREFIX / SERVER_CONFIG).read_text(encoding="utf-8"))
    assert config["MappingKernelManager"]["default_kernel_name"] == KERNEL_NAME


def test_the_project_kernel_is_the_default_for_a_new_notebook(lab):
    """Issue 14: a new notebook opened with the Lab environment's own Python, where
    `import haiti_report` fails. JupyterLab's "new notebook" preselects the server's default
    kernel, and a kernel or a session started without a kernel name gets it."""
    assert lab.get("/api/kernelspecs")["default"] == KERNEL_NAME
    kernel = lab.call("POST", "/api/kernels", {}, timeout=60)
    try:
        assert kernel["name"] == KERNEL_NAME, kernel
    finally:
        lab.call("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
    session = lab.call(
        "POST",
        "/api/sessions",
        {"path": "notebooks/Untitled.ipynb", "type": "notebook", "name": ""},
        timeout=60,
    )
    try:
        assert session["kernel"]["name"] == KERNEL_NAME, session
    finally:
        lab.call("DELETE", f"/api/sessions/{session['id']}", timeout=30)
    assert not (ROOT / "notebooks" / "Untitled.ipynb").exists()  # a session makes no file
