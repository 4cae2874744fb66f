"""Kills as corpus cases. The slow end-to-end proofs are the flows' own (docs/reliability.md names each:
tests/flows/test_reruns.py, tests/ingest/test_grids.py; two runs at once: tests/setnet/test_operations.py and
test_hostile_registries.py); this is the small, fast, distinct one: a catch ingest SIGKILLed inside its transaction
(after writing a table, before the commit) leaves every store as it was, and a rerun equals a clean run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ingest
from setnet.settings import Settings
from tests.fixtures import HANG_GUARD_S, write_sites_csv
from tests.reliability.conftest import fingerprint

PROJECT_DIR = Path(__file__).resolve().parents[2]
CATCHES = ("date,site_id,species,catch_kg\n"
           "2024-11-26,himi,yellowtail,120\n2024-11-27,iwase,sardine,35.5\n2024-11-28,uozu,ブリ,1\n"
           "2024-11-28,nowhere,yellowtail,3\n")  # three stored, one quarantined: every table of a catch file written
KILLED_INGEST = textwrap.dedent('''
    import json, os, signal, sys
    from pathlib import Path
    import ingest, ingest.catches as catches
    from setnet.settings import Settings

    spec = json.loads(sys.argv[1])
    def killed_after(real):
        def write(con, table, rows):
            done = real(con, table, rows)
            if table == spec["table"]:  # written inside the file's transaction, not yet committed
                os.kill(os.getpid(), signal.SIGKILL)
            return done
        return write

    catches.upsert = killed_after(catches.upsert)
    catches.insert_new = killed_after(catches.insert_new)  # the catches go in by a plain INSERT, chunk by chunk
    ingest.ingest_catches(Settings(data_dir=spec["data_dir"]), [Path(spec["file"])])
''')


@pytest.mark.parametrize("table", ["catches", "ingest_rejects"])
def test_a_catch_ingest_killed_mid_write_leaves_the_stores_and_a_rerun_equals_a_clean_run(
        table: str, registered: Settings, tmp_path: Path) -> None:
    path = tmp_path / "catches.csv"
    path.write_text(CATCHES, encoding="utf-8")
    before = fingerprint(registered)
    spec = json.dumps({"table": table, "data_dir": str(registered.data_dir), "file": str(path)})
    killed = subprocess.run([sys.executable, "-c", KILLED_INGEST, spec], cwd=PROJECT_DIR, capture_output=True,
                            text=True, timeout=HANG_GUARD_S, check=False, env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert fingerprint(registered) == before  # nothing of the killed write is left

    ingest.ingest_catches(registered, [path])
    clean = Settings(data_dir=tmp_path / "clean")
    ingest.ingest_sites(clean, write_sites_csv(tmp_path / "sites.csv"))
    ingest.ingest_catches(clean, [path])
    assert fingerprint(registered) == fingerprint(clean) != before

