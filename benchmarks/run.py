"""Benchmark the build against what its tools cost (``make bench``; not part of ``make test``).

Measured side by side in one run, each a median of several runs with min and max:

* the floor: a bare kernel start plus the imports each notebook needs, and the renderer alone;
* the two renderers side by side on the same executed notebook (Quarto + Typst when quarto is
  on PATH, nbconvert + Chromium): time, report.html size, report.pdf pages;
* a cold build (environment ready, no previous build), total and per step, and its ratio to the
  floor (goal <= 1.5x);
* a no-op build (goal <= 1 s);
* one raw file changed: which notebooks re-ran, and the time;
* the DTM reader at 1M and 10M rows against pandas (benchmarks/dtm_reader.py);
* the report: bytes of report.html (goal <= 2.5 MB) and time until every chart is drawn in
  headless Chromium (goal <= 1.5 s).

Writes benchmarks/results.json and prints a table. Options: --repeat N, --skip-dtm.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# What each notebook imports before it does any work (the unavoidable part of its run).
NOTEBOOK_IMPORTS = {
    "clean_mss": "import polars, dataframely, pycountry; import haiti_report.clean.mss",
    "clean_displacement": "import polars, dataframely; import haiti_report.clean.displacement",
    "report": "import polars, altair, vl_convert; import haiti_report.report.charts",
}


def stats(samples: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(samples), 3),
        "min": round(min(samples), 3),
        "max": round(max(samples), 3),
        "n": len(samples),
    }


def kernel_start_and_imports(code: str, then: str | None = None) -> tuple[float, float]:
    """Seconds from starting the project kernel to finishing ``code`` in it, and then the
    seconds ``then`` takes in the same kernel (the build lends a used kernel to the next
    notebook: the report's imports come on top of a cleaning notebook's)."""
    from jupyter_client.manager import start_new_kernel

    from haiti_report.build.kernel import KERNEL_NAME, ensure_kernel

    ensure_kernel()
    began = time.perf_counter()
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME)
    try:
        times = []
        for part in (code, then):
            if part is None:
                times.append(0.0)
                continue
            reply = kc.execute_interactive(part, timeout=120, output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"imports failed: {reply['content']}")
            times.append(time.perf_counter() - began)
            began = time.perf_counter()
        return times[0], times[1]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def copy_project(dest: Path) -> Path:
    from conftest import copy_project as copy

    return copy(dest)


def build(root: Path, *args: str) -> tuple[float, str]:
    began = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "haiti_report.build", "--root", str(root), *args],
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - began
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout + proc.stderr)
    return took, proc.stdout


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (the kernels, the renderers)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        p = int(status.parent.name)
        children.setdefault(int(fields.get("PPid", "0").strip()), []).append(p)
        rss[p] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total / 1024


def editions_run(work: Path, one_build_s: float, since: str | None) -> dict:
    """`make editions` from scratch in a fresh copy (one process), timed against one cold
    build measured in this same run; the process tree's memory sampled every half second,
    and its peak over each third of the editions (flat if it does not grow with them)."""
    import threading

    root = copy_project(work / "editions")
    cmd = [sys.executable, "-m", "haiti_report.build.editions", "--root", str(root)]
    cmd += ["--since", since] if since else []
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    current = {"edition": 0}
    peaks: dict[int, float] = {}
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "] edition " in line:
                current["edition"] += 1

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while proc.poll() is None:
        n = current["edition"]
        peaks[n] = max(peaks.get(n, 0.0), tree_rss_mb(proc.pid))
        time.sleep(0.5)
    reader.join()
    took = time.perf_counter() - began
    if proc.returncode != 0:
        raise RuntimeError("".join(lines[-20:]))
    count = current["edition"]
    began = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    again = time.perf_counter() - began
    thirds = [
        max((v for k, v in peaks.items() if count * i / 3 < k <= count * (i + 1) / 3), default=0.0)
        for i in range(3)
    ]
    return {
        "editions": count,
        "seconds": round(took, 1),
        "one_cold_build_seconds": round(one_build_s, 1),
        "ratio_to_one_build": round(took / one_build_s, 2),
        "goal_ratio": 5.0,
        "peak_rss_mb": round(max(peaks.values(), default=0.0), 1),
        "peak_rss_mb_by_third": [round(x, 1) for x in thirds],
        "all_reused_seconds": round(again, 1),
    }


def manifest(root: Path) -> dict:
    return json.loads((root / "reports/latest/manifest.json").read_text())


RENDERERS = ("quarto", "nbconvert")


def render_alone(
    executed: Path, out: Path, renderer: str | None = None, stem: str = "report", lang: str = "en"
) -> float:
    """The renderer alone, in a fresh process (as the build pays for it); ``renderer`` picks
    the route (default: the one the build uses); ``stem``, ``lang``: the edition."""
    code = (
        "import sys; from pathlib import Path; from haiti_report.build.render import render; "
        f"render(Path(sys.argv[1]), Path(sys.argv[2]), stem={stem!r}, lang={lang!r})"
    )
    env = dict(os.environ)
    if renderer is not None:
        env["HAITI_REPORT_NO_QUARTO"] = "1" if renderer == "nbconvert" else "0"
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(executed), str(out)], check=True, env=env)
    return time.perf_counter() - began


def pdf_pages(pdf: Path) -> int | None:
    if not pdf.exists() or not shutil.which("pdfinfo"):
        return None
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(next(ln.split()[-1] for ln in info.stdout.splitlines() if ln.startswith("Pages:")))


def render_routes(executed: Path, facts: Path, work: Path, repeat: int) -> dict:
    """Each renderer on the same executed notebook: seconds, report.html bytes, PDF pages."""
    routes = {}
    for name in RENDERERS:
        if name == "quarto" and shutil.which("quarto") is None:
            continue
        out = work / f"render-{name}"
        out.mkdir()
        shutil.copy2(facts, out / "facts.json")  # the title and date come from it
        times = [render_alone(executed, out, name) for _ in range(repeat)]
        routes[name] = {
            "seconds": stats(times),
            "html_bytes": (out / "report.html").stat().st_size,
            "pdf_pages": pdf_pages(out / "report.pdf"),
            "version": renderer_version(name),
        }
    return routes


def renderer_version(name: str) -> str:
    if name == "quarto":
        out = subprocess.run(["quarto", "--version"], capture_output=True, text=True)
        return f"Quarto {out.stdout.strip()} + Typst"
    import nbconvert

    from haiti_report.build.render import find_chromium

    chromium = find_chromium()
    return f"nbconvert {nbconvert.__version__}" + (
        " + " + Path(chromium).name if chromium else " (no PDF: no Chromium)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-dtm", action="store_true", help="skip the 1M/10M-row reader runs")
    parser.add_argument("--skip-editions", action="store_true", help="skip `make editions`")
    parser.add_argument(
        "--editions-since", default=None, help="first month of the editions run (default: all)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results.json")
    args = parser.parse_args()
    results: dict = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            # Other work on the machine slows every figure: the 1-minute load average, before
            # and after the run, says how busy it was.
            "load_average_before": round(os.getloadavg()[0], 2),
        },
        "measured_at": time.strftime("%Y-%m-%d"),
    }
    work = Path(tempfile.mkdtemp(prefix="haiti-bench-"))
    try:
        # Floor: a kernel started and the imports of each cleaning notebook (they run side by
        # side), the report's imports on top in a used kernel (the build lends it on), and the
        # renderer alone for each edition.
        floor_nb: dict = {}
        for name, code in NOTEBOOK_IMPORTS.items():
            if name == "report":
                continue
            runs = [
                kernel_start_and_imports(code, NOTEBOOK_IMPORTS["report"])
                for _ in range(args.repeat)
            ]
            floor_nb[name] = stats([a for a, _ in runs])
            floor_nb.setdefault("report_after_cleaning", []).extend(b for _, b in runs)
        floor_nb["report_after_cleaning"] = stats(floor_nb["report_after_cleaning"])
        cold, steps, noop, changed = [], [], [], []
        reran: list[str] = []
        for i in range(args.repeat):
            root = copy_project(work / f"p{i}")
            took, _ = build(root)
            cold.append(took)
            steps.append(
                {s["name"]: s["duration_s"] for s in manifest(root)["steps"]}
                | {"render": manifest(root)["render"]["duration_s"]}
            )
            noop.append(build(root)[0])
            target = root / "data/raw/displacement/context.csv"
            target.write_text(target.read_text(encoding="utf-8") + "\n", encoding="utf-8")
            changed.append(build(root)[0])
            reran = [s["name"] for s in manifest(root)["steps"] if s["status"] == "ran"]
        root = work / "p0"
        executed = root / "reports/latest/notebooks/20_report.ipynb"
        render_out = work / "render-only"
        render_out.mkdir()
        shutil.copy2(root / "reports/latest/facts.json", render_out / "facts.json")
        executed_fr = root / "reports/latest/notebooks/20_report.fr.ipynb"
        render_times = [
            render_alone(executed, render_out)
            + render_alone(executed_fr, render_out, None, "report.fr", "fr")
            for _ in range(args.repeat)
        ]
        floor_render = stats(render_times)
        results["render_routes"] = render_routes(
            executed, root / "reports/latest/facts.json", work, args.repeat
        )
        # The build runs the two cleaning notebooks side by side, so its floor is the slower
        # of the two, then the report's imports (twice: the English and the French notebooks
        # may get the two different kernels), then both editions' renders.
        floor_total = (
            max(floor_nb["clean_mss"]["median"], floor_nb["clean_displacement"]["median"])
            + floor_nb["report_after_cleaning"]["median"]
            + floor_render["median"]
        )
        results["floor"] = {
            "kernel_and_imports": floor_nb,
            "render": floor_render,
            "total_seconds": round(floor_total, 3),
        }
        results["cold_build"] = {
            "total": stats(cold),
            "steps": {k: stats([s[k] for s in steps]) for k in steps[0]},
            "ratio_to_floor": round(statistics.median(cold) / floor_total, 2),
            "renderer": manifest(root)["renderer"],
            "goal_ratio": 1.5,
        }
        results["noop_build"] = {**stats(noop), "goal_seconds": 1.0}
        results["one_raw_file_changed"] = {
            **stats(changed),
            "file": "data/raw/displacement/context.csv",
            "notebooks_rerun": reran,
        }
        if not args.skip_editions:
            results["editions"] = editions_run(work, statistics.median(cold), args.editions_since)
        html = root / "reports/latest/report.html"
        results["report"] = {"html_bytes": html.stat().st_size, "goal_bytes": 2_500_000}
        if shutil.which("chromium"):
            from browser import open_report

            draws = [open_report(html).draw_seconds for _ in range(args.repeat)]
            results["report"]["chart_draw_seconds"] = {**stats(draws), "goal_seconds": 1.5}
        if not args.skip_dtm:
            out = work / "dtm.json"
            subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "benchmarks/dtm_reader.py"),
                    "--out",
                    str(out),
                    "--repeat",
                    str(args.repeat),
                ],
                check=True,
            )
            results["dtm_reader"] = {
                **json.loads(out.read_text()),
                "measured_at": results["measured_at"],
            }
        elif args.out.exists():  # --skip-dtm keeps the last measured figures, with their date
            before = json.loads(args.out.read_text(encoding="utf-8"))
            if "dtm_reader" in before:
                results["dtm_reader"] = {
                    **before["dtm_reader"],
                    "measured_at": before["dtm_reader"].get("measured_at", before["measured_at"]),
                }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["load_average_after"] = round(os.getloadavg()[0], 2)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print_table(results)
    update_readme(results)
    return 0


README_START = "<!-- benchmark-table:start -->"
README_END = "<!-- benchmark-table:end -->"


def markdown_table(r: dict) -> str:
    """The README's benchmark table, made from results.json (so the two always agree)."""

    def s(x: dict) -> str:
        return f"{x['median']:.2f} s ({x['min']:.2f}–{x['max']:.2f})"

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    fl, cb, nb = r["floor"], r["cold_build"], r["noop_build"]
    ch, rp = r["one_raw_file_changed"], r["report"]
    rows = [
        ("floor: kernel start + imports, clean_mss", s(fl["kernel_and_imports"]["clean_mss"]), ""),
        (
            "floor: kernel start + imports, clean_displacement",
            s(fl["kernel_and_imports"]["clean_displacement"]),
            "",
        ),
        (
            "floor: the report's imports, in a kernel that ran a cleaning notebook",
            s(fl["kernel_and_imports"]["report_after_cleaning"]),
            "",
        ),
        (
            "floor: renderer alone (HTML + PDF, English and French editions)",
            s(fl["render"]),
            f"the build's renderer: {cb['renderer']}" if "renderer" in cb else "",
        ),
        ("floor: total (cleaning notebooks side by side)", f"{fl['total_seconds']:.2f} s", ""),
        ("cold `make report` (environment ready)", s(cb["total"]), ""),
        (
            "cold build / floor",
            f"{cb['ratio_to_floor']:.2f}×",
            f"goal ≤ {cb['goal_ratio']}×: {verdict(cb['ratio_to_floor'] <= cb['goal_ratio'])}",
        ),
        ("no-op `make report`", s(nb), f"goal ≤ 1 s: {verdict(nb['median'] <= 1)}"),
        (
            "one raw file changed (" + ch["file"].split("/")[-1] + ")",
            s(ch),
            "re-ran: " + ", ".join(ch["notebooks_rerun"]),
        ),
        (
            "report.html size",
            f"{rp['html_bytes'] / 1e6:.2f} MB",
            f"goal ≤ 2.5 MB: {verdict(rp['html_bytes'] <= rp['goal_bytes'])}",
        ),
    ]
    if "editions" in r:
        e = r["editions"]
        third = " / ".join(f"{x:,.0f}" for x in e["peak_rss_mb_by_third"])
        rows += [
            (
                f"`make editions` from scratch: {e['editions']} editions, one process",
                f"{e['seconds']:.1f} s",
                f"{e['ratio_to_one_build']:.1f}× one cold build "
                f"({e['one_cold_build_seconds']:.1f} s); goal ≤ {e['goal_ratio']:.0f}×: "
                + verdict(e["ratio_to_one_build"] <= e["goal_ratio"]),
            ),
            (
                "`make editions`: peak memory (process and kernels)",
                f"{e['peak_rss_mb']:,.0f} MB",
                f"peak per third of the editions: {third} MB",
            ),
            (
                "`make editions` again, every edition unchanged",
                f"{e['all_reused_seconds']:.1f} s",
                "",
            ),
        ]
    routes = r.get("render_routes", {})
    for route in (routes[name] for name in RENDERERS if name in routes):  # results.json sorts
        pages = route["pdf_pages"]
        rows.append(
            (
                f"render route: {route['version']}",
                s(route["seconds"]),
                f"report.html {route['html_bytes'] / 1e6:.2f} MB, "
                + (f"report.pdf {pages} pages" if pages else "no report.pdf"),
            )
        )
    if "chart_draw_seconds" in rp:
        d = rp["chart_draw_seconds"]
        rows.append(
            (
                "every chart drawn in headless Chromium",
                s(d),
                f"goal ≤ 1.5 s: {verdict(d['median'] <= d['goal_seconds'])}",
            )
        )
    dtm = r.get("dtm_reader", {})
    when = (
        f" (measured {dtm['measured_at']})"
        if dtm.get("measured_at", r["measured_at"]) != r["measured_at"]
        else ""
    )
    for n, size in sorted(dtm.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        ratio = size["time_ratio_pandas_over_polars"]
        rows.append(
            (
                f"DTM HDX CSV reader, {int(n):,} rows: ours (polars, lazy) vs pandas{when}",
                f"{size['polars']['seconds_median']:.2f} s vs "
                f"{size['pandas']['seconds_median']:.2f} s; peak "
                f"{size['polars']['peak_mb_median']:,.0f} MB vs "
                f"{size['pandas']['peak_mb_median']:,.0f} MB",
                f"×{ratio:.1f} faster (goal ≥ 5×: {verdict(ratio >= 5)})",
            )
        )
    if "growth" in dtm:
        g = dtm["growth"]
        rows.append(
            (
                f"DTM reader growth, {g['from_rows']:,} → {g['to_rows']:,} rows",
                f"time ×{g['polars_seconds']:.1f}, memory ×{g['polars_peak_mb']:.1f}",
                "goal: linear (×10 rows, at most ×10 time)",
            )
        )
    m = r["machine"]
    lines = [
        f"Measured {r['measured_at']} on {m['platform']}, {m['cpus']} CPUs, "
        f"{m['memory_gb']} GB, Python {m['python']} (median of runs, min–max)"
        + (
            f"; load average {m['load_average_before']:.1f} before and "
            f"{m['load_average_after']:.1f} after the run."
            if "load_average_after" in m
            else "."
        ),
        "",
        "| what | measured | goal |",
        "|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def update_readme(r: dict) -> None:
    """Replace the table between the README's benchmark markers with this run's."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START in text and README_END in text:
        head, rest = text.split(README_START, 1)
        _, tail = rest.split(README_END, 1)
        readme.write_text(
            f"{head}{README_START}\n{markdown_table(r)}\n{README_END}{tail}", encoding="utf-8"
        )


def print_table(r: dict) -> None:
    def row(name: str, value: str, goal: str = "") -> None:
        print(f"  {name:<44} {value:>22}  {goal}")

    print(f"Benchmarks on {r['machine']['platform']}, {r['machine']['cpus']} CPUs")
    fl = r["floor"]
    for name, s in fl["kernel_and_imports"].items():
        row(
            f"floor: kernel + imports ({name})",
            f"{s['median']:.2f} s [{s['min']:.2f}-{s['max']:.2f}]",
        )
    row("floor: renderer alone", f"{fl['render']['median']:.2f} s")
    row("floor: total (parallel cleaning)", f"{fl['total_seconds']:.2f} s")
    cb = r["cold_build"]
    row(
        "cold build",
        f"{cb['total']['median']:.2f} s [{cb['total']['min']:.2f}-{cb['total']['max']:.2f}]",
    )
    row("cold build / floor", f"{cb['ratio_to_floor']:.2f}x", "goal <= 1.5x")
    nb = r["noop_build"]
    row("no-op build", f"{nb['median']:.2f} s", "goal <= 1 s")
    ch = r["one_raw_file_changed"]
    row(
        "one raw file changed",
        f"{ch['median']:.2f} s",
        "re-ran: " + ", ".join(ch["notebooks_rerun"]),
    )
    for name, route in r.get("render_routes", {}).items():
        row(
            f"render route: {name}",
            f"{route['seconds']['median']:.2f} s",
            f"html {route['html_bytes'] / 1e6:.2f} MB, pdf {route['pdf_pages']} pages",
        )
    rp = r["report"]
    row("report.html size", f"{rp['html_bytes'] / 1e6:.2f} MB", "goal <= 2.5 MB")
    if "chart_draw_seconds" in rp:
        row(
            "all charts drawn (Chromium)",
            f"{rp['chart_draw_seconds']['median']:.2f} s",
            "goal <= 1.5 s",
        )


if __name__ == "__main__":
    sys.exit(main())
