"""Catch files as cooperatives export them: every line is stored, a no-operation day, or quarantined with a reason;
re-ingesting changes nothing; a corrected file replaces exactly its rows; a crash leaves the warehouse as it was."""

import re
from pathlib import Path

import pandas as pd
import pytest

from ingest import IngestError, ingest_catches, ingest_sites, parse_catch_table
from ingest.dictionaries import load_catch_tables
from setnet.settings import Settings
from setnet.warehouse import connect

SITES = pd.DataFrame({"site_id": ["himi", "iwase"], "name_ja": ["氷見", "岩瀬"], "name_en": ["Himi", "Iwase"]})
LONG = ["date", "site_id", "species", "catch_kg"]


def table(rows: list[list[object]], header: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=header, dtype=object)


def parse(rows: list[list[object]], header: list[str]):
    return parse_catch_table(table(rows, header), SITES, "f.csv")


def stored(settings: Settings) -> dict[str, pd.DataFrame]:
    with connect(settings.warehouse_path, read_only=True) as con:
        return {name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").df()
                for name in ("catches", "no_operation_days", "ingest_rejects", "ingested_files")}


@pytest.fixture
def registered(settings: Settings, sites_csv: Path) -> Settings:
    ingest_sites(settings, sites_csv)
    return settings


# --- the pure parser -----------------------------------------------------------------------------------------

def test_canonical_rows_are_accepted_and_species_names_mapped_to_codes() -> None:
    parsed = parse([["2024-11-28", "himi", "ブリ", "120.5"], ["2024/11/29", "iwase", "sardine", "1,200"]], LONG)
    assert parsed.rejects.empty
    assert parsed.catches.species.tolist() == ["yellowtail", "sardine"]
    assert parsed.catches.catch_kg.tolist() == [120.5, 1200.0]
    assert [str(d) for d in parsed.catches.date] == ["2024-11-28", "2024-11-29"]


@pytest.mark.parametrize("written", ["2024-11-28", "2024/11/28", "2024/11/28 0:00".replace(" 0:00", ""), "2024年11月28日",
                                     "令和6年11月28日", "R6.11.28", "r6/11/28", "Ｒ６．１１．２８", "20241128"])
def test_dates_as_cooperatives_write_them(written: str) -> None:
    parsed = parse([[written, "himi", "ブリ", "1"]], LONG)
    assert [str(d) for d in parsed.catches.date] == ["2024-11-28"], parsed.rejects.reason.tolist()


@pytest.mark.parametrize(("written", "day"), [("令和元年5月1日", "2019-05-01"), ("H31.4.30", "2019-04-30"),
                                              ("平成元年1月8日", "1989-01-08"), ("S64.1.7", "1989-01-07")])
def test_era_dates_start_and_end_where_the_eras_do(written: str, day: str) -> None:
    assert [str(d) for d in parse([[written, "himi", "ブリ", "1"]], LONG).catches.date] == [day]


def test_japanese_headers_site_names_and_a_title_row_are_understood(tmp_path: Path) -> None:
    parsed = parse([["2024-11-28", "氷見", "マイワシ", "300"]], ["日付", "網名", "魚種", "漁獲量（kg）"])
    assert parsed.rejects.empty
    assert parsed.catches.iloc[0][["site_id", "species", "catch_kg"]].tolist() == ["himi", "sardine", 300.0]


def test_boxes_and_fish_counts_become_kilograms_through_the_tables() -> None:
    tables = load_catch_tables()
    parsed = parse([["2024-11-28", "氷見", "マイワシ", "12", "箱"],
                    ["2024-11-28", "氷見", "フクラギ", "10", "本"],
                    ["2024-11-28", "氷見", "ガンド", "2", "尾"],
                    ["2024-11-28", "岩瀬", "スルメイカ", "3.5", "t"]], ["日付", "漁場", "魚種", "数量", "単位"])
    assert parsed.rejects.empty
    kg = parsed.catches.set_index(["site_id", "species"]).catch_kg
    assert kg[("himi", "sardine")] == 12 * tables.weight_kg("box", "sardine", "")
    assert kg[("himi", "yellowtail")] == pytest.approx(10 * 1.5 + 2 * 4.5)  # size classes summed into one species
    assert kg[("iwase", "common_squid")] == 3500.0


def test_a_wide_sheet_with_units_in_headers_and_values() -> None:
    parsed = parse([["R6.11.28", "氷見", "3", "20", "12箱", "0"]],
                   ["日付", "網名", "ブリ(本)", "ガンド(本)", "マイワシ", "ホタルイカ(kg)"])
    assert parsed.rejects.empty
    kg = parsed.catches.set_index("species").catch_kg.to_dict()
    assert kg == {"yellowtail": 3 * 9.0 + 20 * 4.5, "sardine": 12 * 10.0, "firefly_squid": 0.0}


@pytest.mark.parametrize("spelling", ["ぶり", "鰤", "ｶﾞﾝﾄﾞ", "ふくらぎ", "コズクラ", " ブリ "])
def test_species_spellings_and_local_size_names_all_mean_yellowtail(spelling: str) -> None:
    assert parse([["2024-11-28", "himi", spelling, "5"]], LONG).catches.species.tolist() == ["yellowtail"]


def test_zero_is_a_haul_that_caught_nothing_and_休漁_or_blank_a_day_without_operation() -> None:
    parsed = parse([["2024-11-28", "氷見", "0", ""], ["2024-11-29", "氷見", "休漁", ""], ["2024-11-30", "氷見", "", ""],
                    ["2024-12-01", "氷見", "", "休"], ["2024-12-01", "岩瀬", "5", ""]],
                   ["日付", "網名", "ブリ", "備考"])
    assert parsed.rejects.empty
    assert parsed.catches[["site_id", "catch_kg"]].values.tolist() == [["himi", 0.0], ["iwase", 5.0]]
    no_op = {str(d): marker for d, marker in zip(parsed.no_operation.date, parsed.no_operation.marker, strict=True)}
    assert no_op == {"2024-11-29": "休漁", "2024-11-30": "blank", "2024-12-01": "休"}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (["2024-13-40", "himi", "ブリ", "1"], "unparseable date '2024-13-40'"),
        (["H31.5.1", "himi", "ブリ", "1"], "unparseable date 'H31.5.1'"),  # 平成 ended on 30 April 2019
        (["2024-11-28", "nowhere", "ブリ", "1"], "unknown site 'nowhere' (not an id or name in the site registry)"),
        (["2024-11-28", "himi", "マグロ", "1"], "unknown species 'マグロ' (add it to the species dictionary)"),
        (["2024-11-28", "himi", "ブリ", "many"], "quantity 'many' is not a number"),
        (["2024-11-28", "himi", "ブリ", "-5"], "negative quantity '-5'"),
        (["2024-11-28", "himi", "ブリ", "5俵"], "unknown unit '俵'"),
        (["2024-11-28", "himi", "ブリ", "休漁"], "no-operation marker '休漁' but line 2 records a catch"),
    ],
)
def test_bad_rows_are_quarantined_with_a_reason_a_person_can_act_on(row: list[str], reason: str) -> None:
    parsed = parse([["2024-11-28", "himi", "sardine", "10"], row], LONG)
    assert len(parsed.catches) == 1 and len(parsed.rejects) == 1
    assert reason in parsed.rejects.reason.iloc[0]
    assert parsed.rejects.line.iloc[0] == 3  # header is line 1
    assert parsed.rejects.raw.iloc[0] == ",".join(row)


def test_a_count_without_a_mean_weight_is_quarantined_and_its_species_not_half_stored(tmp_path: Path) -> None:
    weights = tmp_path / "fish.csv"
    weights.write_text("species,size_class,kg_per_fish\nyellowtail,フクラギ,1.5\n", encoding="utf-8")
    tables = load_catch_tables(Settings(data_dir=tmp_path, ingest={"fish_weight_table": weights}))
    parsed = parse_catch_table(table([["2024-11-28", "氷見", "10", "3"]], ["日付", "網名", "フクラギ(本)", "ガンド(本)"]),
                               SITES, "f.csv", tables)
    assert parsed.catches.empty  # フクラギ alone would understate the yellowtail catch
    assert "no weight for yellowtail size class ガンド in fish_weights.csv" in parsed.rejects.reason.iloc[0]


def test_a_duplicate_key_is_quarantined_pointing_at_the_first_line() -> None:
    parsed = parse([["2024-11-28", "himi", "ブリ", "10"], ["2024-11-28", "himi", "ブリ", "12"]], LONG)
    assert parsed.catches.catch_kg.tolist() == [10.0]
    assert parsed.rejects.reason.iloc[0].startswith("duplicate of line 2")


def test_a_file_without_a_quantity_column_is_a_one_line_error() -> None:
    with pytest.raises(IngestError, match=r"f\.csv: no column for quantity") as error:
        parse([["2024-11-28", "himi", "ブリ"]], ["date", "site_id", "species"])
    assert "\n" not in str(error.value)


# --- files, encodings, workbooks -------------------------------------------------------------------------------

EXPORT = "日付,網名,魚種,漁獲量,単位\n令和6年11月28日,氷見,ブリ,120,kg\n2024/11/28,氷見,マグロ,5,kg\n2024-11-29,岩瀬,スルメイカ,4,箱\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "shift_jis"])
def test_csv_exports_in_every_encoding_store_the_same_rows(encoding: str, registered: Settings, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(("組合日報 2024年11月\n" + EXPORT).encode(encoding))  # a title line above the header
    result = ingest_catches(registered, [path])
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (3, 2, 1)
    rows = stored(registered)
    assert rows["catches"][["site_id", "species", "catch_kg"]].values.tolist() == [
        ["himi", "yellowtail", 120.0], ["iwase", "common_squid", 20.0]]
    assert rows["ingest_rejects"][["line", "reason"]].values.tolist() == [
        [4, "unknown species 'マグロ' (add it to the species dictionary)"]]


def test_an_xlsx_workbook_with_a_wide_sheet_per_month(registered: Settings, tmp_path: Path) -> None:
    path = tmp_path / "日報.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        pd.DataFrame([["氷見定置 漁獲日報"], [None]]).to_excel(book, sheet_name="11月", header=False, index=False)
        pd.DataFrame({"日付": [pd.Timestamp("2024-11-28"), "R6.11.29"], "網名": ["氷見", "氷見"],
                      "フクラギ(本)": [10, None], "マイワシ(kg)": [250.5, "休漁"], "合計": [265.5, None]}
                     ).to_excel(book, sheet_name="11月", startrow=2, index=False)
        pd.DataFrame({"日付": ["2024/12/01"], "網名": ["岩瀬"], "フクラギ(本)": [4], "マイワシ(kg)": [0]}
                     ).to_excel(book, sheet_name="12月", index=False)
    result = ingest_catches(registered, [path])
    assert result.rows_quarantined == 0 and result.no_operation_days == 1
    catches = stored(registered)["catches"]
    assert catches[["date", "site_id", "species", "catch_kg"]].astype(str).values.tolist() == [
        ["2024-11-28", "himi", "sardine", "250.5"], ["2024-11-28", "himi", "yellowtail", "15.0"],
        ["2024-12-01", "iwase", "sardine", "0.0"], ["2024-12-01", "iwase", "yellowtail", "6.0"]]
    assert set(catches.source_file) == {str(path.resolve())}


def test_canonical_parquet_files_are_read(registered: Settings, tmp_path: Path) -> None:
    path = tmp_path / "catches.parquet"
    pd.DataFrame({"date": pd.to_datetime(["2024-11-28"]).date, "site_id": ["uozu"], "species": ["firefly_squid"],
                  "catch_kg": [12.5]}).to_parquet(path)
    assert ingest_catches(registered, [path]).rows_stored == 1


# --- the warehouse: idempotent, corrections, tracking, crashes --------------------------------------------------

def test_reingesting_the_same_file_changes_nothing(registered: Settings, tmp_path: Path) -> None:
    path = tmp_path / "exports" / "export.csv"
    path.parent.mkdir()
    path.write_text(EXPORT, encoding="utf-8")
    first = ingest_catches(registered, [path])
    before = stored(registered)
    second = ingest_catches(registered, [path.parent])  # the folder: the same file again
    assert (second.files_unchanged, second.rows_stored, second.rows_quarantined) == (1, 0, 0)
    after = stored(registered)
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name])
    record = after["ingested_files"].iloc[0]
    assert (record.kind, record.outcome, record.rows_stored, record.rows_rejected) == ("catches", "stored", 2, 1)
    assert first.rows_stored == 2


def test_a_corrected_file_replaces_exactly_the_rows_it_covers(registered: Settings, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("date,site_id,species,catch_kg\n2024-11-28,uozu,sardine,7\n", encoding="utf-8")
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    ingest_catches(registered, [other, path])
    path.write_text("日付,網名,魚種,漁獲量\n2024-11-28,氷見,ブリ,130\n2024-11-30,氷見,ブリ,0\n", encoding="utf-8")
    result = ingest_catches(registered, [path])
    assert (result.rows_stored, result.rows_updated, result.rows_removed, result.rows_quarantined) == (1, 1, 1, 0)
    rows = stored(registered)
    assert rows["catches"][["date", "site_id", "catch_kg"]].astype(str).values.tolist() == [
        ["2024-11-28", "himi", "130.0"], ["2024-11-28", "uozu", "7.0"], ["2024-11-30", "himi", "0.0"]]
    assert rows["ingest_rejects"].empty  # the old version's reject went with it


def test_a_site_registered_later_lets_the_same_file_be_ingested_again(registered: Settings, sites_csv: Path,
                                                                      tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("date,site_id,species,catch_kg\n2024-11-28,namerikawa,sardine,7\n", encoding="utf-8")
    assert ingest_catches(registered, [path]).rows_quarantined == 1
    registry = sites_csv.read_text(encoding="utf-8") + "namerikawa,滑川,Namerikawa,c,36.78,137.33,40,0\n"
    sites_csv.write_text(registry, encoding="utf-8")
    ingest_sites(registered, sites_csv)
    result = ingest_catches(registered, [path])
    assert (result.files_unchanged, result.rows_stored, result.rows_quarantined) == (0, 1, 0)
    assert stored(registered)["ingest_rejects"].empty


def test_a_no_operation_marker_never_hides_another_files_catch(registered: Settings, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("date,site_id,species,catch_kg\n2024-11-28,himi,sardine,7\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("日付,網名,マイワシ\n2024-11-28,氷見,休漁\n2024-11-29,氷見,休漁\n", encoding="utf-8")
    ingest_catches(registered, [tmp_path / "a.csv"])
    ingest_catches(registered, [tmp_path / "b.csv"])
    rows = stored(registered)
    assert rows["no_operation_days"].date.astype(str).str[:10].tolist() == ["2024-11-29"]
    assert "but " in rows["ingest_rejects"].reason.iloc[0] and "a.csv stored catches" in rows["ingest_rejects"].reason.iloc[0]


def test_an_unreadable_file_fails_with_its_reason_after_the_others_are_stored(registered: Settings,
                                                                             tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "good.csv").write_text(EXPORT, encoding="utf-8")
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "utf16.csv").write_bytes("date,site_id,species,catch_kg\n2024-11-28,himi,ブリ,1\n".encode("utf-16"))
    with pytest.raises(IngestError, match=r"2 of 3 catch files unreadable.*broken\.xlsx: not a readable XLSX") as error:
        ingest_catches(registered, [folder])
    assert "\n" not in str(error.value)
    rows = stored(registered)
    assert len(rows["catches"]) == 2
    assert rows["ingested_files"].set_index(rows["ingested_files"].file.map(lambda f: Path(f).name)).outcome.to_dict() == {
        "broken.xlsx": "rejected", "good.csv": "stored", "utf16.csv": "rejected"}


def test_a_crash_part_way_through_a_file_leaves_the_warehouse_as_before(registered: Settings, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    ingest_catches(registered, [path])
    before = stored(registered)
    path.write_text("日付,網名,魚種,漁獲量\n2024-12-05,氷見,ブリ,1\n2024-12-06,氷見,???,1\n", encoding="utf-8")
    import ingest.catches as catches_module

    real_upsert = catches_module.upsert

    def crash_on_rejects(con, table_name, rows):
        if table_name == "ingest_rejects":
            raise OSError("disk full")
        return real_upsert(con, table_name, rows)

    monkeypatch.setattr(catches_module, "upsert", crash_on_rejects)
    with pytest.raises(OSError, match="disk full"):
        ingest_catches(registered, [path])
    after = stored(registered)
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name])


def test_catches_need_the_site_registry_first(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("date,site_id,species,catch_kg\n2024-11-28,himi,ブリ,1\n", encoding="utf-8")
    with pytest.raises(IngestError, match="no sites in the warehouse"):
        ingest_catches(settings, [path])


def test_a_user_species_dictionary_adds_local_names(registered: Settings, tmp_path: Path) -> None:
    dictionary = tmp_path / "species.csv"
    dictionary.write_text("name,species,size_class\nツバイソ,yellowtail,コズクラ\n", encoding="utf-8")
    custom = Settings(data_dir=registered.data_dir, ingest={"species_dictionary": dictionary})
    path = tmp_path / "c.csv"
    path.write_text("日付,網名,魚種,漁獲量,単位\n2024-11-28,氷見,ツバイソ,10,本\n", encoding="utf-8")
    ingest_catches(custom, [path])
    assert stored(custom)["catches"].catch_kg.tolist() == [5.0]  # 10 fish x 0.5 kg (コズクラ)
    dictionary.write_text("name,species,size_class\nツバイソ,tuna,\n", encoding="utf-8")
    with pytest.raises(IngestError, match="species 'tuna' is not one of"):
        ingest_catches(custom, [path])


def test_a_long_table_parsed_in_chunks_gives_what_it_gives_in_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.catches

    header = ["日付", "網名", "魚種", "銘柄", "漁獲量", "備考"]
    rows = [["2024-11-28", "himi", "ブリ", "ガンド", "3本", ""], ["2024/11/28", "氷見", "ブリ", "フクラギ", "2本", ""],
            ["2024-11-28", "Himi", "ブリ", "ガンド", "4本", ""],  # a duplicate, spelt otherwise
            ["2024-11-29", "iwase", "イワシ", "", "1,5", ""], ["2024-11-29", "iwase", "イワシ", "", "20", ""],
            ["2024-11-29", "iwase", "スルメ", "", "", "休漁"],  # a marker on a day with a catch
            ["2024-11-30", "iwase", "", "", "", "休漁"], ["2024-11-30", "岩瀬", "", "", "", "時化"],
            ["2024-12-01", "himi", "ホタルイカ", "", "12", ""], ["2024-12-01", "どこ", "ホタルイカ", "", "5", ""],
            ["H31.5.1", "himi", "ブリ", "", "1", ""], ["2024-12-02", "himi", "ホタルイカ", "", "", ""],
            ["2024-12-02", "iwase", "ホタルイカ", "", "7", ""], ["2024-12-03", "himi", "マイワシ", "", "8", ""]]
    whole = parse(rows, header)
    monkeypatch.setattr(ingest.catches, "CHUNK_ROWS", 3)
    chunked = parse(rows, header)
    assert len(ingest.catches._chunks(table(rows, header), ingest.catches.classify_columns(
        header, load_catch_tables()), {"himi": "himi", "iwase": "iwase"})) == 5
    for name in ("catches", "no_operation", "rejects", "size_classes"):
        pd.testing.assert_frame_equal(getattr(chunked, name).reset_index(drop=True),
                                      getattr(whole, name).reset_index(drop=True), check_dtype=False)
    assert chunked.lines_read == whole.lines_read == len(rows)
    assert not whole.rejects.empty and not whole.no_operation.empty and not whole.size_classes.empty


CHUNKED_FIRST = ("日付,網名,魚種,銘柄,漁獲量,備考\n"
                 "2024-11-28,himi,ブリ,ガンド,3本,\n2024/11/28,氷見,ブリ,フクラギ,2本,\n2024-11-28,Himi,ブリ,ガンド,4本,\n"
                 "2024-11-29,iwase,イワシ,,\"1,5\",\n2024-11-29,iwase,イワシ,,20,\n2024-11-29,iwase,スルメ,,,休漁\n"
                 "2024-11-30,iwase,,,,休漁\n2024-11-30,岩瀬,,,,時化\n2024-12-01,himi,ホタルイカ,,12,\n"
                 "2024-12-01,どこ,ホタルイカ,,5,\nH31.5.1,himi,ブリ,,1,\n2024-12-02,himi,ホタルイカ,,,\n"
                 "2024-12-02,iwase,ホタルイカ,,7,\n2024-12-03,himi,マイワシ,,8,\n2024-12-04,uozu,ホタルイカ,,9,\n")
# the corrected file: one catch changed, two unchanged, two dropped (2024-11-28, 2024-12-03), one new (2024-12-05)
CHUNKED_SECOND = ("日付,網名,魚種,漁獲量\n2024-12-01,himi,ホタルイカ,13\n2024-12-02,iwase,ホタルイカ,7\n"
                  "2024-12-04,uozu,ホタルイカ,9\n2024-12-05,himi,ブリ,30\n2024-11-30,iwase,,休漁\n")
# another file, ingested first: a marker on a day the file gives catches, size classes of a catch it gives
OTHER = "日付,網名,魚種,銘柄,漁獲量,備考\n2024-12-02,iwase,,,,休漁\n2024-12-04,uozu,ホタルイカ,大,2,\n"


def _ingested_in_chunks(settings: Settings, tmp_path: Path, chunk_rows: int | None,
                        monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[int, ...]], dict[str, pd.DataFrame]]:
    """OTHER then CHUNKED_FIRST then CHUNKED_SECOND (as the same file) ingested with `chunk_rows` lines a chunk ->
    each ingest's counts and the warehouse's tables (without the times and write ids)."""
    import ingest.catches

    if chunk_rows is not None:
        monkeypatch.setattr(ingest.catches, "CHUNK_ROWS", chunk_rows)
    other, path = tmp_path / "other.csv", tmp_path / "export.csv"
    other.write_text(OTHER, encoding="utf-8")
    counts, tables = [ingest_catches(settings, [other])], {}
    for step, text in enumerate((CHUNKED_FIRST, CHUNKED_SECOND)):
        path.write_text(text, encoding="utf-8")
        counts.append(ingest_catches(settings, [path]))
        with connect(settings.warehouse_path, read_only=True) as con:
            tables |= {f"{name} after file {step + 1}": con.execute(
                f"SELECT * EXCLUDE ({drop}) FROM {name} ORDER BY ALL").df()
                for name, drop in (("catches", "ingested_at"), ("no_operation_days", "ingested_at"),
                                   ("catch_size_classes", "ingested_at"), ("ingest_rejects", "ingested_at"),
                                   ("ingested_files", "ingested_at, write_id"))}
    return [(r.rows_read, r.rows_stored, r.rows_updated, r.rows_unchanged, r.rows_removed, r.rows_quarantined,
             r.no_operation_days, len(r.files_all_quarantined)) for r in counts], tables


def test_a_file_stored_chunk_by_chunk_leaves_what_it_leaves_in_one_piece(
        settings: Settings, sites_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = {}
    for chunk_rows in (None, 2):
        run = settings.model_copy(update={"data_dir": tmp_path / f"data{chunk_rows}"})
        ingest_sites(run, sites_csv)
        folder = tmp_path / f"files{chunk_rows}"
        folder.mkdir()
        results[chunk_rows] = _ingested_in_chunks(run, folder, chunk_rows, monkeypatch)
    (whole_counts, whole), (chunked_counts, chunked) = results[None], results[2]
    assert chunked_counts == whole_counts
    assert whole_counts[2][2:5] == (1, 2, 2)  # updated, unchanged, removed on the corrected file
    assert whole_counts[1][1] > 0 and whole_counts[1][5] > 0 and whole_counts[1][6] > 0
    for name in whole:
        pd.testing.assert_frame_equal(chunked[name].replace({re.escape(str(tmp_path / "files2")): "F"}, regex=True),
                                      whole[name].replace({re.escape(str(tmp_path / "filesNone")): "F"}, regex=True),
                                      check_dtype=False)
    assert not whole["catch_size_classes after file 1"].empty and not whole["no_operation_days after file 2"].empty


def test_a_file_failing_in_a_later_chunk_leaves_the_warehouse_as_it_was(
        registered: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.catches

    path = tmp_path / "export.csv"
    path.write_text(CHUNKED_SECOND, encoding="utf-8")
    ingest_catches(registered, [path])
    before = stored(registered)
    monkeypatch.setattr(ingest.catches, "CHUNK_ROWS", 2)
    parse_part, calls = ingest.catches._parse_part, []

    def failing_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed while parsing the third chunk")
        return parse_part(*args, **kwargs)

    monkeypatch.setattr(ingest.catches, "_parse_part", failing_third)
    path.write_text(CHUNKED_FIRST, encoding="utf-8")
    with pytest.raises(RuntimeError, match="third chunk"):
        ingest_catches(registered, [path])
    assert len(calls) == 3
    after = stored(registered)
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name])
