"""Catch files: every row is stored or quarantined with a reason; reruns change nothing."""

from pathlib import Path

import pandas as pd
import pytest

from ingest import IngestError, ingest_catches, ingest_sites, parse_catch_table
from setnet.settings import Settings
from setnet.warehouse import connect

SITES = pd.DataFrame({"site_id": ["himi", "iwase"], "name_ja": ["氷見", "岩瀬"], "name_en": ["Himi", "Iwase"]})


def table(rows: list[list[str]], header: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=header, dtype=str)


def test_canonical_rows_are_accepted_and_species_names_mapped_to_codes() -> None:
    raw = table([["2024-11-28", "himi", "ブリ", "120.5"], ["2024/11/29", "iwase", "sardine", "1,200"]],
                ["date", "site_id", "species", "catch_kg"])
    accepted, quarantined = parse_catch_table(raw, SITES, "f.csv")
    assert quarantined.empty
    assert accepted.species.tolist() == ["yellowtail", "sardine"]
    assert accepted.catch_kg.tolist() == [120.5, 1200.0]
    assert [str(d) for d in accepted.date] == ["2024-11-28", "2024-11-29"]


def test_japanese_headers_and_site_names_are_understood() -> None:
    raw = table([["2024-11-28", "氷見", "マイワシ", "300"]], ["日付", "網名", "魚種", "漁獲量"])
    accepted, quarantined = parse_catch_table(raw, SITES, "f.csv")
    assert quarantined.empty
    assert accepted.iloc[0][["site_id", "species", "catch_kg"]].tolist() == ["himi", "sardine", 300.0]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (["2024-13-40", "himi", "ブリ", "1"], "unreadable date"),
        (["2024-11-28", "nowhere", "ブリ", "1"], "unknown site: nowhere"),
        (["2024-11-28", "himi", "マグロ", "1"], "unknown species: マグロ"),
        (["2024-11-28", "himi", "ブリ", "many"], "catch is not a number"),
        (["2024-11-28", "himi", "ブリ", "-5"], "negative catch"),
    ],
)
def test_bad_rows_are_quarantined_with_their_reason_and_line(row: list[str], reason: str) -> None:
    raw = table([["2024-11-27", "himi", "ブリ", "10"], row], ["date", "site_id", "species", "catch_kg"])
    accepted, quarantined = parse_catch_table(raw, SITES, "f.csv")
    assert len(accepted) == 1 and len(quarantined) == 1
    assert reason in quarantined.reason.iloc[0]
    assert quarantined.line.iloc[0] == 3  # header is line 1


def test_a_duplicate_key_is_quarantined_pointing_at_the_first_line() -> None:
    raw = table([["2024-11-28", "himi", "ブリ", "10"], ["2024-11-28", "himi", "ブリ", "12"]],
                ["date", "site_id", "species", "catch_kg"])
    accepted, quarantined = parse_catch_table(raw, SITES, "f.csv")
    assert accepted.catch_kg.tolist() == [10.0]
    assert quarantined.reason.iloc[0].startswith("duplicate of line 2")


def test_a_file_without_a_catch_column_is_a_one_line_error() -> None:
    raw = table([["2024-11-28", "himi", "ブリ"]], ["date", "site_id", "species"])
    with pytest.raises(IngestError, match=r"f\.csv: no column for catch_kg") as error:
        parse_catch_table(raw, SITES, "f.csv")
    assert "\n" not in str(error.value)


def test_shift_jis_files_are_stored_and_reruns_are_idempotent(settings: Settings, sites_csv: Path, tmp_path: Path) -> None:
    ingest_sites(settings, sites_csv)
    path = tmp_path / "exports" / "export.csv"
    path.parent.mkdir()
    text = "日付,網名,魚種,漁獲量\n2024-11-28,氷見,ブリ,120\n2024-11-28,氷見,マグロ,5\n2024-11-29,岩瀬,スルメイカ,40\n"
    path.write_bytes(text.encode("cp932"))
    first = ingest_catches(settings, [path])
    second = ingest_catches(settings, [path.parent])  # a folder works too
    assert (first.rows_read, first.rows_stored, first.rows_quarantined) == (3, 2, 1)
    assert second == first
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM catches").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM ingest_rejects").fetchone()[0] == 1
        assert con.execute("SELECT reason FROM ingest_rejects").fetchone()[0] == "unknown species: マグロ"


def test_catches_need_the_site_registry_first(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("date,site_id,species,catch_kg\n2024-11-28,himi,ブリ,1\n", encoding="utf-8")
    with pytest.raises(IngestError, match="no sites in the warehouse"):
        ingest_catches(settings, [path])
