"""Altair charts that draw offline, in the browser and in print.

Altair's default HTML output loads Vega from a CDN, which breaks a report opened without a
network. This renderer puts three representations of each chart in the notebook output:

* ``text/html``: a ``<div>`` holding the static SVG as a placeholder, plus a short script that
  calls ``vegaEmbed`` — the Vega bundle itself is included ONCE per page by the report template
  (see :func:`vega_bundle`), not once per chart;
* ``image/svg+xml`` and ``image/png``: static images from vl-convert, which Quarto's PDF route and
  JavaScript-less viewers (JupyterLab, GitHub) show.

If the script cannot run, the static SVG placeholder stays visible.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import struct
from collections import OrderedDict
from functools import cache
from hashlib import sha256
from pathlib import Path
from typing import Any
from urllib.parse import quote

import altair as alt
import vl_convert as vlc

RENDERER_NAME = "offline"
# vl-convert wants "major.minor" of the Vega-Lite schema Altair writes.
VL_VERSION = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]
PNG_SCALE = 2.0


@cache
def vega_bundle() -> str:
    """vega + vega-lite + vega-embed as one script (~0.9 MB), defining ``window.vegaEmbed``.

    Building it takes vl-convert about 1.7 s, so it is kept in the user's cache folder, keyed
    by the vl-convert and Vega-Lite versions (delete the folder to rebuild it)."""
    version = getattr(vlc, "__version__", "unknown")
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "haiti-report"
    path = cache_dir / f"vega-bundle-vl{VL_VERSION}-vlc{version}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vlc.javascript_bundle(vl_version=VL_VERSION)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(bundle, encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only home folder only costs the 1.7 s again
    return bundle


def script_json(obj: Any) -> str:
    """JSON that is safe inside a <script> element even if the data holds '</script>'."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--").replace("\u2028", "\\u2028")


# A chart is converted once: the report saves each chart's SVG/PNG to figures/ and then displays
# it, and both ask for the same images. Keyed by the spec's JSON text. Bounded: a kernel that
# renders edition after edition (make editions) keeps only the newest conversions.
_images: OrderedDict[tuple[str, str, float], str | bytes] = OrderedDict()
_IMAGES_KEPT = 64


def _remember(key: tuple[str, str, float], image: str | bytes) -> None:
    _images[key] = image
    while len(_images) > _IMAGES_KEPT:
        _images.popitem(last=False)


_GEOMETRY = re.compile(r'\b(d|transform|x|y|x1|x2|y1|y2|width|height|dx|dy)="([^"]*)"')
_DECIMALS = re.compile(r"\d+\.\d{2,}")


def _tenth(number: re.Match[str]) -> str:
    return f"{float(number[0]):.1f}".removesuffix(".0")


def _tenths(svg: str) -> str:
    """Coordinates to a tenth of a pixel: a tenth smaller, the same drawing (text untouched)."""
    return _GEOMETRY.sub(lambda m: m[1] + '="' + _DECIMALS.sub(_tenth, m[2]) + '"', svg)


def static_svg(spec: dict[str, Any]) -> str:
    key = (script_json(spec), "svg", 1.0)
    if key not in _images:
        _remember(key, _tenths(vlc.vegalite_to_svg(spec, vl_version=VL_VERSION)))
    return str(_images[key])


def static_png(spec: dict[str, Any], scale: float = PNG_SCALE) -> bytes:
    key = (script_json(spec), "png", scale)
    if key not in _images:
        # Rasterising the SVG already made is twice as fast as running Vega again.
        _remember(key, vlc.svg_to_png(static_svg(spec), scale=scale))
    return bytes(_images[key])


def _chart_id(spec: dict[str, Any]) -> str:
    # Derived from the spec, not random, so that two builds of the same data are identical.
    return "chart-" + sha256(script_json(spec).encode()).hexdigest()[:12]


META_KEY = "haiti_report"  # the usermeta a report chart carries for the page (charts/__init__)


def drawn_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec without the page's usermeta and without dataset columns it does not draw:
    what is compiled, converted and saved."""
    meta = dict(spec.get("usermeta") or {})
    if META_KEY not in meta:
        return prune_datasets(spec)
    keep = set(meta.pop(META_KEY).get("keep", ()))
    out = {k: v for k, v in spec.items() if k != "usermeta"}
    return prune_datasets({**out, "usermeta": meta} if meta else out, keep)


_DATUM = re.compile(r"datum(?:\.([A-Za-z_]\w*)|\[['\"]([^'\"]+)['\"]\])")


def referenced_fields(node: Any, found: set[str] | None = None) -> set[str]:
    """Every data field a spec refers to: encoding and transform fields, and ``datum.x`` in
    expressions (filters, calculations, conditions)."""
    found = set() if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasets":
                continue
            if key in ("field", "as") and isinstance(value, str):
                found.add(value)
            elif key == "groupby" and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
            referenced_fields(value, found)
    elif isinstance(node, list):
        for value in node:
            referenced_fields(value, found)
    elif isinstance(node, str):
        found.update(a or b for a, b in _DATUM.findall(node))
    return found


def prune_datasets(spec: dict[str, Any], keep: set[str] = frozenset()) -> dict[str, Any]:
    """Keep in the spec's datasets only the columns it draws, and ``keep`` (a report chart's
    CSV keeps them all): the page carries every chart twice (desktop and phone layouts)."""
    if "datasets" not in spec:
        return spec
    used = referenced_fields(spec) | set(keep)
    datasets = {
        name: [{k: v for k, v in row.items() if k in used} for row in rows]
        for name, rows in spec["datasets"].items()
    }
    return {**spec, "datasets": datasets}


def compile_vega(spec: dict[str, Any]) -> str:
    """A Vega-Lite spec compiled to Vega, as JSON text safe inside a <script>."""
    return script_json(vlc.vegalite_to_vega(drawn_spec(spec), vl_version=VL_VERSION))


# On paper the chart is there; links and a folded table are not.
PRINT = "<style>@media print{.chart-downloads,.chart-table{display:none}}</style>\n"
SHARED = "@wide"  # a phone layout's dataset that the page takes from the desktop layout


def share_data(narrow_vega: str, wide_vega: dict[str, Any]) -> str:
    """The phone layout without the datasets it shares with the desktop layout (the same
    rows, named by their content): the page fills them in (offline_chart.js)."""
    narrow = json.loads(narrow_vega)
    wide = {d["name"]: d.get("values") for d in wide_vega.get("data", [])}
    for d in narrow.get("data", []):
        if "values" in d and d["name"].startswith("data-") and wide.get(d["name"]) == d["values"]:
            d["values"] = SHARED
    return script_json(narrow)


def _svg_width(svg: str) -> int:
    """The width the static chart needs (the desktop layout), from its <svg> element."""
    head = svg[: svg.find(">")]
    marker = 'width="'
    at = head.find(marker)
    return int(float(head[at + len(marker) : head.find('"', at + len(marker))])) if at >= 0 else 0


def _downloads(meta: dict[str, Any], div_id: str) -> str:
    """Links to the chart's data (CSV, inline) and images. The images point at the build's
    figures/ folder and, once the chart has drawn, at data: URIs made in the page (the SVG
    placeholder, a PNG from the drawn chart), so they work from the single offline file."""
    name = html.escape(meta["name"], quote=True)
    folder = html.escape(meta.get("figures", "figures"), quote=True)  # figures/fr/ in French
    labels = {k: html.escape(str(v)) for k, v in meta["labels"].items()}
    csv_uri = "data:text/csv;charset=utf-8," + quote(meta["csv"], safe=",;:/-_.'")
    links = [
        f'<a class="chart-download" data-kind="csv" download="{name}.csv" '
        f'href="{html.escape(csv_uri, quote=True)}">{labels["csv"]}</a>',
        f'<a class="chart-download" data-kind="svg" download="{name}.svg" '
        f'href="{folder}/{name}.svg">{labels["svg"]}</a>',
        f'<a class="chart-download" data-kind="png" download="{name}.png" '
        f'href="{folder}/{name}.png">{labels["png"]}</a>',
    ]
    return (
        f'<p class="chart-downloads" id="{div_id}-downloads" style="font-size:0.9rem">'
        f"{labels['lead']}: " + " · ".join(links) + "</p>"
    )


def _table(meta: dict[str, Any], div_id: str) -> str:
    """The chart's data as an HTML table in a <details>, for screen readers and keyboards."""
    table = meta["table"]
    esc = html.escape
    head = "".join(f'<th scope="col">{esc(str(c))}</th>' for c in table["columns"])
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in table["rows"]
    )
    return (
        f'<details class="chart-table"><summary>{esc(str(meta["labels"]["summary"]))}</summary>'
        f'<table id="{div_id}-table"><caption>{esc(str(table["caption"]))}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>"
    )


# The script of one chart (placeholders filled in per chart).
_SCRIPT = Path(__file__).with_name("offline_chart.js").read_text(encoding="utf-8")
_PLACEHOLDER = re.compile(r"\$(wide|narrow|options|needs|id)\b")


def offline_renderer(
    spec: dict[str, Any], embed_options: dict[str, Any] | None = None, **_: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Altair renderer returning interactive HTML plus static SVG and PNG.

    A report chart (charts.make) carries in its usermeta a phone layout, its CSV and its data
    table: the HTML then also holds the download links and the table, for both renderers."""
    carried = (spec.get("usermeta") or {}).get(META_KEY)
    meta = json.loads(carried["page"]) if carried else None
    spec = drawn_spec(spec)
    div_id = _chart_id(spec)
    # Compiled to Vega here, once, so the reader's browser skips the Vega-Lite compile step.
    options = {"mode": "vega", "renderer": "svg", "actions": False, **(embed_options or {})}
    vega_spec = vlc.vegalite_to_vega(spec, vl_version=VL_VERSION)
    svg = static_svg(spec)
    alt_text = html.escape(str(spec.get("description") or "chart"), quote=True)
    placeholder = (
        f'<img alt="{alt_text}" style="max-width:100%;height:auto" src="data:image/svg+xml;base64,'
        f'{base64.b64encode(svg.encode()).decode()}">'
    )
    values = {
        "wide": script_json(vega_spec),
        "narrow": share_data(carried["narrow_vega"], vega_spec) if carried else "null",
        "options": script_json(options),
        "needs": str(_svg_width(svg)),
        "id": div_id,
    }
    # One pass over the template: the values (which may hold "$") are never scanned again.
    script = _PLACEHOLDER.sub(lambda m: values[m.group(1)], _SCRIPT)
    described = f' aria-describedby="{div_id}-table"' if meta else ""
    body = (
        # vega-embed sets its own role on the element it draws into: that is the inner one
        f'<div id="{div_id}" class="altair-offline" role="img" aria-label="{alt_text}"'
        f'{described}><div id="{div_id}-view">{placeholder}</div></div>\n'
        + (_downloads(meta, div_id) + "\n" + _table(meta, div_id) + "\n" + PRINT if meta else "")
        + f"<script>{script}</script>"
    )
    png = static_png(spec)
    width, height = struct.unpack(">II", png[16:24])  # PNG IHDR holds the pixel size
    bundle = {
        "text/html": body,
        "image/svg+xml": svg,
        "image/png": base64.b64encode(png).decode(),
        "text/plain": f"<chart: {alt_text}>",
    }
    metadata = {"image/png": {"width": int(width / PNG_SCALE), "height": int(height / PNG_SCALE)}}
    return bundle, metadata


def enable() -> None:
    """Register and switch on the offline renderer (call once per notebook)."""
    if RENDERER_NAME not in alt.renderers.names():
        alt.renderers.register(RENDERER_NAME, offline_renderer)
    alt.renderers.enable(RENDERER_NAME)
