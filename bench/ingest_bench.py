"""Benchmark of catch ingest (not a test): `make bench-ingest`, or

    .venv/bin/python -m bench.ingest_bench [--rows 1000000] [--only canonical|cooperative]

Two generated catch files of the same rows (cached under bench/.data/, made once per row count):

  canonical     UTF-8, `date,site_id,species,catch_kg`, ISO dates, site ids, species codes
  cooperative   Shift_JIS/CP932 as a cooperative's spreadsheet exports it: a title line above the header
                `日付,網名,魚種,漁獲量(kg),備考`, dates as 2024年11月28日, Japanese net and species names, digit
                grouping (1,234.5), a 休漁 remark on a few lines

Both carry a few bad lines (an unknown net, a date that is no date, a decimal comma): quarantined in bulk with
their line numbers. Each file is ingested by `ingest.ingest_catches` into a fresh warehouse (its site registry
registered first, not timed) in a fresh interpreter, whose peak resident memory (the kernel's VmHWM) includes the
interpreter and its imports. Prints rows/s, wall time and peak memory with PASS/FAIL against the targets: the
canonical file in under 10 s and 500 MB, the cooperative file within 3x of the canonical one's time (and under
500 MB); exit status 1 when a target is missed. Timings of this machine at this moment (its load is printed with
them, with the CPU seconds the ingest used, which a busy machine inflates less than the wall time): the tests
check what ingest does, never how fast.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
TARGET_S = 10.0
TARGET_MB = 500.0
COOPERATIVE_FACTOR = 3.0
N_SITES = 50
SPECIES = (("yellowtail", "ブリ"), ("firefly_squid", "ホタルイカ"), ("sardine", "マイワシ"), ("common_squid", "スルメイカ"))
BAD_EVERY = 10_000  # one line in this many is bad (three kinds in turn)


def sites_frame() -> pd.DataFrame:
    """N_SITES nets along Toyama Bay, in the registry's columns."""
    i = np.arange(N_SITES)
    return pd.DataFrame({"site_id": [f"net{k:02d}" for k in i], "name_ja": [f"定置{k:02d}号" for k in i],
                         "name_en": [f"Net {k:02d}" for k in i], "coop": "富山湾漁協", "lat": 36.8 + 0.002 * i,
                         "lon": 137.0 + 0.004 * i, "depth_m": 40.0, "bearing_deg": 0.0})


def catch_rows(n_rows: int, seed: int = 7) -> pd.DataFrame:
    """n_rows distinct (date, net, species) catches from 2000-01-01 on: day-major, then net, then species."""
    per_day = N_SITES * len(SPECIES)
    days = -(-n_rows // per_day)
    k = np.arange(n_rows)
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "date": pd.Timestamp("2000-01-01") + pd.to_timedelta(k // per_day, unit="D"),
        "site": k % per_day // len(SPECIES),
        "species": k % len(SPECIES),
        "catch_kg": np.round(rng.gamma(0.8, 400.0, n_rows), 1),
    }).iloc[:n_rows].assign(days=days)


def write_files(n_rows: int) -> dict[str, Path]:
    """The canonical and the cooperative file of n_rows lines (cached), and the registry CSV."""
    DATA.mkdir(parents=True, exist_ok=True)
    paths = {"sites": DATA / "ingest_sites.csv", "canonical": DATA / f"catches_canonical_{n_rows}.csv",
             "cooperative": DATA / f"catches_cooperative_{n_rows}.csv"}
    sites = sites_frame()
    sites.to_csv(paths["sites"], index=False)
    if paths["canonical"].exists() and paths["cooperative"].exists():
        return paths
    rows = catch_rows(n_rows)
    bad = np.arange(n_rows) % BAD_EVERY == BAD_EVERY - 1
    kind = (np.arange(n_rows) // BAD_EVERY) % 3
    kg = rows.catch_kg.map("{:.1f}".format)
    canonical = pd.DataFrame({
        "date": rows.date.dt.strftime("%Y-%m-%d").where(~(bad & (kind == 1)), "2001-02-30"),
        "site_id": sites.site_id.to_numpy()[rows.site].astype(object),
        "species": np.array([s for s, _ in SPECIES], dtype=object)[rows.species],
        "catch_kg": kg.where(~(bad & (kind == 2)), "1,5"),
    })
    canonical.loc[bad & (kind == 0), "site_id"] = "nowhere"
    tmp = paths["canonical"].with_suffix(".tmp")
    canonical.to_csv(tmp, index=False, encoding="utf-8")
    tmp.replace(paths["canonical"])
    grouped = rows.catch_kg.map("{:,.1f}".format)
    resting = (np.arange(n_rows) // len(SPECIES) % 499 == 0)  # a few days a net did not operate: every quantity blank
    cooperative = pd.DataFrame({
        "日付": [f"{d.year}年{d.month}月{d.day}日" for d in rows.date.dt.date.unique()
               for _ in range(N_SITES * len(SPECIES))][:n_rows],
        "網名": sites.name_ja.to_numpy()[rows.site].astype(object),
        "魚種": np.array([j for _, j in SPECIES], dtype=object)[rows.species],
        "漁獲量(kg)": grouped.where(~resting, "").where(~(bad & (kind == 2)), "1,5"),
        "備考": np.where(resting, "休漁", ""),
    })
    cooperative.loc[bad & (kind == 0), "網名"] = "どこか"
    cooperative.loc[bad & (kind == 1), "日付"] = "2001年2月30日"
    tmp = paths["cooperative"].with_suffix(".tmp")
    with tmp.open("w", encoding="cp932", newline="") as handle:
        handle.write("令和6年度 定置網漁獲報告,,,,\n")
        cooperative.to_csv(handle, index=False, lineterminator="\r\n")
    tmp.replace(paths["cooperative"])
    return paths


# --- one measurement, in a child process ------------------------------------------------------------------------

def peak_rss_mb() -> float:
    """This process's peak resident memory (MB): the kernel's VmHWM, which starts afresh at exec (getrusage's
    ru_maxrss does not: it keeps the peak of the parent the process was forked from)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux; elsewhere an estimate


def measure(layout: str, n_rows: int) -> dict:
    """Ingest one generated file into a fresh warehouse: seconds, peak RSS (MB) and the ingest's counts."""
    import ingest
    from setnet.settings import Settings

    paths = write_files(n_rows)
    with tempfile.TemporaryDirectory(dir=DATA) as folder:
        settings = Settings(data_dir=Path(folder) / "data")
        ingest.ingest_sites(settings, paths["sites"])
        rss_before = peak_rss_mb()
        start, cpu_start = time.perf_counter(), time.process_time()
        result = ingest.ingest_catches(settings, [paths[layout]])
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    peak = peak_rss_mb()
    return {"layout": layout, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": peak, "rss_before_mb": rss_before,
            "lines": result.rows_read, "stored": result.rows_stored, "quarantined": result.rows_quarantined,
            "no_operation_days": result.no_operation_days}


def run_child(layout: str, n_rows: int) -> dict:
    """`measure` in a fresh interpreter (so its peak memory is its own)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    out = subprocess.run([sys.executable, "-m", "bench.ingest_bench", "--child", layout, "--rows", str(n_rows)],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{layout}: the measurement failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Generate (or reuse) the files, measure each layout in its own process, print figures and PASS/FAIL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("canonical", "cooperative"))
    parser.add_argument("--child", choices=("canonical", "cooperative"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.rows)))
        return 0
    write_files(args.rows)
    load = os.getloadavg()
    print(f"catch ingest of {args.rows:,} rows; {os.cpu_count()} cores, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)")
    layouts = [args.only] if args.only else ["canonical", "cooperative"]
    results = {layout: run_child(layout, args.rows) for layout in layouts}
    ok = True
    for layout, r in results.items():
        time_ok = r["seconds"] < TARGET_S if layout == "canonical" else (
            r["seconds"] < COOPERATIVE_FACTOR * results["canonical"]["seconds"] if "canonical" in results
            else r["seconds"] < COOPERATIVE_FACTOR * TARGET_S)
        memory_ok = r["peak_mb"] < TARGET_MB
        target = (f"< {TARGET_S:g} s" if layout == "canonical" else f"< {COOPERATIVE_FACTOR:g}x canonical")
        print(f"{layout:12s} {r['lines']:>9,} lines in {r['seconds']:6.2f} s = {r['lines'] / r['seconds']:>9,.0f} rows/s "
              f"[{'PASS' if time_ok else 'FAIL'} {target}] (CPU {r['cpu_seconds']:.2f} s); peak RSS {r['peak_mb']:5.0f} MB (before ingest "
              f"{r['rss_before_mb']:.0f} MB) [{'PASS' if memory_ok else 'FAIL'} < {TARGET_MB:g} MB]; "
              f"{r['stored']:,} stored, {r['quarantined']:,} quarantined, {r['no_operation_days']:,} no-operation days")
        ok = ok and time_ok and memory_ok
    if len(results) == 2:
        ratio = results["cooperative"]["seconds"] / results["canonical"]["seconds"]
        print(f"cooperative / canonical time: {ratio:.2f}x")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
