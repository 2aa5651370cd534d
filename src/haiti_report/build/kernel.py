"""The project's Jupyter kernel ("haiti-report"): this environment's Python.

papermill runs every notebook with this kernel by name, and JupyterLab offers it, so notebooks
never run with some other Python that happens to be installed.
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


if __name__ == "__main__":
    print(ensure_kernel(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
