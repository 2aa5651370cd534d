"""Turn the executed report notebook into report.html and report.pdf.

Two real renderers, one source (the executed notebook):

* Quarto, when ``quarto`` is on PATH: ``quarto render`` with ``_quarto.yml`` (HTML + Typst PDF).
  Quarto does not execute the notebook again; it renders the outputs papermill left in it.
* Otherwise nbconvert with the offline template in ``templates/offline`` (HTML), and headless
  Chromium's print-to-PDF (PDF). Without Chromium the PDF is skipped with a message.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from haiti_report.build.quarto import TEMPLATES

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Flags that keep headless Chromium off the network and free of first-run prompts.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


@dataclass(frozen=True)
class RenderResult:
    renderer: str  # "quarto" or "nbconvert"
    html: Path
    pdf: Path | None
    pdf_note: str  # why there is no PDF, or how it was made


def find_chromium() -> str | None:
    override = os.environ.get("HAITI_REPORT_CHROMIUM")
    if override:
        return override if Path(override).exists() else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def have_quarto() -> bool:
    return os.environ.get("HAITI_REPORT_NO_QUARTO") != "1" and shutil.which("quarto") is not None


def renderer_name() -> str:
    return "quarto" if have_quarto() else "nbconvert"


def renderer_version() -> str:
    """``quarto --version`` (a new Quarto renders anew), or nbconvert's version."""
    if have_quarto():
        try:
            done = subprocess.run(
                ["quarto", "--version"], capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        return done.stdout.strip() or "unknown"
    return importlib.metadata.version("nbconvert")


def render(
    notebook: Path, out_dir: Path, *, stem: str = "report", lang: str = "en"
) -> RenderResult:
    """Render ``notebook`` (already executed) into ``out_dir``/<stem>.html and <stem>.pdf: the
    English edition is report.html, the French one (``lang="fr"``) report.fr.html."""
    facts_path = out_dir / "facts.json"
    facts = json.loads(facts_path.read_text(encoding="utf-8")) if facts_path.is_file() else {}
    if have_quarto():
        return _render_quarto(notebook, out_dir, facts, stem, lang)
    html = out_dir / f"{stem}.html"
    render_html_nbconvert(notebook, html, facts, lang=lang)
    chromium = find_chromium()
    if chromium is None:
        return RenderResult(
            "nbconvert", html, None, "PDF skipped: neither Quarto nor Chromium is installed"
        )
    pdf = out_dir / f"{stem}.pdf"
    print_to_pdf(chromium, html, pdf)
    return RenderResult("nbconvert", html, pdf, f"PDF printed by {Path(chromium).name}")


def render_html_nbconvert(
    notebook: Path, html: Path, facts: dict | None = None, *, lang: str = "en"
) -> None:
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    from haiti_report.build.quarto import report_title
    from haiti_report.build.share import share_meta
    from haiti_report.report.offline import vega_bundle

    exporter = HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
        language_code=lang,  # <html lang="fr"> on the French edition
    )
    # The papermill parameter cells are provenance for the notebook, not part of the story;
    # "remove-cell" is Quarto's tag for a cell that only computes (its output is not shown).
    remove = TagRemovePreprocessor(
        remove_cell_tags={"parameters", "injected-parameters", "remove", "remove-cell"},
        enabled=True,
    )
    exporter.register_preprocessor(remove, enabled=True)
    nb = nbformat.read(notebook, as_version=4)
    # The page's <title> (and the PDF's) is the title the report shows; nbconvert takes it
    # from metadata.title.
    nb.metadata["title"] = report_title(nb, facts or {})
    resources = {
        "vega_bundle": vega_bundle(),
        "report_css": (TEMPLATES / "report.css").read_text(encoding="utf-8"),
        "share_meta": share_meta(nb.metadata["title"], facts or {}, html.parent, lang),
        "metadata": {"name": nb.metadata["title"]},
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html.write_text(body, encoding="utf-8")


def print_to_pdf(chromium: str, html: Path, pdf: Path) -> None:
    """Print ``html`` with headless Chromium after its charts have drawn."""
    with tempfile.TemporaryDirectory(prefix="haiti-report-chromium-") as profile:
        cmd = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",  # lets vegaEmbed finish before printing
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if proc.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"Chromium could not print {html.name} to PDF:\n{tail}")


def _render_quarto(
    notebook: Path, out_dir: Path, facts: dict, stem: str = "report", lang: str = "en"
) -> RenderResult:
    """Render with Quarto from a prepared copy of the notebook (see build/quarto.py)."""
    from haiti_report.build.quarto import render_quarto

    render_quarto(notebook, out_dir, facts, stem=stem, lang=lang)
    return RenderResult(
        "quarto", out_dir / f"{stem}.html", out_dir / f"{stem}.pdf", "PDF typeset by Quarto (Typst)"
    )
