"""The hostile-input corpus, site registries and the stores themselves: a bad registry is refused with one line
naming the file (and line) and changes nothing; markup and SQL in names are stored as text with every table intact;
a corrupt warehouse, a data folder another run holds and a disk that fills up are each one line, never a traceback,
and leave the stores as they were.

docs/reliability.md lists every case and what it promises."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

import ingest
from ingest import IngestError
from setnet import operations
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.fixtures import HANG_GUARD_S, TINY_SITES, tiny_sites, write_sites_csv
from tests.reliability.conftest import fingerprint

HEADER = "site_id,name_ja,name_en,coop,lat,lon,depth_m,bearing_deg\n"
GOOD = "himi,氷見,Himi,氷見漁協,36.86,136.99,40,90\n"

REFUSED = {
    "a duplicate site id": (HEADER + GOOD + GOOD, "site_id himi appears more than once"),
    "a latitude out of range": (HEADER + "himi,氷見,Himi,氷見漁協,96.86,136.99,40,90\n",
                                ":2: site himi has an invalid position (96.86, 136.99)"),
    "a longitude out of range": (HEADER + "himi,氷見,Himi,氷見漁協,36.86,400,40,90\n", "has an invalid position"),
    "a position that is not a number": (HEADER + "himi,氷見,Himi,氷見漁協,北緯36度,136.99,40,90\n",
                                        "has an invalid position"),
    "an empty site id": (HEADER + ",氷見,Himi,氷見漁協,36.86,136.99,40,90\n", ":2: empty site_id"),
    "a missing column": ("site_id,name_ja\nhimi,氷見\n", "site registry lacks column(s) name_en, coop, lat, lon"),
    "an empty file": ("", "not a readable CSV table"),
    "a file neither UTF-8 nor Shift_JIS": (None, "text is neither UTF-8 nor Shift_JIS/CP932"),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_a_bad_registry_is_refused_with_one_line_and_changes_nothing(case: str, registered: Settings,
                                                                      tmp_path: Path) -> None:
    text, reason = REFUSED[case]
    path = tmp_path / "bad_sites.csv"
    path.write_bytes((HEADER + GOOD).encode("utf-16") if text is None else text.encode("utf-8"))
    before = fingerprint(registered)
    with pytest.raises(IngestError) as error:
        ingest.ingest_sites(registered, path)
    assert reason in str(error.value) and str(path) in str(error.value) and "\n" not in str(error.value)
    assert fingerprint(registered) == before


def test_markup_and_sql_in_names_are_stored_as_text_and_every_table_stays(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    hostile = tiny_sites(site_id=["himi'; DROP TABLE sites; --", "iwase", "uozu"],
                         name_ja=["<script>alert(1)</script>", "岩瀬", "魚津"],
                         coop=['"; DELETE FROM catches; --', "富山県漁協", "<b>魚津漁協</b>"])
    assert ingest.ingest_sites(settings, write_sites_csv(tmp_path / "sites.csv", hostile)) == 3
    with connect(settings.warehouse_path, read_only=True) as con:
        stored = con.execute("SELECT site_id, name_ja, coop FROM sites ORDER BY site_id").fetchall()
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert ("himi'; DROP TABLE sites; --", "<script>alert(1)</script>", '"; DELETE FROM catches; --') in stored
    assert {"sites", "catches", "species", "grid_sources"} <= tables


def test_a_registry_in_0_360_longitudes_and_shift_jis_is_stored_in_minus_180_180(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    path = tmp_path / "sites.csv"
    path.write_bytes((HEADER + "himi,氷見,Himi,氷見漁協,36.86,136.99,40,90\nfar,遠方,Far,遠方漁協,0,200,10,0\n")
                     .encode("cp932"))
    ingest.ingest_sites(settings, path)
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT site_id, lon FROM sites ORDER BY site_id").fetchall() == [("far", -160.0),
                                                                                             ("himi", 136.99)]


def test_a_corrupt_warehouse_is_one_line_naming_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir()
    settings.warehouse_path.write_bytes(b"this is not a DuckDB database\n" * 200)
    with pytest.raises(RuntimeError) as error:
        ingest.ingest_sites(settings, write_sites_csv(tmp_path / "sites.csv"))
    message = str(error.value)
    assert message.startswith(f"warehouse {settings.warehouse_path} is not a DuckDB database") and "\n" not in message
    assert settings.warehouse_path.read_bytes() == b"this is not a DuckDB database\n" * 200


def test_catches_before_any_site_registry_are_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    path = tmp_path / "c.csv"
    path.write_text("日付,網名,魚種,漁獲量\n2024-11-28,氷見,ブリ,1\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"^no sites in the warehouse: run `setnet ingest sites FILE` first$"):
        ingest.ingest_catches(settings, [path])


HOLDER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from setnet import operations
    from setnet.settings import Settings

    with operations.run_lock(Settings(data_dir=Path(sys.argv[1])), "daily"):
        print("held", flush=True)
        sys.stdin.read()  # until the test closes stdin
''')


def test_a_data_folder_another_run_holds_is_refused_with_one_line(registered: Settings) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(registered.data_dir)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(operations.SetnetBusy) as error, operations.run_lock(registered, "ingest", wait_seconds=0):
            pass
        assert str(error.value).startswith(f"another setnet run (pid {holder.pid}, flow daily, started ")
        assert str(error.value).endswith(f"holds {registered.data_dir}; try again when it ends")
    finally:
        holder.stdin.close()
        holder.wait(timeout=HANG_GUARD_S)


FULL_DISK = textwrap.dedent('''
    import resource, signal, sys
    from pathlib import Path
    import ingest
    from setnet.settings import Settings

    settings = Settings(data_dir=Path(sys.argv[1]))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), resource.RLIM_INFINITY))
    try:
        ingest.ingest_catches(settings, [Path(sys.argv[2])])
    except Exception as error:
        print("ERROR " + str(error).strip().splitlines()[0], flush=True)
        sys.exit(1)
    print("OK")
''')


def test_a_disk_filling_up_mid_ingest_leaves_the_warehouse_as_it_was(registered: Settings, tmp_path: Path) -> None:
    lines = "".join(f"2024-{1 + day // 28:02d}-{1 + day % 28:02d},{site},ブリ,{day}\n"
                    for day in range(300) for site in TINY_SITES.site_id)
    path = tmp_path / "big.csv"
    path.write_text("日付,網名,魚種,漁獲量\n" + lines, encoding="utf-8")
    before = fingerprint(registered)
    limit = 4096  # no file may be written past 4 KiB: the first write to the warehouse or its log fails
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(registered.data_dir), str(path), str(limit)],
                          check=False, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("ERROR ") and done.stdout.count("\n") == 1
    assert fingerprint(registered) == before
    assert signal.SIGXFSZ  # the simulated full disk is this signal's limit, ignored so the write fails instead


def _read_only(path: Path, on: bool) -> None:
    """Make a file unwritable: chmod for a user; for root (whom permissions do not stop) the immutable flag."""
    if os.geteuid() != 0:
        path.chmod(0o444 if on else 0o644)
        return
    done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=False, capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"no way to make a file read-only for root here: {done.stderr.decode().strip()}")


def test_a_read_only_warehouse_is_one_line_naming_it(registered: Settings, tmp_path: Path) -> None:
    before = registered.warehouse_path.read_bytes()
    _read_only(registered.warehouse_path, True)
    try:
        with pytest.raises(duckdb.IOException) as error:
            ingest.ingest_sites(registered, write_sites_csv(tmp_path / "again.csv"))
    finally:
        _read_only(registered.warehouse_path, False)
    message = str(error.value)
    assert str(registered.warehouse_path) in message and "\n" not in message
    assert registered.warehouse_path.read_bytes() == before
