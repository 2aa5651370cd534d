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
import struct
from functools import cache
from hashlib import sha256
from pathlib import Path
from typing import Any

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
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--").replace("\u2028", "\\u2028")


# A chart is converted once: the report saves each chart's SVG/PNG to figures/ and then displays
# it, and both ask for the same images. Keyed by the spec's JSON text.
_images: dict[tuple[str, str, float], str | bytes] = {}


def static_svg(spec: dict[str, Any]) -> str:
    key = (script_json(spec), "svg", 1.0)
    if key not in _images:
        _images[key] = vlc.vegalite_to_svg(spec, vl_version=VL_VERSION)
    return str(_images[key])


def static_png(spec: dict[str, Any], scale: float = PNG_SCALE) -> bytes:
    key = (script_json(spec), "png", scale)
    if key not in _images:
        # Rasterising the SVG already made is twice as fast as running Vega again.
        _images[key] = vlc.svg_to_png(static_svg(spec), scale=scale)
    return bytes(_images[key])


def _chart_id(spec: dict[str, Any]) -> str:
    # Derived from the spec, not random, so that two builds of the same data are identical.
    return "chart-" + sha256(script_json(spec).encode()).hexdigest()[:12]


def offline_renderer(
    spec: dict[str, Any], embed_options: dict[str, Any] | None = None, **_: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Altair renderer returning interactive HTML plus static SVG and PNG."""
    div_id = _chart_id(spec)
    # Compiled to Vega here, once, so the reader's browser skips the Vega-Lite compile step.
    options = {"mode": "vega", "renderer": "svg", "actions": False, **(embed_options or {})}
    vega_spec = vlc.vegalite_to_vega(spec, vl_version=VL_VERSION)
    svg = static_svg(spec)
    alt_text = html.escape(str(spec.get("description") or "chart"), quote=True)
    placeholder = (
        f'<img alt="{alt_text}" src="data:image/svg+xml;base64,'
        f'{base64.b64encode(svg.encode()).decode()}">'
    )
    script = (
        "(function () {\n"
        f"  var spec = {script_json(vega_spec)}, opt = {script_json(options)};\n"
        f'  var el = document.getElementById("{div_id}");\n'
        "  function draw() {\n"
        "    vegaEmbed(el, spec, opt).then(function () {\n"
        "      var img = el.querySelector('img'); if (img) { img.remove(); }\n"
        "    }).catch(function (e) { console.error('chart failed to draw: ' + e); });\n"
        "  }\n"
        "  if (window.vegaEmbed) { draw(); }\n"
        "  else { window.addEventListener('load', function () {\n"
        "    if (window.vegaEmbed) { draw(); } })}\n"
        "})();"
    )
    body = (
        f'<div id="{div_id}" class="altair-offline" role="figure" aria-label="{alt_text}">'
        f"{placeholder}</div>\n<script>{script}</script>"
    )
    png = static_png(spec)
    width, height = struct.unpack(">II", png[16:24])  # PNG IHDR holds the pixel size
    bundle = {
        "text/html": body,
        "image/svg+xml": svg,
        "image/png": base64.b64encode(png).decode(),
        "text/plain": f"<chart: {spec.get('title', {}) and alt_text}>",
    }
    metadata = {"image/png": {"width": int(width / PNG_SCALE), "height": int(height / PNG_SCALE)}}
    return bundle, metadata


def enable() -> None:
    """Register and switch on the offline renderer (call once per notebook)."""
    if RENDERER_NAME not in alt.renderers.names():
        alt.renderers.register(RENDERER_NAME, offline_renderer)
    alt.renderers.enable(RENDERER_NAME)
