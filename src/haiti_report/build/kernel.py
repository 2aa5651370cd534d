"""The project's Jupyter kernel ("haiti-report"): this environment's Python.

papermill runs every notebook with this kernel by name, and JupyterLab offers it as its default,
so notebooks (a new one too) never run with some other Python that happens to be installed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KERNEL_NAME = "haiti-report"
DISPLAY_NAME = "Python (haiti-report)"


def kernel_dir(prefix: Path | None = None) -> Path:
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME


def ensure_kernel(prefix: Path | None = None) -> Path:
    """Write the kernelspec (this Python) into this environment, or into the environment at
    ``prefix`` — e.g. the separate JupyterLab environment — so that Lab, papermill and the tests
    all run notebooks with the report's own Python. Idempotent; imports nothing from Jupyter."""
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            # ipykernel warns on every start that loopback TCP is unencrypted; quiet it.
            "--IPKernelApp.log_level=CRITICAL",
        ],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "metadata": {"debugger": True},
    }
    path = kernel_dir(prefix) / "kernel.json"
    text = json.dumps(spec, indent=1) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


# Read by every Jupyter server run from the environment (its sys.prefix/etc/jupyter is on the
# config path, see `jupyter --paths`), whatever the user's own ~/.jupyter says or lacks.
SERVER_CONFIG = Path("etc") / "jupyter" / "jupyter_server_config.json"


def ensure_default(prefix: Path) -> Path:
    """Make the project kernel the default of the Jupyter server in the environment at
    ``prefix`` (``MappingKernelManager.default_kernel_name``): a new notebook, and a kernel or
    session started without a kernel name, get it. Other settings in the file are kept."""
    path = Path(prefix) / SERVER_CONFIG
    config = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    config.setdefault("MappingKernelManager", {})["default_kernel_name"] = KERNEL_NAME
    text = json.dumps(config, indent=1, sort_keys=True) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def register(prefix: Path | None = None) -> Path:
    """The kernelspec, and for another environment (JupyterLab's) the kernel as its default:
    what ``make lab`` runs before it starts JupyterLab."""
    path = ensure_kernel(prefix)
    if prefix is not None:
        ensure_default(prefix)
    return path


if __name__ == "__main__":
    print(register(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
