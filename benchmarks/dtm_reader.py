"""Benchmark: our lazy polars reader of the HDX global DTM CSV vs a plain pandas reader.

Not a test. Run by hand (or ``make bench``):

    .venv/bin/python benchmarks/dtm_reader.py --rows 1000000 10000000 --repeat 3

It writes synthetic files in the HDX layout (header, HXL row, data; ~50 countries, ~2% Haiti;
reused from --data-dir when present), then times, side by side in one run:

* polars: ``haiti_report.raw.dtm.read_hdx_csv`` (lazy scan, Haiti filter pushed into the scan);
* pandas: ``pd.read_csv`` of the whole file (skiprows=[1]), filter admin0Pcode == "HTI",
  groupby-sum, i.e. what one would write without thinking about memory.

Each measurement runs in a fresh subprocess, so its peak RSS (the child's own VmHWM, which,
unlike ru_maxrss, does not inherit the parent's size through fork) belongs to that reader
alone; it includes the interpreter and imported libraries. Seconds are timed inside the child
around the read only (interpreter start-up and imports excluded). Both readers' Haiti figures
must be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HEADER = (
    "id,operation,admin0Name,admin0Pcode,admin1Name,admin1Pcode,admin2Name,admin2Pcode,"
    "adminLevel,numPresentIdpInd,reportingDate,yearReportingDate,monthReportingDate,"
    "roundNumber,displacementReason,numberMales,numberFemales,idpOriginAdmin1Name,"
    "idpOriginAdmin1Pcode,assessmentType,operationStatus"
)
HXL = (
    "#id+code,#operation+name,#country+name,#country+code,#adm1+name,#adm1+code,#adm2+name,"
    "#adm2+code,#adm+level,#affected+idps,#date+reported,#date+year+reported,"
    "#date+month+reported,#round+code,#cause+type,#affected+idps+m,#affected+idps+f,"
    "#adm1+name+origin,#adm1+code+origin,#assessment+type,#operation+status"
)
OTHER_COUNTRIES = [
    "AFG",
    "BDI",
    "BFA",
    "CAF",
    "CMR",
    "COD",
    "ETH",
    "IRQ",
    "LBY",
    "MLI",
    "MOZ",
    "NER",
    "NGA",
    "SDN",
    "SOM",
    "SSD",
    "SYR",
    "TCD",
    "UKR",
    "YEM",
    "COL",
    "VEN",
    "PER",
    "ECU",
    "BRA",
    "GTM",
    "HND",
    "SLV",
    "MEX",
    "PAN",
    "DOM",
    "CUB",
    "JAM",
    "BGD",
    "MMR",
    "PAK",
    "PHL",
    "IDN",
    "PNG",
    "LBN",
    "JOR",
    "TUR",
    "ZWE",
    "ZMB",
    "MWI",
    "KEN",
    "UGA",
    "RWA",
    "TZA",
]  # 49 + HTI = 50 countries
HAITI_SHARE = 0.02
CHUNK = 1_000_000


# ------------------------------------------------------------------------------------------
# Synthetic data
# ------------------------------------------------------------------------------------------


def _chunk(n: int, seed: int):  # -> pl.DataFrame
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    haiti = rng.random(n) < HAITI_SHARE
    country = np.where(haiti, "HTI", rng.choice(OTHER_COUNTRIES, n))
    level = rng.choice([0, 1, 2], n, p=[0.1, 0.3, 0.6])
    dept = rng.integers(1, 11, n)
    rnd = rng.integers(1, 13, n)
    op = rng.choice(["Countrywide monitoring", "Mobility tracking", "Flood response"], n)
    idps = rng.integers(0, 50_000, n)
    males = (idps * rng.uniform(0.4, 0.6, n)).astype(np.int64)
    return pl.DataFrame(
        {
            "country": country,
            "level": level,
            "dept": dept,
            "rnd": rnd,
            "op": op,
            "idps": idps,
            "males": males,
            "ba": rng.random(n) < 0.9,
            "reason": rng.choice(["Conflict", "Natural disaster"], n),
        }
    ).select(
        id=pl.lit(None, dtype=pl.String),
        operation="op",
        admin0Name=pl.col("country") + pl.lit(" (name)"),
        admin0Pcode="country",
        admin1Name=pl.when(pl.col("level") >= 1).then(pl.format("Department {}", "dept")),
        admin1Pcode=pl.when(pl.col("level") >= 1).then(
            pl.col("country").str.slice(0, 2) + pl.col("dept").cast(pl.String).str.zfill(2)
        ),
        admin2Name=pl.when(pl.col("level") == 2).then(pl.format("Commune {}1", "dept")),
        admin2Pcode=pl.when(pl.col("level") == 2).then(pl.format("X{}1", "dept")),
        adminLevel="level",
        numPresentIdpInd="idps",
        reportingDate=pl.date(2023, "rnd", 1).dt.month_end().dt.strftime("%Y-%m-%dT00:00:00"),
        yearReportingDate=pl.lit(2023),
        monthReportingDate="rnd",
        roundNumber="rnd",
        displacementReason="reason",
        numberMales="males",
        numberFemales=pl.col("idps") - pl.col("males"),
        idpOriginAdmin1Name=pl.lit("Not available"),
        idpOriginAdmin1Pcode=pl.lit("Not available"),
        assessmentType=pl.when("ba").then(pl.lit("BA")).otherwise(pl.lit("SA")),
        operationStatus=pl.lit("Active"),
    )


def ensure_file(data_dir: Path, rows: int) -> Path:
    path = data_dir / f"global-iom-dtm-synthetic-{rows}.csv"
    if path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    started = time.perf_counter()
    with partial.open("wb") as handle:
        handle.write(f"{HEADER}\n{HXL}\n".encode())
        for i, start in enumerate(range(0, rows, CHUNK)):
            _chunk(min(CHUNK, rows - start), seed=i).write_csv(handle, include_header=False)
    partial.rename(path)  # only complete files are ever reused
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:,.0f} MB) in "
        f"{time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return path


# ------------------------------------------------------------------------------------------
# Workers (run in a fresh subprocess each)
# ------------------------------------------------------------------------------------------


def work_polars(path: Path) -> list[list]:
    from haiti_report.raw.dtm import read_hdx_csv  # already imported before the clock started

    df = read_hdx_csv(path, country="HTI")
    return [
        [
            r["operation"],
            r["admin_level"],
            r["admin1_pcode"],
            r["round"],
            r["reporting_date"].isoformat(),
            r["assessment_type"],
            r["idps"],
        ]
        for r in df.iter_rows(named=True)
    ]


def work_pandas(path: Path) -> list[list]:
    import pandas as pd  # already imported before the clock started

    df = pd.read_csv(path, skiprows=[1])
    hti = df[(df["admin0Pcode"] == "HTI") & df["adminLevel"].isin([0, 1])]
    keys = [
        "operation",
        "adminLevel",
        "admin1Pcode",
        "roundNumber",
        "reportingDate",
        "assessmentType",
    ]
    summed = hti.groupby(keys, dropna=False)["numPresentIdpInd"].sum().reset_index()
    return [
        [
            r.operation,
            int(r.adminLevel),
            None if pd.isna(r.admin1Pcode) else r.admin1Pcode,
            str(int(r.roundNumber)),
            str(r.reportingDate)[:10],
            r.assessmentType,
            int(r.numPresentIdpInd),
        ]
        for r in summed.itertuples(index=False)
    ]


def rss_mb() -> float | None:
    """Current RSS (Linux only): the baseline of interpreter + libraries before reading."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """This process's own peak RSS. VmHWM starts afresh at exec, whereas ru_maxrss (and
    wait4's rusage) would also count the parent's memory copied in at fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource  # fallback (macOS reports bytes, Linux KiB)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def run_worker(reader: str, path: Path, out: Path) -> None:
    if reader == "polars":
        import haiti_report.raw.dtm  # noqa: F401  (imports stay outside the timing)
    else:
        import pandas  # noqa: F401
    after_imports = rss_mb()
    work = {"polars": work_polars, "pandas": work_pandas}[reader]
    started = time.perf_counter()
    rows = work(path)
    seconds = time.perf_counter() - started
    out.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak_rss_mb(),
                "after_imports_mb": after_imports,
                "rows": sorted(rows, key=repr),
            }
        )
    )


def measure(reader: str, path: Path) -> tuple[float, float, float | None, list]:
    """(seconds, peak MB, MB after imports, rows) for one reader in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                reader,
                "--file",
                str(path),
                "--worker-out",
                str(out),
            ],
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{reader} worker failed on {path} (exit {done.returncode})")
        result = json.loads(out.read_text())
    return result["seconds"], result["peak_mb"], result["after_imports_mb"], result["rows"]


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------


def summarise(seconds: list[float], peaks: list[float]) -> dict:
    return {
        "seconds_median": statistics.median(seconds),
        "seconds_min": min(seconds),
        "seconds_max": max(seconds),
        "seconds_all": seconds,
        "peak_mb_median": statistics.median(peaks),
        "peak_mb_max": max(peaks),
        "peak_mb_all": peaks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("dtm_reader_results.json")
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "haiti_dtm_bench"
    )
    parser.add_argument("--worker", choices=["polars", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker, args.file, args.worker_out)
        return

    import pandas as pd
    import polars as pl

    results: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "polars": pl.__version__,
            "pandas": pd.__version__,
            "platform": platform.platform(),
        },
        "haiti_share": HAITI_SHARE,
        "repeat": args.repeat,
        "sizes": {},
    }
    for rows in args.rows:
        path = ensure_file(args.data_dir, rows)
        timings: dict[str, tuple[list[float], list[float]]] = {
            "polars": ([], []),
            "pandas": ([], []),
        }
        answers: dict[str, list] = {}
        baselines: dict[str, float | None] = {}
        for rep in range(args.repeat):
            for reader in ("polars", "pandas"):  # interleaved so drift hits both alike
                seconds, peak, baseline, got = measure(reader, path)
                timings[reader][0].append(seconds)
                timings[reader][1].append(peak)
                baselines[reader] = baseline
                if answers.setdefault(reader, got) != got:
                    raise SystemExit(f"{reader} gave different figures on repetition {rep + 1}")
                print(
                    f"  {rows:>11,} rows  {reader:<6} run {rep + 1}: {seconds:7.2f} s  "
                    f"{peak:8,.0f} MB",
                    file=sys.stderr,
                )
        equal = answers["polars"] == answers["pandas"]
        if not equal:
            raise SystemExit(f"polars and pandas disagree on {path}")
        size: dict[str, Any] = {
            r: {**summarise(*timings[r]), "after_imports_mb": baselines[r]} for r in timings
        }
        size["file_mb"] = path.stat().st_size / 1e6
        size["haiti_groups"] = len(answers["polars"])
        size["haiti_idps_total"] = sum(r[-1] for r in answers["polars"] if r[1] == 0)
        size["results_equal"] = equal
        size["time_ratio_pandas_over_polars"] = (
            size["pandas"]["seconds_median"] / size["polars"]["seconds_median"]
        )
        size["peak_mb_ratio_pandas_over_polars"] = (
            size["pandas"]["peak_mb_median"] / size["polars"]["peak_mb_median"]
        )
        results["sizes"][str(rows)] = size

    sizes = results["sizes"]
    if len(sizes) >= 2:
        small, large = sorted(sizes, key=int)[0], sorted(sizes, key=int)[-1]
        results["growth"] = {
            "from_rows": int(small),
            "to_rows": int(large),
            **{
                f"{r}_{m}": sizes[large][r][f"{m}_median"] / sizes[small][r][f"{m}_median"]
                for r in ("polars", "pandas")
                for m in ("seconds", "peak_mb")
            },
        }

    print(
        f"\n{'rows':>11} {'file MB':>8} {'reader':<7} {'median s':>9} {'min s':>7} "
        f"{'max s':>7} {'peak MB':>8} {'of which libs':>13}"
    )
    for rows, size in sizes.items():
        for r in ("polars", "pandas"):
            s = size[r]
            print(
                f"{int(rows):>11,} {size['file_mb']:>8,.0f} {r:<7} {s['seconds_median']:>9.2f} "
                f"{s['seconds_min']:>7.2f} {s['seconds_max']:>7.2f} {s['peak_mb_max']:>8,.0f} "
                f"{s['after_imports_mb'] or float('nan'):>13,.0f}"
            )
        print(
            f"{'':>11} pandas/polars: time x{size['time_ratio_pandas_over_polars']:.1f}, "
            f"peak memory x{size['peak_mb_ratio_pandas_over_polars']:.1f}; "
            f"results equal: {size['results_equal']}"
        )
    if "growth" in results:
        g = results["growth"]
        print(
            f"growth {g['to_rows']:,}/{g['from_rows']:,} rows: "
            f"polars time x{g['polars_seconds']:.1f}, memory x{g['polars_peak_mb']:.1f}; "
            f"pandas time x{g['pandas_seconds']:.1f}, memory x{g['pandas_peak_mb']:.1f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
