"""Benchmark (not a test): what the swift-current warnings' verified record costs, computed against read back.

    .venv/bin/python -m bench.kyucho_record_bench [--years 1] [--sites 10] [--rounds 2]

Generates a sample world (seed 42; its hourly ocean forecasts cover the last 60 issue days) in a temporary folder,
ingests its registry and hourly forecasts, then times `models.training.kyucho_warning_record` (every stored hourly
forecast at every net, kyucho days, verification; what the model card runs) and the report's read of the stored
record (`reports.data.read_kyucho_record`, after `store_kyucho_record`, what the backtest runs). Prints the best
of `--rounds` each and PASS/FAIL: the report's read under 1 s (the daily run reads, never recomputes).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

READ_TARGET_S = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)

    import ingest
    import sample_world
    from models.training import kyucho_warning_record, store_kyucho_record
    from reports.data import read_kyucho_record
    from setnet.settings import Settings
    from setnet.warehouse import connect

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        world = sample_world.generate_world(root / "sample", years=args.years, sites=args.sites, seed=42)
        settings = Settings(data_dir=root / "data")
        ingest.ingest_sites(settings, world.sites_csv)
        ingest.ingest_grids(settings, [world.hourly_forecasts_dir])
        computed, read = [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            record = kyucho_warning_record(settings)
            computed.append(time.perf_counter() - start)
        store_kyucho_record(settings, world.end_date, record=record)
        for _ in range(args.rounds):
            start = time.perf_counter()
            with connect(settings.warehouse_path, read_only=True) as con:
                stored = read_kyucho_record(con, world.end_date)
            read.append(time.perf_counter() - start)
    print(f"world: {args.years} year(s), {args.sites} nets, seed 42; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"kyucho_warning_record (compute, {len(record)} rows): best {min(computed):.2f} s")
    print(f"read_kyucho_record (stored, {len(stored)} rows): best {min(read):.3f} s")
    verdict = min(read) < READ_TARGET_S
    print(f"{'PASS' if verdict else 'FAIL'}: the report reads the stored record in under {READ_TARGET_S:.0f} s")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
