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


def kernel_dir() -> Path:
    return Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME


def ensure_kernel() -> Path:
    """Write the kernelspec into this environment (idempotent, no Jupyter import needed)."""
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 # ipykernel warns on every start that loopback TCP is unencrypted; quiet it.
                 "--IPKernelApp.log_level=CRITICAL"],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "metadata": {"debugger": True},
    }
    path = kernel_dir() / "kernel.json"
    text = json.dumps(spec, indent=1) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    print(ensure_kernel())
