"""reports/index.html: every edition of the report, its headline numbers and how they moved.

One self-contained page: the chart is a static SVG (vl-convert, no script), the styles are
inline, every link is relative (``2024-09-21/report.html``), so the page works from a folder
on disk, a zip or GitHub Pages alike. Every number on it is read from an edition's facts.json
and formatted by the report's own formatters; the labels are "what changed"'s headline labels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jinja2

from haiti_report.build.quarto import TEMPLATES

if TYPE_CHECKING:
    import polars as pl

    from haiti_report.build.editions import Edition

TEMPLATE = "index.html.j2"
# The index's headline numbers: facts.json paths, labelled as in "what changed" (one owner).
PLEDGED, IN_HAITI, DISPLACED = (
    "personnel.pledged_total",
    "personnel.deployed_total",
    "displacement.idps",
)
HEADLINE_PATHS = (PLEDGED, IN_HAITI, DISPLACED)


def column(path: str) -> str:
    """The index.csv column of a facts.json path ("personnel.pledged_total" -> ..._total)."""
    return path.replace(".", "_")


def _labels() -> dict[str, str]:
    from haiti_report.build.changes import HEADLINES

    return dict(HEADLINES)


def chart_svg(table: pl.DataFrame) -> str:
    """Two small panels over the editions' dates: people pledged and in Haiti; people displaced."""
    import altair as alt
    import polars as pl

    from haiti_report.report.charts.style import BLUE, GREY, INK, ORANGE, VERMILION
    from haiti_report.report.offline import static_svg

    labels = _labels()
    long = (
        table.unpivot(
            index=["as_of"],
            on=[column(p) for p in HEADLINE_PATHS],
            variable_name="series",
            value_name="value",
        )
        .drop_nulls("value")  # an edition that knew no figure draws no point
        .with_columns(
            pl.col("series").replace_strict({column(p): labels[p] for p in HEADLINE_PATHS}),
            pl.col("as_of").cast(pl.String),
        )
    )

    def panel(series: dict[str, str], title: str) -> alt.Chart:
        names = [labels[p] for p in series]
        data = long.filter(pl.col("series").is_in(names))
        return (
            alt.Chart(alt.Data(values=data.to_dicts()), title=title, width=300, height=140)
            .mark_line(point=True, strokeWidth=2)
            .encode(
                x=alt.X(
                    "as_of:T",
                    title=None,
                    axis=alt.Axis(format="%b %Y", labelColor=INK, tickCount=4, labelAngle=0),
                ),
                y=alt.Y("value:Q", title=None, axis=alt.Axis(format="~s", labelColor=INK)),
                color=alt.Color(
                    "series:N",
                    scale=alt.Scale(domain=names, range=list(series.values())),
                    legend=alt.Legend(orient="bottom", title=None, labelColor=INK),
                ),
            )
        )

    chart = (
        alt.hconcat(
            panel({PLEDGED: ORANGE, IN_HAITI: BLUE}, "People"),
            panel({DISPLACED: VERMILION}, "Displaced"),
        )
        .resolve_scale(color="independent")
        .configure_view(stroke=GREY, strokeOpacity=0.3)
    )
    return static_svg(chart.to_dict())


def render_index(editions: list[Edition], table: pl.DataFrame) -> str:
    from haiti_report.report.text import format as fmt

    labels = _labels()
    rows = []
    for edition in editions:
        facts = edition.facts
        personnel = facts.get("personnel") or {}
        displacement = facts.get("displacement") or {}
        pledged, in_haiti = personnel.get("pledged_total"), personnel.get("deployed")
        displaced = displacement.get("idps")
        rows.append(
            {
                "label": edition.label,
                "href": f"{edition.label}/report.html",
                "href_fr": f"{edition.label}/report.fr.html",
                "as_of": fmt.date(edition.as_of),
                "mission": (facts.get("mission") or {}).get("short") or "",
                # None: the edition knew no such figure; the page says "not known"
                "pledged": None if pledged is None else fmt.number(pledged),
                "in_haiti": None if in_haiti is None else fmt.count(in_haiti),
                "displaced": None if displaced is None else fmt.number(displaced),
                "round": displacement.get("round") or "",
            }
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    newest = editions[-1].as_of if editions else ""
    return env.get_template(TEMPLATE).render(
        rows=rows,
        labels={
            "pledged": labels[PLEDGED],
            "in_haiti": labels[IN_HAITI],
            "displaced": labels[DISPLACED],
        },
        first=fmt.date(editions[0].as_of) if editions else "",
        newest=fmt.date(newest) if newest else "",
        count=len(editions),
        chart=_safe_svg(chart_svg(table)) if editions else "",
    )


def _safe_svg(svg: str) -> Any:
    """vl-convert's SVG, trusted markup (it escapes the text it draws)."""
    from markupsafe import Markup

    if "<script" in svg.lower():
        raise ValueError("the index chart's SVG holds a script")
    return Markup(svg)
