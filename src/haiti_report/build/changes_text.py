"""What changed since the last build, in words: the summary the build prints, ``make diff``
shows and the report's "What changed" section renders. Headline numbers come first, labelled
for readers ("In Haiti: 959 → 980, because ..."); the details (fact paths, tables, sources)
follow. Every string from data is escaped for the medium."""

from __future__ import annotations

import html
import json
from typing import Any

from haiti_report.build.changes import FILENAME, has_changes
from haiti_report.core.errors import printable

TEXT_LIMIT = 8  # lines per section in the plain-text summary


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "none" if value is None else str(value)
    if isinstance(value, int | float):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    return str(value)


def _detail_count(result: dict[str, Any]) -> int:
    facts = result["facts"]
    shown = {h["path"] for h in result.get("headlines", [])}
    paths = [c["path"] for key in ("changed", "added", "removed") for c in facts[key]]
    return sum(1 for path in paths if path not in shown)


def headline_lines(result: dict[str, Any]) -> list[str]:
    """'In Haiti: 959 → 980 (the count now rests on ...)'."""
    return [
        f"{h['label']}: {_number(h['old'])} → {_number(h['new'])}"
        + (f" ({h['because']})" if h.get("because") else "")
        for h in result.get("headlines", [])
    ]


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,}" if not value.is_integer() else f"{int(value):,}"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _key_text(key: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in key.items())


def _more(lines: list[str], limit: int, indent: str) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [
        *lines[:limit],
        f"{indent}... and {len(lines) - limit} more (all in {FILENAME};"
        " make diff ... --json prints them)",
    ]


def _table_counts(entry: dict[str, Any]) -> str:
    if entry["status"] == "new":
        return f"new table, {entry['rows']['new']} rows"
    if entry["status"] == "removed":
        return f"table gone (had {entry['rows']['old']} rows)"
    parts = [f"{len(entry['added'])} added", f"{len(entry['removed'])} removed"]
    if entry["key"] is not None:
        parts.append(f"{len(entry['changed'])} changed")
    for which in ("columns_added", "columns_removed"):
        if entry[which]:
            parts.append(f"{which.replace('_', ' ')}: {', '.join(entry[which])}")
    return ", ".join(parts)


def _depth(path: str) -> int:
    return path.count(".") + path.count("[")


def format_changes(result: dict[str, Any]) -> str:
    """A short plain-text summary (printed by the build and by ``make diff``); escape codes in
    a source id or cell are shown, not obeyed."""
    return "\n".join(printable(line, newlines=False) for line in _summary_lines(result))


def _summary_lines(result: dict[str, Any]) -> list[str]:
    as_of = result["as_of"]
    if result["first_build"]:
        facts = len(result["facts"]["added"])
        rows = sum(t["rows"]["new"] for t in result["tables"].values())
        return [
            f"First build (nothing earlier to compare with): {len(result['tables'])} tables, "
            f"{rows} rows, {facts} headline values, "
            f"{len(result['sources']['added'])} sources"
            + (f", as of {as_of['new']}" if as_of["new"] else "")
            + "."
        ]
    if not has_changes(result):
        return ["No changes since the previous build."]
    head = "Changes since the previous build"
    if as_of["old"] != as_of["new"]:
        head += f" (as of {as_of['old'] or '?'} → {as_of['new'] or '?'})"
    lines = [head + ":"]
    lines += [f"  {line}" for line in headline_lines(result)]
    facts = result["facts"]
    described = (
        [(c["path"], f"{_value(c['old'])} → {_value(c['new'])}") for c in facts["changed"]]
        + [(c["path"], f"new, {_value(c['new'])}") for c in facts["added"]]
        + [(c["path"], f"gone (was {_value(c['old'])})") for c in facts["removed"]]
    )
    # Totals first: the shallower a path, the more of a headline it is.
    described.sort(key=lambda item: (_depth(item[0]), item[0]))
    fact_lines = [f"    {path}: {text}" for path, text in described]
    if fact_lines:
        lines.append(f"  details: {len(fact_lines)} values in facts.json differ")
        lines += _more(fact_lines, TEXT_LIMIT, "    ")
    if result["tables"]:
        lines.append("  tables:")
        lines += _more(
            [f"    {name}: {_table_counts(entry)}" for name, entry in result["tables"].items()],
            TEXT_LIMIT,
            "    ",
        )
    if result["quarantined"]:
        lines.append(
            "  rows quarantined: "
            + "; ".join(
                f"{name} {c['old']} → {c['new']}" for name, c in result["quarantined"].items()
            )
        )
    sources = result["sources"]
    if sources["added"]:
        lines.append(
            f"  sources: {len(sources['added'])} new ("
            + ", ".join(sources["added"][:TEXT_LIMIT])
            + (", ..." if len(sources["added"]) > TEXT_LIMIT else "")
            + ")"
        )
    if sources["removed"]:
        lines.append(
            f"  sources no longer used: {len(sources['removed'])} ("
            + ", ".join(sources["removed"][:TEXT_LIMIT])
            + (", ..." if len(sources["removed"]) > TEXT_LIMIT else "")
            + ")"
        )
    return lines


def _h(value: Any) -> str:
    return html.escape(_value(value), quote=True)


def changes_html(result: dict[str, Any], *, limit: int = 20) -> str:
    """An HTML fragment for the report ("What changed since the last build").

    Every string that comes from data (paths, values, table names, keys, source ids) is
    escaped with :func:`html.escape`.
    """
    if result["first_build"]:
        return (
            '<section class="changes"><p>This is the first build: there is no earlier '
            "build to compare with.</p></section>"
        )
    if not has_changes(result):
        return '<section class="changes"><p>Nothing changed since the previous build.</p></section>'
    parts = ['<section class="changes">']
    as_of = result["as_of"]
    if as_of["old"] != as_of["new"]:
        parts.append(f"<p>As of {_h(as_of['old'])} → {_h(as_of['new'])}.</p>")
    headlines = headline_lines(result)
    if headlines:
        parts.append("<p><strong>Headline numbers</strong></p><ul>")
        parts += [f"<li>{_h(line)}</li>" for line in headlines]
        parts.append("</ul>")
    details = _detail_count(result)
    if details:
        parts.append(
            f"<p>{details} other values of the report's facts changed "
            f"(every one is in {_h(FILENAME)}).</p>"
        )
    if result["tables"]:
        parts.append("<p>Tables:</p><ul>")
        for name, entry in result["tables"].items():
            item = f"<li><code>{_h(name)}</code>: {_h(_table_counts(entry))}"
            examples = [
                f"changed {_h(_key_text(c['key']))}: "
                + "; ".join(
                    f"{_h(col)} {_h(v['old'])} → {_h(v['new'])}" for col, v in c["cells"].items()
                )
                for c in entry["changed"][:3]
            ]
            if examples:
                item += "<ul>" + "".join(f"<li>{e}</li>" for e in examples) + "</ul>"
            parts.append(item + "</li>")
        parts.append("</ul>")
    sources = result["sources"]
    if sources["added"]:
        parts.append(
            "<p>New sources: "
            + ", ".join(f"<code>{_h(s)}</code>" for s in sources["added"])
            + ".</p>"
        )
    if sources["removed"]:
        parts.append(
            "<p>Sources no longer used: "
            + ", ".join(f"<code>{_h(s)}</code>" for s in sources["removed"])
            + ".</p>"
        )
    parts.append("</section>")
    return "\n".join(parts)


# Characters Markdown (and Pandoc/Quarto: "$" opens math) reads as formatting inside a line;
# the rendering never starts a line with a value, so line-start markers ("#", "-") are safe.
_MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]|~$"})


def _md(value: Any) -> str:
    """Escape for Markdown: HTML-escape first (Markdown passes raw HTML through), then
    backslash the characters Markdown would read as formatting."""
    return html.escape(_value(value), quote=True).translate(_MARKDOWN_SPECIAL)


def changes_markdown(result: dict[str, Any], *, limit: int = 20) -> str:
    """The same as :func:`changes_html` as Markdown (for a Markdown cell or a Quarto page)."""
    if result["first_build"]:
        return "This is the first build: there is no earlier build to compare with."
    if not has_changes(result):
        return "Nothing changed since the previous build."
    lines: list[str] = []
    as_of = result["as_of"]
    if as_of["old"] != as_of["new"]:
        lines += [f"As of {_md(as_of['old'])} → {_md(as_of['new'])}.", ""]
    headlines = headline_lines(result)
    if headlines:
        lines += ["**Headline numbers**", "", *[f"- {_md(line)}" for line in headlines], ""]
    details = _detail_count(result)
    if details:
        lines += [
            f"{details} other values of the report's facts changed (every one is in "
            f"{_md(FILENAME)}).",
            "",
        ]
    for name, entry in result["tables"].items():
        lines.append(f"- {_md(name)}: {_md(_table_counts(entry))}")
    sources = result["sources"]
    if sources["added"]:
        lines += ["", "New sources: " + ", ".join(_md(s) for s in sources["added"]) + "."]
    if sources["removed"]:
        lines += [
            "",
            "Sources no longer used: " + ", ".join(_md(s) for s in sources["removed"]) + ".",
        ]
    return "\n".join(lines).strip()


# --- Command line ------------------------------------------------------------------------------
