"""`setnet ingest grids|catches`: a summary line after success; an unreadable file is one error line and exit 1."""

from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app
from tests.ingest import product_files as pf


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(app, ["--data-dir", str(data_dir), "ingest", *args])


def test_ingesting_grids_prints_a_summary_and_refuses_bad_files_with_one_line(
        tmp_path: Path, sites_csv: Path, prefect_harness: None) -> None:
    data = tmp_path / "data"
    assert run(data, "sites", str(sites_csv)).exit_code == 0
    pf.write_oisst(pf.truth(days=2), tmp_path / "oisst")
    result = run(data, "grids", str(tmp_path / "oisst" / "oisst-*.nc"))
    assert result.exit_code == 0, result.output
    assert "2 grid files (0 unchanged, 0 rejected): 2 days added, 0 days updated (2024-01-01..2024-01-02)" in result.stdout
    (tmp_path / "oisst" / "oisst-avhrr-v02r01.20240103.nc").write_bytes(b"\x89HDF truncated")
    again = run(data, "grids", str(tmp_path / "oisst"))
    assert again.exit_code == 1
    assert "2 unchanged, 1 rejected" in again.stdout
    errors = [line for line in again.stderr.splitlines() if line.startswith("setnet: error:")]
    assert len(errors) == 1 and "20240103.nc: not a readable NetCDF grid" in errors[0]


def test_ingesting_catches_prints_stored_updated_and_quarantined(tmp_path: Path, sites_csv: Path,
                                                                 prefect_harness: None) -> None:
    data = tmp_path / "data"
    run(data, "sites", str(sites_csv))
    path = tmp_path / "exports" / "日報.csv"
    path.parent.mkdir()
    path.write_bytes("日付,網名,ブリ(本),マイワシ\nR6.11.28,氷見,3,0\nR6.11.29,氷見,,\nR6.11.30,どこ,1,2\n".encode("cp932"))
    result = run(data, "catches", str(path.parent))
    assert result.exit_code == 0, result.output
    assert "3 lines read: 2 stored, 0 updated, 0 unchanged, 0 removed, 1 quarantined, 1 no-operation days" in result.stdout
    (path.parent / "broken.xlsx").write_bytes(b"not a workbook")
    failed = run(data, "catches", str(path.parent))
    assert failed.exit_code == 1
    assert "1 unchanged, 1 unreadable" in failed.stdout
    broken = (path.parent / "broken.xlsx").resolve()
    expected = (f"setnet: error: 1 catch file(s) unreadable, nothing stored from them; first: {broken}: "
                "not a readable XLSX workbook (File is not a zip file)")
    assert [line for line in failed.stderr.splitlines() if line.startswith("setnet: error:")] == [expected]
