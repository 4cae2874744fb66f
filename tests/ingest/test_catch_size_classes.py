"""Yellowtail by size class (銘柄): kept beside the summed catch where a cooperative's file sorts them (migration 8),
replaced with the file's other rows, and never invented for a file that gives the whole species."""

from pathlib import Path

import pandas as pd
import pytest

from ingest import ingest_catches, ingest_sites, parse_catch_table
from setnet.settings import Settings
from setnet.warehouse import connect

SITES = pd.DataFrame({"site_id": ["himi", "iwase"], "name_ja": ["氷見", "岩瀬"], "name_en": ["Himi", "Iwase"]})
COUNTED = "日付,網名,魚種,銘柄,本数\n2024-11-28,氷見,ブリ,ブリ,10\n2024-11-28,氷見,ブリ,ガンド,20\n" \
          "2024-11-28,氷見,ブリ,フクラギ,30\n2024-11-29,氷見,ブリ,ブリ,0\n"


def sizes(settings: Settings) -> list[list[object]]:
    with connect(settings.warehouse_path, read_only=True) as con:
        return [list(row) for row in con.execute(
            "SELECT CAST(date AS VARCHAR), site_id, species, size_class, catch_kg, fish_count "
            "FROM catch_size_classes ORDER BY ALL").fetchall()]


def catches(settings: Settings) -> list[tuple]:
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute("SELECT CAST(date AS VARCHAR), site_id, species, catch_kg FROM catches ORDER BY ALL").fetchall()


@pytest.fixture
def registered(settings: Settings, sites_csv: Path) -> Settings:
    ingest_sites(settings, sites_csv)
    return settings


def test_fish_counted_by_size_class_are_kept_with_their_kilograms() -> None:
    table = pd.DataFrame([["2024-11-28", "氷見", "ブリ", "ブリ", "10"], ["2024-11-28", "氷見", "ブリ", "ガンド", "20"],
                          ["2024-11-28", "氷見", "ブリ", "フクラギ", "30"]], columns=["日付", "網名", "魚種", "銘柄", "本数"])
    parsed = parse_catch_table(table, SITES, "f.csv")
    assert parsed.catches.catch_kg.tolist() == [10 * 9.0 + 20 * 4.5 + 30 * 1.5]  # by ingest/tables/fish_weights.csv
    rows = parsed.size_classes.sort_values("size_class")
    assert rows.size_class.tolist() == ["ガンド", "フクラギ", "ブリ"]
    assert rows.fish_count.tolist() == [20, 30, 10] and rows.catch_kg.tolist() == [90.0, 45.0, 90.0]


def test_a_wide_sheet_with_a_column_per_size_class_is_sorted_too() -> None:
    table = pd.DataFrame([["2024-11-28", "氷見", "120", "80", "40"]], columns=["日付", "網名", "ブリ", "ガンド", "フクラギ"])
    parsed = parse_catch_table(table, SITES, "f.csv")
    assert parsed.catches.catch_kg.tolist() == [240.0]
    assert sorted(zip(parsed.size_classes.size_class, parsed.size_classes.catch_kg, strict=True)) == [
        ("ガンド", 80.0), ("フクラギ", 40.0), ("ブリ", 120.0)]
    assert parsed.size_classes.fish_count.isna().all()  # weighed, not counted


def test_a_lone_buri_column_is_the_whole_yellowtail_catch_not_a_size_class() -> None:
    table = pd.DataFrame([["2024-11-28", "himi", "ブリ", "120"]], columns=["date", "site_id", "species", "catch_kg"])
    assert parse_catch_table(table, SITES, "f.csv").size_classes.empty


def test_size_classes_are_stored_in_the_files_transaction_and_reingesting_changes_nothing(registered: Settings,
                                                                                          tmp_path: Path) -> None:
    path = tmp_path / "himi_buri.csv"
    path.write_text(COUNTED, encoding="utf-8")
    ingest_catches(registered, [path])
    first = sizes(registered)
    assert [row[3:] for row in first if row[0] == "2024-11-28"] == [["ガンド", 90.0, 20.0], ["フクラギ", 45.0, 30.0],
                                                                     ["ブリ", 90.0, 10.0]]
    assert catches(registered) == [("2024-11-28", "himi", "yellowtail", 225.0), ("2024-11-29", "himi", "yellowtail", 0.0)]
    ingest_catches(registered, [path], force=True)
    assert sizes(registered) == first


def test_a_corrected_file_replaces_its_size_classes_and_a_total_from_another_file_drops_them(registered: Settings,
                                                                                            tmp_path: Path) -> None:
    path = tmp_path / "himi_buri.csv"
    path.write_text(COUNTED, encoding="utf-8")
    ingest_catches(registered, [path])
    path.write_text("日付,網名,魚種,銘柄,本数\n2024-11-28,氷見,ブリ,ブリ,12\n2024-11-28,氷見,ブリ,ガンド,0\n", encoding="utf-8")
    ingest_catches(registered, [path])
    assert [row[3:] for row in sizes(registered)] == [["ガンド", 0.0, 0.0], ["ブリ", 108.0, 12.0]]
    total = tmp_path / "total.csv"
    total.write_text("date,site_id,species,catch_kg\n2024-11-28,himi,ブリ,300\n", encoding="utf-8")
    ingest_catches(registered, [total])  # the day's yellowtail now come from a file without classes
    assert sizes(registered) == [] and catches(registered) == [("2024-11-28", "himi", "yellowtail", 300.0)]


def test_the_chunks_sized_records_kept_compact_give_the_size_classes_of_the_whole_file():
    """_compact_sized and _sized_of_sorted_species (a file stored chunk by chunk) decide the size classes as
    size_class_rows over every chunk's records: a species sorted by a second class in a later chunk keeps the
    first chunk's rows, one lone class is dropped, a 銘柄 cell sorts its species."""
    from datetime import date

    from ingest.catches import _compact_sized, _sized_of_sorted_species, size_class_rows

    def piece(day: int, rows: list[tuple[str, str, str, str, float, float | None]]) -> pd.DataFrame:
        return pd.DataFrame({"date": [date(2024, 11, day)] * len(rows), "site_id": [r[0] for r in rows],
                             "species": [r[1] for r in rows], "size_class": [r[2] for r in rows],
                             "size_raw": [r[3] for r in rows], "catch_kg": [r[4] for r in rows],
                             "fish_count": [r[5] for r in rows]})

    pieces = [piece(1, [("himi", "yellowtail", "ガンド", "", 30.0, None), ("himi", "sardine", "大", "", 5.0, None),
                        ("iwase", "firefly_squid", "", "", 2.0, None)]),
              piece(2, [("himi", "yellowtail", "ブリ", "", 90.0, 10.0), ("himi", "sardine", "大", "", 6.0, None),
                        ("iwase", "firefly_squid", "小", "小", 3.0, None)]),
              piece(3, [])]
    whole = size_class_rows(pd.concat(pieces, ignore_index=True), "f.csv")
    compact = size_class_rows(_sized_of_sorted_species([_compact_sized(p) for p in pieces]), "f.csv")
    assert set(whole.species) == {"yellowtail", "firefly_squid"}  # sardine: one class, never sorted
    pd.testing.assert_frame_equal(compact.reset_index(drop=True), whole.reset_index(drop=True))
    assert size_class_rows(_sized_of_sorted_species([_compact_sized(piece(4, []))]), "f.csv").empty
