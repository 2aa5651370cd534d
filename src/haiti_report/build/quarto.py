"""The Quarto route: the executed report notebook to report.html and report.pdf (Typst).

Quarto renders the outputs papermill left in the notebook (``--no-execute``). Rendering the
executed notebook where it lies does not work, so this module prepares a copy first:

* **A work folder without a dot in its path.** Quarto ignores paths with a dot-named folder
  (the build stages into ``reports/.builds/``): it would drop ``_quarto.yml`` and make no PDF.
* **One copy per format, rendered side by side.** ``html/report.ipynb`` and
  ``typst/report.ipynb``, each with the outputs meant for that format (below), rendered by two
  ``quarto render`` processes at once (they are independent; the build machine has two cores).
* **Front matter.** Quarto reads the title from front matter, not from ``metadata.title``; without
  it, it takes the first heading of the body as the title. Front matter with title and date (the
  as-of date) is added; the notebook's own title (its first level-1 heading) is lifted into it,
  so the title is shown once.
* **Cell options that are valid YAML.** ``#| fig-alt: a: b`` stops Quarto's YAML parser; such
  values are quoted.
* **No ``text/html`` outputs.** Any ``text/html`` output makes Quarto add require.js and jQuery
  from a CDN (for "JavaScript widgets"), which breaks the offline page. Each HTML output is
  handed over as ``text/markdown`` holding a raw HTML block instead: the page gets the same
  HTML, and for Typst the filter ``templates/quarto-filters.lua`` reads it into pandoc elements
  (paragraphs, lists, tables), so the PDF says what the page says. Charts: the HTML copy keeps
  their interactive HTML, the Typst copy their SVG (vector graphics in the PDF).

Outputs are moved into the build folder only when both were made, and the work folder (with
Quarto's ``.quarto/`` and ``*_files/``) is removed. A failed render raises :class:`BuildError`
with the last meaningful line Quarto printed.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from haiti_report.core.errors import BuildError

TEMPLATES = Path(__file__).parent / "templates"
QUARTO_CONFIG = TEMPLATES / "_quarto.yml"
# Files beside the work copy that _quarto.yml names (the Vega bundle is written there too).
QUARTO_SUPPORT = (
    "quarto-filters.lua",
    "report-typst.typ",
    "report-quarto.css",
    "report-formats.html",
)
# Cell metadata Quarto uses; the rest (papermill's timings) would end up in the page.
CELL_METADATA = ("tags", "raw_mimetype")
WORK_NAME = "report"  # the work copy is report.ipynb: outputs are report.html and report.pdf
QUARTO_TIMEOUT_S = 600

_H1_HTML = re.compile(r"^\s*<h1[^>]*>(.*?)</h1>\s*$", re.S | re.I)
_H1_MD = re.compile(r"^\s*#(?!#)\s+(.+?)\s*#*\s*$")
_TAG = re.compile(r"<[^>]+>")
_OPTION = re.compile(r"^(#\|\s*)([\w-]+):[ \t]*(.*)$")
_STRING_OPTION_SUFFIXES = ("-cap", "-alt", "-subcap", "-title", "-summary")


FORMATS = {"html": f"{WORK_NAME}.html", "typst": f"{WORK_NAME}.pdf"}


def formats(stem: str = WORK_NAME) -> dict[str, str]:
    """What each format makes: report.html and report.pdf, or report.fr.html and .pdf."""
    return {"html": f"{stem}.html", "typst": f"{stem}.pdf"}


def render_quarto(
    notebook: Path,
    out_dir: Path,
    facts: dict[str, Any] | None = None,
    *,
    stem: str = WORK_NAME,
    lang: str = "en",
) -> None:
    """Render the executed ``notebook`` into ``out_dir``/<stem>.html and <stem>.pdf (the
    French edition: ``stem="report.fr"``, ``lang="fr"``, which Quarto's front matter gets)."""
    from haiti_report.build.share import share_meta

    nb = json.loads(notebook.read_text(encoding="utf-8"))
    made_by = formats(stem)
    share = share_meta(report_title(nb, facts or {}), facts or {}, out_dir, lang)
    with tempfile.TemporaryDirectory(prefix="haiti-report-quarto-", dir=_work_base()) as tmp:
        works = {
            fmt: write_work_copy(
                nb, Path(tmp) / fmt, fmt, facts or {}, stem=stem, lang=lang, share=share
            )
            for fmt in made_by
        }
        run_quarto(works, stem)
        made = [works[fmt] / name for fmt, name in made_by.items()]
        for path in made:
            if not path.is_file() or path.stat().st_size == 0:
                raise BuildError(f"render: quarto failed: it made no {path.name}")
        check_offline(made[0].read_text(encoding="utf-8"))
        out_dir.mkdir(parents=True, exist_ok=True)
        # Copy both next to their final names first, then rename: the two appear together.
        staged = []
        for path in made:
            tmp_out = out_dir / f".{path.name}.{os.getpid()}.tmp"
            shutil.copyfile(path, tmp_out)
            staged.append((tmp_out, out_dir / path.name))
        for tmp_out, final in staged:
            os.replace(tmp_out, final)


def write_work_copy(
    nb: dict[str, Any],
    work: Path,
    fmt: str,
    facts: dict[str, Any],
    *,
    stem: str = WORK_NAME,
    lang: str = "en",
    share: str = "",
) -> Path:
    """``work``/<stem>.ipynb for ``fmt``, with _quarto.yml and the files it names beside it
    (for HTML: ``share``, the share preview's <meta> tags, in _share.html)."""
    from haiti_report.report.offline import vega_bundle

    work.mkdir(parents=True)
    prepared, front = prepare_notebook(nb, fmt, facts, lang=lang)
    (work / f"{stem}.ipynb").write_text(json.dumps(prepared), encoding="utf-8")
    shutil.copyfile(QUARTO_CONFIG, work / "_quarto.yml")
    for name in QUARTO_SUPPORT:
        shutil.copyfile(TEMPLATES / name, work / name)
    if lang != "en":  # the link to this edition's own PDF, in its language
        (work / "report-formats.html").write_text(formats_nav(stem, lang), encoding="utf-8")
    if fmt == "html":
        (work / "_share.html").write_text(share, encoding="utf-8")
        (work / "_vega.html").write_text(f"<script>{vega_bundle()}</script>\n", encoding="utf-8")
    else:
        (work / "_document.typ").write_text(typst_document(front), encoding="utf-8")
    return work


def _work_base() -> str | None:
    """A temporary folder whose path has no dot-named part (Quarto would ignore the input)."""
    base = Path(tempfile.gettempdir()).resolve()
    if not any(part.startswith(".") for part in base.parts):
        return None
    for candidate in (Path("/tmp"), Path("/var/tmp")):
        if candidate.is_dir() and os.access(candidate, os.W_OK):
            return str(candidate)
    raise BuildError(
        f"render: quarto cannot render inside {base} (a folder named with a dot); "
        "set TMPDIR to a folder without one"
    )


def formats_nav(stem: str, lang: str) -> str:
    """report-formats.html for an edition in ``lang``: "Version PDF" pointing at its PDF."""
    from haiti_report.report.text import labels

    words = labels(lang)["edition"]
    return (
        f'<nav class="report-formats" aria-label="{html.escape(words["formats"])}">'
        f'<a href="{html.escape(stem)}.pdf">{html.escape(words["pdf"])}</a></nav>\n'
    )


def run_quarto(works: dict[str, Path], stem: str = WORK_NAME) -> None:
    """``quarto render report.ipynb --to <format> --no-execute`` in each work folder, side by
    side; a failure is one line naming what Quarto said."""
    env = {**os.environ, "QUARTO_LOG_LEVEL": os.environ.get("QUARTO_LOG_LEVEL", "WARNING")}
    procs: dict[str, subprocess.Popen[str]] = {}
    try:
        for fmt, work in works.items():
            procs[fmt] = subprocess.Popen(
                ["quarto", "render", f"{stem}.ipynb", "--to", fmt, "--no-execute"],
                cwd=work,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        errors = {fmt: proc.communicate(timeout=QUARTO_TIMEOUT_S)[1] for fmt, proc in procs.items()}
    except FileNotFoundError:
        raise BuildError("render: quarto failed: the quarto command is not on PATH") from None
    except subprocess.TimeoutExpired:
        raise BuildError(f"render: quarto failed: no result after {QUARTO_TIMEOUT_S} s") from None
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for fmt, proc in procs.items():
        if proc.returncode != 0:
            raise BuildError(f"render: quarto failed ({fmt}): {last_meaningful_line(errors[fmt])}")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def last_meaningful_line(stderr: str) -> str:
    """The line of Quarto's error output that says what went wrong (not a stack frame)."""
    lines = [_ANSI.sub("", ln).strip() for ln in stderr.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("at ") and set(ln) - set("~^ ")]
    for ln in lines:  # Quarto prints "ERROR: <what>" first, then context
        if ln.startswith(("ERROR:", "error:")):
            return ln
    return lines[-1] if lines else f"exit status without a message (stderr: {stderr[-200:]!r})"


def check_offline(page: str) -> None:
    """Fail if the page would load anything from the network (it must work from file://)."""
    found = re.findall(
        r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']?((?:https?:)?//[^\"' >]+)",
        page,
        flags=re.I,
    )
    remote = [u for u in found if not _is_plain_link(page, u)]
    if remote:
        raise BuildError(
            f"render: quarto's report.html loads {remote[0]} from the network "
            f"({len(remote)} remote resource(s)); the report must work offline"
        )


def _is_plain_link(page: str, url: str) -> bool:
    # <link rel="canonical"> and the like name a page, they do not load it.
    match = re.search(r"<link\b[^>]*href=[\"']?" + re.escape(url), page, flags=re.I)
    return bool(match) and "stylesheet" not in match.group(0) and "icon" not in match.group(0)


def typst_document(front: dict[str, Any]) -> str:
    """The PDF's metadata: the report's title, and no creation date (Typst would stamp the
    time of the build, so two builds of the same data would differ)."""
    title = " ".join(str(front.get("title", "")).split())
    title = title.replace("\\", "\\\\").replace('"', '\\"')  # a Typst string literal
    return f'#set document(title: "{title}", date: none)\n'


# --- the work copy --------------------------------------------------------------------------


def prepare_notebook(
    nb: dict[str, Any], fmt: str, facts: dict[str, Any], *, lang: str = "en"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The notebook as Quarto should see it when rendering ``fmt`` ("html" or "typst"; see the
    module docstring), and its front matter."""
    nb = copy.deepcopy(nb)
    title = report_title(nb, facts, remove=True)
    for cell in nb["cells"]:
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k in CELL_METADATA}
        if cell.get("cell_type") != "code":
            continue
        cell["source"] = _lines(quote_cell_options(_text(cell.get("source", ""))))
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("display_data", "execute_result"):
                data = output_for_quarto(output["data"], fmt)
                output["data"] = {
                    k: _lines(v) if k.startswith("text/") else v for k, v in data.items()
                }
    front = front_matter(nb, title, facts)
    if lang != "en":  # _quarto.yml says en-GB; an edition in another language says its own
        front["lang"] = lang
    text = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000)
    # A markdown cell: Quarto 1.7 reads front matter from the first markdown cell and leaves it
    # unwrapped; a raw cell's front matter also ends up in the body as text.
    nb["cells"].insert(
        0, {"cell_type": "markdown", "metadata": {}, "source": _lines(f"---\n{text}---\n")}
    )
    return nb, front


def report_title(nb: dict[str, Any], facts: dict[str, Any], *, remove: bool = False) -> str:
    """The report's title: facts.json's ``title`` if it has one, else the notebook's first
    level-1 heading (removed from the body with ``remove``: Quarto shows the front matter's
    title), else ``metadata.title``."""
    heading = lift_title(nb if remove else copy.deepcopy(nb))
    return str(facts.get("title") or heading or nb.get("metadata", {}).get("title") or "Report")


def front_matter(nb: dict[str, Any], title: str, facts: dict[str, Any]) -> dict[str, Any]:
    """Quarto's front matter: title (and subtitle, if facts.json has them), date (as of)."""
    meta: dict[str, Any] = {"title": title}
    if facts.get("subtitle"):
        meta["subtitle"] = facts["subtitle"]
    as_of = facts.get("as_of") or nb.get("metadata", {}).get("papermill", {}).get(
        "parameters", {}
    ).get("as_of")
    if as_of:
        meta["date"] = str(as_of)
    return meta


def lift_title(nb: dict[str, Any]) -> str | None:
    """Remove the notebook's own title (its first level-1 heading, before any other heading)
    and return its text: Quarto shows the title from the front matter."""
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown":
            source = _text(cell.get("source", "")).strip()
            match = _H1_MD.match(source) if "\n" not in source else None
            if match:
                nb["cells"].remove(cell)
                return _plain(match.group(1), markdown=True)
            if source.startswith("#"):
                return None  # a section heading comes first: the notebook has no title
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            markdown = _text(data.get("text/markdown", ""))
            first, _, rest = markdown.lstrip().partition("\n")
            match = _H1_HTML.match(_text(data.get("text/html", ""))) or _H1_MD.match(first)
            if match:
                if "text/html" in data or not rest.strip():
                    cell["outputs"].remove(output)
                else:  # a title line over the rest of the output (the as-of line): keep the rest
                    data["text/markdown"] = rest.lstrip("\n")
                return _plain(match.group(1), markdown="text/html" not in data)
    return None


def _plain(text: str, *, markdown: bool) -> str:
    if markdown:
        text = re.sub(r"\\(.)", r"\1", text)
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def quote_cell_options(source: str) -> str:
    """Quote ``#| key: value`` lines whose value is not valid YAML (``fig-alt: a: b``), and
    caption-like values YAML would read as something other than the text written."""
    lines = source.split("\n")
    for i, line in enumerate(lines):
        match = _OPTION.match(line)
        if not match:
            if line.strip() and not line.startswith("#|"):
                break  # options come first in a cell
            continue
        prefix, key, value = match.groups()
        if not value or value[0] in "\"'[{|>":
            continue
        try:
            parsed = yaml.safe_load(f"{key}: {value}")
            ok = isinstance(parsed, dict) and (
                not key.endswith(_STRING_OPTION_SUFFIXES) or parsed.get(key) == value.strip()
            )
        except yaml.YAMLError:
            ok = False
        if not ok:
            lines[i] = f"{prefix}{key}: {json.dumps(value.strip(), ensure_ascii=False)}"
    return "\n".join(lines)


def output_for_quarto(data: dict[str, Any], fmt: str) -> dict[str, Any]:
    """One display output for ``fmt``, without ``text/html`` (see the module docstring): HTML
    as a raw HTML block, except a chart's for Typst, which gets the chart's SVG."""
    if "text/html" not in data:
        return data
    plain = {"text/plain": data["text/plain"]} if "text/plain" in data else {}
    if fmt != "html" and "image/svg+xml" in data:
        return {"image/svg+xml": data["image/svg+xml"], **plain}
    return {"text/markdown": raw_block("html", _text(data["text/html"])), **plain}


def raw_block(fmt: str, text: str) -> str:
    """A fenced raw block whose fence is longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{={fmt}}}\n{text}\n{fence}\n"


def _lines(text: str | list[str]) -> list[str]:
    """Cell text as nbformat stores it on disk (Quarto reads a plain string as one line)."""
    return text if isinstance(text, list) else text.splitlines(keepends=True)


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value
