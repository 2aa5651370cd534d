"""The Quarto route's preparation of the notebook, and what a failed render does."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import run_build, tree_hashes

from haiti_report.build import quarto
from haiti_report.core.errors import BuildError


def options(source: str) -> dict:
    """The cell options as Quarto reads them: the leading ``#|`` lines, as YAML."""
    lines = source.splitlines()
    n = next((i for i, ln in enumerate(lines) if not ln.startswith("#|")), len(lines))
    return yaml.safe_load("\n".join(ln[3:] for ln in lines[:n]))


def test_cell_options_that_are_not_valid_yaml_are_quoted():
    source = (
        "#| label: fig-two\n"
        "#| fig-cap: Personnel in Haiti\n"
        "#| fig-alt: Two charts: the top shows personnel, the bottom IOM's count.\n"
        "#| tbl-cap: yes\n"
        "#| echo: false\n"
        "chart = {'a': 1}  # not an option: left alone\n"
        "#| fig-alt: a: b"
    )
    with pytest.raises(yaml.YAMLError):
        options(source)  # as written, Quarto's YAML parser stops here
    fixed = quarto.quote_cell_options(source)
    assert options(fixed) == {
        "label": "fig-two",
        "fig-cap": "Personnel in Haiti",
        "fig-alt": "Two charts: the top shows personnel, the bottom IOM's count.",
        "tbl-cap": "yes",  # a caption is text, not YAML's boolean
        "echo": False,
    }
    assert fixed.splitlines()[5:] == source.splitlines()[5:]  # code after the options


def test_title_is_lifted_from_the_first_level_1_heading():
    nb = {
        "metadata": {"title": "Short"},
        "cells": [
            {"cell_type": "code", "source": "x", "outputs": []},
            {
                "cell_type": "code",
                "source": "prose.Text(..., tag='h1')",
                "outputs": [
                    {
                        "output_type": "execute_result",
                        "data": {
                            "text/html": "<h1>Haiti&#x27;s <em>mission</em></h1>",
                            "text/markdown": "# Haiti&\\#x27;s mission",
                        },
                    }
                ],
            },
            {"cell_type": "markdown", "source": "## Pledges"},
        ],
    }
    assert quarto.report_title(nb, {}) == "Haiti's mission"
    assert nb["cells"][1]["outputs"], "without remove=True the notebook is not changed"
    assert quarto.report_title(nb, {}, remove=True) == "Haiti's mission"
    assert nb["cells"][1]["outputs"] == []
    assert quarto.report_title(nb, {"title": "From facts"}) == "From facts"
    sections_first = {"metadata": {"title": "Short"}, "cells": [nb["cells"][2]]}
    assert quarto.report_title(sections_first, {}, remove=True) == "Short"
    assert sections_first["cells"] == [nb["cells"][2]], "a section heading is not a title"


def chart_output() -> dict:
    return {
        "text/html": '<div class="altair-offline"></div>\n<script>draw("```")</script>',
        "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        "image/png": "iVBORw0KGgo=",
        "text/plain": "<chart>",
    }


def test_html_outputs_become_raw_html_blocks_and_charts_keep_their_svg():
    prose = {"text/html": "<p>a &amp; b</p>", "text/markdown": "a \\& b", "text/plain": "x"}
    for fmt in ("html", "typst"):  # the PDF says what the page says (the Lua filter reads it)
        assert quarto.output_for_quarto(prose, fmt) == {
            "text/markdown": "```{=html}\n<p>a &amp; b</p>\n```\n",
            "text/plain": "x",
        }
    chart = quarto.output_for_quarto(chart_output(), "html")
    assert set(chart) == {"text/markdown", "text/plain"}
    # The script holds a run of three backticks: the fence around it is longer.
    assert chart["text/markdown"] == ("````{=html}\n" + chart_output()["text/html"] + "\n````\n")
    assert quarto.output_for_quarto(chart_output(), "typst") == {
        "image/svg+xml": chart_output()["image/svg+xml"],  # vector graphics in the PDF
        "text/plain": "<chart>",
    }
    plain = {"text/markdown": "**bold**", "text/plain": "x"}
    assert quarto.output_for_quarto(plain, "html") == plain


@pytest.mark.parametrize("fmt", ["html", "typst"])
def test_prepared_notebook_has_front_matter_and_no_html_outputs(fmt):
    nb = {
        "metadata": {"title": "T", "papermill": {"parameters": {"as_of": "2024-09-21"}}},
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"tags": ["x"], "papermill": {"duration": 1.5}},
                "source": ["#| fig-alt: a: b\n", "chart"],
                "outputs": [{"output_type": "execute_result", "data": chart_output()}],
            }
        ],
    }
    prepared, front = quarto.prepare_notebook(nb, fmt, {})
    assert front == {"title": "T", "date": "2024-09-21"}
    first = prepared["cells"][0]
    assert first["cell_type"] == "markdown"
    assert yaml.safe_load("".join(first["source"]).strip().strip("-")) == front
    cell = prepared["cells"][1]
    assert cell["metadata"] == {"tags": ["x"]}, "papermill's timings would end up in the page"
    assert cell["source"] == ['#| fig-alt: "a: b"\n', "chart"]
    # Any text/html output makes Quarto load require.js and jQuery from a CDN.
    outputs = [o for c in prepared["cells"] for o in c.get("outputs", [])]
    assert outputs and all("text/html" not in o["data"] for o in outputs)
    assert all(isinstance(v, list) for k, v in outputs[0]["data"].items() if k.startswith("text/"))
    assert nb["cells"][0]["outputs"][0]["data"] == chart_output(), "the input is not changed"


def test_typst_document_metadata_is_a_valid_string_without_a_date():
    text = quarto.typst_document({"title": 'Say "no" \\ yes'})
    assert text == '#set document(title: "Say \\"no\\" \\\\ yes", date: none)\n'


def test_quarto_errors_come_down_to_their_message():
    stderr = (
        "\x1b[1mpandoc\x1b[22m\n  to: html\n"
        "\x1b[91mERROR: YAMLException: bad indentation of a mapping entry (undefined, 5:48)\n"
        "5: fig-alt: Two stacked charts: the top\n"
        "                                ~~\x1b[39m\n"
        "Stack trace:\n    at file:///quarto/src/core/yaml.ts:10:5\n"
    )
    assert quarto.last_meaningful_line(stderr) == (
        "ERROR: YAMLException: bad indentation of a mapping entry (undefined, 5:48)"
    )
    assert quarto.last_meaningful_line("warning: x\nsomething broke\n") == "something broke"


def test_a_page_that_loads_from_the_network_is_refused():
    quarto.check_offline(
        '<a href="https://www.un.org/">UN</a><link rel="canonical" href="https://x.org/">'
        '<script src="data:text/javascript;base64,AA=="></script>'
    )
    for page in (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js">',
        '<link rel="stylesheet" href="//fonts.example/css">',
    ):
        with pytest.raises(BuildError, match="must work offline"):
            quarto.check_offline(page)


def test_the_work_folder_is_never_under_a_dot_folder(tmp_path, monkeypatch):
    dotted = tmp_path / ".cache" / "tmp"
    dotted.mkdir(parents=True)
    monkeypatch.setenv("TMPDIR", str(dotted))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    base = quarto._work_base()
    assert base is not None and not any(p.startswith(".") for p in Path(base).parts)


FAKE_QUARTO = """#!/bin/sh
echo "pandoc" >&2
printf 'ERROR: YAMLException: bad indentation (5:48)\\n\\nStack trace:\\n' >&2
printf '    at render (file:///quarto/src/command/render/render.ts:1:1)\\n' >&2
exit 1
"""


@pytest.mark.slow
def test_a_failed_render_says_one_line_and_keeps_the_previous_report(built, tmp_path):
    """With a Quarto that fails, the build prints one line (no traceback) and reports/latest
    stays as it was."""
    import shutil

    root = tmp_path / "project"
    shutil.copytree(built, root, symlinks=True)
    before = tree_hashes(root / "reports/latest")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "quarto"
    fake.write_text(FAKE_QUARTO)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    proc = run_build(
        root,
        check=False,
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        HAITI_REPORT_NO_QUARTO="0",
        HAITI_REPORT_CHROMIUM=str(tmp_path / "none"),  # a new render key: the render runs
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: render: quarto failed (html): ERROR: YAMLException: bad indentation (5:48)"
    ]
    assert tree_hashes(root / "reports/latest") == before
    assert not list((root / "reports/.builds").glob("*.partial"))


def test_render_module_imports_without_quarto():
    """The nbconvert route never needs Quarto or its helpers on PATH."""
    code = "import haiti_report.build.render as r; print(r.renderer_name())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": os.path.dirname(sys.executable)},
        check=True,
    )
    assert out.stdout.strip() == "nbconvert"
