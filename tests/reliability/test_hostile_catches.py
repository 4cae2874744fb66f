"""The hostile-input corpus, catch files: each case a file built here, ingested, and its exact outcome asserted:
what is stored (kg per date, net and species), which lines are quarantined with which reason, how many lines were
read (every physical line accounted for), or the one-line reason a whole file is refused with the stores unchanged.

docs/reliability.md lists every case and what it promises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

import ingest
from setnet.operations import today as today_at_the_nets
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.reliability.conftest import fingerprint

HEADER = "日付,網名,魚種,漁獲量\n"
Key = tuple[str, str, str]  # date, site_id, species


def csv(text: str, encoding: str = "utf-8") -> Callable[[Path, date], Path]:
    def build(folder: Path, today: date) -> Path:
        path = folder / "catches.csv"
        path.write_bytes(text.format(today=today, tomorrow=today + timedelta(days=1),
                                     ahead=today + timedelta(days=60)).encode(encoding))
        return path
    return build


def raw(data: bytes, suffix: str = ".csv") -> Callable[[Path, date], Path]:
    def build(folder: Path, today: date) -> Path:
        path = folder / f"catches{suffix}"
        path.write_bytes(data)
        return path
    return build


def xlsx(sheets: dict[str, list[list[object]]]) -> Callable[[Path, date], Path]:
    def build(folder: Path, today: date) -> Path:
        path = folder / "catches.xlsx"
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, rows in sheets.items():
                width = max(len(row) for row in rows)
                padded = [row + [None] * (width - len(row)) for row in rows]
                pd.DataFrame(padded).to_excel(writer, sheet_name=name, header=False, index=False)
        return path
    return build


def parquet(frame: pd.DataFrame) -> Callable[[Path, date], Path]:
    def build(folder: Path, today: date) -> Path:
        path = folder / "catches.parquet"
        frame.to_parquet(path)
        return path
    return build


@dataclass(frozen=True)
class Case:
    """One hostile catch file and everything its ingest must give."""

    name: str
    build: Callable[[Path, date], Path]
    stored: dict[Key, float] = field(default_factory=dict)
    quarantined: dict[int, str] = field(default_factory=dict)  # line -> a part of its reason
    lines_read: int | None = None
    no_operation: int = 0
    refused: str | None = None  # a part of the one-line reason the whole file is refused with
    all_quarantined: bool = False
    settings: dict = field(default_factory=dict)  # ingest settings for this case


CASES = [
    # --- class 2: implausible values are quarantined, never stored ---------------------------------------------
    Case("a 1e12 kg haul of yellowtail", csv(HEADER + "2024-11-28,氷見,ブリ,1000000000000\n2024-11-28,岩瀬,ブリ,50\n"),
         {("2024-11-28", "iwase", "yellowtail"): 50.0}, {2: "implausible catch: '1000000000000' is "
                                                         "1,000,000,000,000 kg of yellowtail, above its ceiling"}, 2),
    Case("500 t of yellowtail written in tonnes", csv("日付,網名,魚種,漁獲量,単位\n2024-11-28,氷見,ブリ,500,t\n"),
         {}, {2: "above its ceiling of 300,000 kg"}, 1, all_quarantined=True),
    Case("a catch dated 2099", csv(HEADER + "2099-01-01,氷見,ブリ,10\n2024-11-28,氷見,ブリ,10\n"),
         {("2024-11-28", "himi", "yellowtail"): 10.0}, {2: "implausible date 2099-01-01 after"}, 2),
    Case("a catch dated 60 days ahead", csv(HEADER + "{ahead},氷見,ブリ,10\n2024-11-28,氷見,ブリ,10\n"),
         {("2024-11-28", "himi", "yellowtail"): 10.0}, {2: "tolerance: setting ingest.future_date_tolerance_days"}, 2),
    Case("a catch dated tomorrow, within the tolerance", csv(HEADER + "{tomorrow},氷見,ブリ,10\n"),
         {("{tomorrow}", "himi", "yellowtail"): 10.0}, {}, 1),
    Case("a catch dated tomorrow without tolerance", csv(HEADER + "{tomorrow},氷見,ブリ,10\n2024-11-28,氷見,ブリ,1\n"),
         {("2024-11-28", "himi", "yellowtail"): 1.0}, {2: "implausible date"}, 2,
         settings={"future_date_tolerance_days": 0}),
    Case("a decimal comma 1,5", csv(HEADER + '2024-11-28,氷見,ブリ,"1,5"\n2024-11-28,岩瀬,ブリ,2\n'),
         {("2024-11-28", "iwase", "yellowtail"): 2.0}, {2: "quantity '1,5' groups its digits other than in threes"}, 2),
    Case("digits grouped in twos 12,34", csv(HEADER + '2024-11-28,氷見,ブリ,"12,34"\n2024-11-28,岩瀬,ブリ,2\n'),
         {("2024-11-28", "iwase", "yellowtail"): 2.0}, {2: "quantity '12,34' groups its digits other than in threes"}, 2),
    Case("digits grouped in fours 1,2345", csv(HEADER + '2024-11-28,氷見,ブリ,"1,2345"\n2024-11-28,岩瀬,ブリ,2\n'),
         {("2024-11-28", "iwase", "yellowtail"): 2.0}, {2: "groups its digits other than in threes"}, 2),
    Case("thousands grouped in threes 1,234.5", csv(HEADER + '2024-11-28,氷見,ブリ,"1,234.5"\n'),
         {("2024-11-28", "himi", "yellowtail"): 1234.5}, {}, 1),
    Case("full-width digits and comma １，２３４", csv(HEADER + '2024-11-28,氷見,ブリ,"１，２３４"\n'),
         {("2024-11-28", "himi", "yellowtail"): 1234.0}, {}, 1),
    Case("a user-edited ceiling", csv(HEADER + "2024-11-28,氷見,ブリ,600\n2024-11-28,岩瀬,ブリ,400\n"),
         {("2024-11-28", "iwase", "yellowtail"): 400.0}, {2: "above its ceiling of 500 kg"}, 2,
         settings={"plausibility_table": "ceilings.csv"}),
    # --- class 3: an unterminated quote swallows no line --------------------------------------------------------
    Case("an unterminated quote in mid-file",
         csv(HEADER + '2024-11-28,氷見,ブリ,"120\n2024-11-29,氷見,ブリ,130\n2024-11-30,氷見,ブリ,"14"0\n2024-12-01,氷見,ブリ,150\n'),
         {("2024-11-29", "himi", "yellowtail"): 130.0, ("2024-12-01", "himi", "yellowtail"): 150.0},
         {2: "unterminated quote", 4: "not a readable CSV line"}, 4),
    Case("an unterminated quote on the last line", csv(HEADER + '2024-11-28,氷見,ブリ,10\n2024-11-29,氷見,ブリ,"20\n'),
         {("2024-11-28", "himi", "yellowtail"): 10.0}, {3: "unterminated quote"}, 2),
    Case("an unterminated quote in the remarks",
         csv("日付,網名,魚種,漁獲量,備考\n2024-11-28,氷見,ブリ,10,\"大漁\n2024-11-29,氷見,ブリ,20,\n2024-11-30,氷見,ブリ,30,\n"),
         {("2024-11-29", "himi", "yellowtail"): 20.0, ("2024-11-30", "himi", "yellowtail"): 30.0},
         {2: "unterminated quote"}, 3),
    Case("a remark with a line break in quotes (a real multi-line cell)",
         csv("日付,網名,魚種,漁獲量,備考\n2024-11-28,氷見,ブリ,10,\"朝\n網起こし\"\n2024-11-29,氷見,ブリ,20,\n"),
         {("2024-11-28", "himi", "yellowtail"): 10.0, ("2024-11-29", "himi", "yellowtail"): 20.0}, {}, 2),
    # --- class 4: a sheet without a header keeps every row --------------------------------------------------------
    Case("a workbook sheet with no header row",
         xlsx({"11月": [["日付", "網名", "魚種", "漁獲量"], ["2024-11-28", "氷見", "ブリ", 10]],
               "12月": [["2024-12-01", "氷見", "ブリ", 20], ["2024-12-02", "氷見", "ブリ", 30]]}),
         {("2024-11-28", "himi", "yellowtail"): 10.0}, {1: "sheet without a catch table", 2: "sheet without"}, 3),
    Case("a workbook with a title row above the header",
         xlsx({"Sheet1": [["氷見漁協 水揚日報"], ["日付", "網名", "魚種", "漁獲量"], ["2024-11-28", "氷見", "ブリ", 10]]}),
         {("2024-11-28", "himi", "yellowtail"): 10.0}, {}, 1),
    Case("a workbook of one sheet with no header row", xlsx({"Sheet1": [["2024-11-28", "氷見", "ブリ", 10]]}),
         refused="no header row naming a date column"),
    Case("a truncated workbook", raw(b"PK\x03\x04 truncated", ".xlsx"), refused="not a readable XLSX workbook"),
    # --- class 7: species in romaji and English --------------------------------------------------------------
    *[Case(f"species spelled {spelling}", csv(HEADER + f"2024-11-28,氷見,{spelling},10\n"),
           {("2024-11-28", "himi", code): 10.0}, {}, 1)
      for spelling, code in [("buri", "yellowtail"), ("Yellowtail", "yellowtail"), ("maiwashi", "sardine"),
                             ("Sardine", "sardine"), ("hotaruika", "firefly_squid"), ("Firefly squid", "firefly_squid"),
                             ("surumeika", "common_squid"), ("SURUME", "common_squid"),
                             ("Japanese amberjack", "yellowtail")]],
    Case("every line an unknown species", csv(HEADER + "2024-11-28,氷見,マグロ,10\n2024-11-29,氷見,サバ,10\n"),
         {}, {2: "unknown species 'マグロ'", 3: "unknown species 'サバ'"}, 2, all_quarantined=True),
    # --- already right, kept right --------------------------------------------------------------------------
    Case("Shift_JIS text", csv(HEADER + "2024-11-28,氷見,ブリ,10\n", "cp932"),
         {("2024-11-28", "himi", "yellowtail"): 10.0}, {}, 1),
    Case("UTF-8 with a BOM", csv("\ufeff" + HEADER + "2024-11-28,氷見,ブリ,10\n"),
         {("2024-11-28", "himi", "yellowtail"): 10.0}, {}, 1),
    Case("EUC-JP text", csv(HEADER + "2024-11-28,氷見,ブリ,10\n", "euc_jp"),
         refused="text is neither UTF-8 nor Shift_JIS/CP932"),
    Case("UTF-16 text", csv(HEADER + "2024-11-28,氷見,ブリ,10\n", "utf-16"),
         refused="text is neither UTF-8 nor Shift_JIS/CP932"),
    Case("binary bytes named .csv", raw(bytes(range(256)) * 4), refused="text is neither UTF-8 nor Shift_JIS/CP932"),
    Case("an empty file", raw(b""), refused="no rows"),
    Case("a header and no rows", csv(HEADER), refused="no rows"),
    Case("no header row", csv("2024-11-28,氷見,ブリ,10\n"), refused="no header row naming a date column"),
    Case("a 休漁 marker", csv(HEADER + "2024-11-28,氷見,ブリ,休漁\n"), {}, {}, 1, no_operation=1),
    Case("an era date after its era ended (H31.5.1)", csv(HEADER + "H31.5.1,氷見,ブリ,10\nR1.5.1,氷見,ブリ,10\n"),
         {("2019-05-01", "himi", "yellowtail"): 10.0}, {2: "unparseable date 'H31.5.1'"}, 2),
    Case("an impossible date (2月30日)", csv(HEADER + "2024-02-30,氷見,ブリ,10\n2024-02-29,氷見,ブリ,10\n"),
         {("2024-02-29", "himi", "yellowtail"): 10.0}, {2: "unparseable date '2024-02-30'"}, 2),
    Case("a duplicated line", csv(HEADER + "2024-11-28,氷見,ブリ,10\n2024-11-28,氷見,ブリ,10\n"),
         {("2024-11-28", "himi", "yellowtail"): 10.0}, {3: "duplicate of line 2"}, 2),
    Case("a negative quantity", csv(HEADER + "2024-11-28,氷見,ブリ,-5\n2024-11-28,岩瀬,ブリ,5\n"),
         {("2024-11-28", "iwase", "yellowtail"): 5.0}, {2: "negative quantity '-5'"}, 2),
    Case("an unknown unit", csv("日付,網名,魚種,漁獲量,単位\n2024-11-28,氷見,ブリ,5,貫\n2024-11-28,岩瀬,ブリ,5,kg\n"),
         {("2024-11-28", "iwase", "yellowtail"): 5.0}, {2: "unknown unit '貫'"}, 2),
    Case("markup in a site name", csv(HEADER + "2024-11-28,<script>alert(1)</script>,ブリ,5\n2024-11-28,氷見,ブリ,5\n"),
         {("2024-11-28", "himi", "yellowtail"): 5.0}, {2: "unknown site '<script>alert(1)</script>'"}, 2),
    Case("SQL in a species name", csv(HEADER + "2024-11-28,氷見,'; DROP TABLE catches; --,5\n2024-11-28,岩瀬,ブリ,5\n"),
         {("2024-11-28", "iwase", "yellowtail"): 5.0}, {2: "unknown species ''; DROP TABLE catches; --'"}, 2),
    Case("a NUL byte inside a number", csv(HEADER + "2024-11-28,氷見,ブリ,1\x0020\n2024-11-28,岩瀬,ブリ,5\n"),
         {("2024-11-28", "iwase", "yellowtail"): 5.0}, {2: "is not a number"}, 2),
    Case("a Parquet file", parquet(pd.DataFrame({"date": ["2024-11-28"], "site_id": ["himi"], "species": ["ブリ"],
                                                 "catch_kg": [12.5]})),
         {("2024-11-28", "himi", "yellowtail"): 12.5}, {}, 1),
    Case("a broken Parquet file", raw(b"PAR1 not really", ".parquet"), refused="not a readable Parquet file"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_catch_file(case: Case, registered: Settings, tmp_path: Path) -> None:
    options = dict(case.settings)
    if "plausibility_table" in options:
        table = tmp_path / options["plausibility_table"]
        table.write_text("species,max_kg_per_day\nyellowtail,500\n", encoding="utf-8")
        options["plausibility_table"] = table
    settings = Settings(data_dir=registered.data_dir, ingest=options)
    today = today_at_the_nets(settings)
    folder = tmp_path / "in"
    folder.mkdir()
    path = case.build(folder, today)
    before = fingerprint(settings)

    result = ingest.ingest_catches(settings, [path], raise_on_unreadable=False)

    if case.refused is not None:
        assert len(result.files_failed) == 1 and case.refused in result.files_failed[0], result.files_failed
        assert "\n" not in result.files_failed[0]
        after = {k: v for k, v in fingerprint(settings).items() if k != "table ingested_files"}
        assert after == {k: v for k, v in before.items() if k != "table ingested_files"}
        return
    assert result.files_failed == []
    with connect(settings.warehouse_path, read_only=True) as con:
        catches = con.execute("SELECT date, site_id, species, catch_kg FROM catches").df()
        rejects = con.execute("SELECT line, reason FROM ingest_rejects ORDER BY line").df()
    got = {(str(r.date)[:10], r.site_id, r.species): r.catch_kg for r in catches.itertuples()}
    fill = {"{tomorrow}": str(today + timedelta(days=1))}
    assert got == {(fill.get(d, d), s, sp): kg for (d, s, sp), kg in case.stored.items()}
    assert rejects.line.tolist() == sorted(case.quarantined), rejects.to_dict("records")
    for line, reason in zip(rejects.line, rejects.reason, strict=True):
        assert case.quarantined[line] in reason, reason
    assert result.no_operation_days == case.no_operation
    assert result.rows_quarantined == len(case.quarantined)
    if case.lines_read is not None:
        assert result.rows_read == case.lines_read
    assert bool(result.files_all_quarantined) == case.all_quarantined
    if case.all_quarantined:
        assert "every line quarantined in 1 file(s)" in result.summary()


def test_every_physical_line_is_stored_no_operation_or_quarantined(registered: Settings, tmp_path: Path) -> None:
    """Quotes opened and never closed on several lines: each line of the file is accounted for exactly once."""
    lines = [f'2024-11-{day:02d},氷見,ブリ,{day}' for day in range(1, 29)]
    for broken in (3, 10, 11, 27):
        lines[broken] = lines[broken].rsplit(",", 1)[0] + ',"' + str(broken)
    lines[5] = "2024-11-06,氷見,ブリ,休漁"
    path = tmp_path / "many.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    result = ingest.ingest_catches(registered, [path])
    assert result.rows_read == len(lines)
    assert result.rows_stored + result.no_operation_days + result.rows_quarantined == len(lines)
    with connect(registered.warehouse_path, read_only=True) as con:
        quarantined = [row[0] for row in con.execute("SELECT line FROM ingest_rejects ORDER BY line").fetchall()]
    assert quarantined == [broken + 2 for broken in (3, 10, 11, 27)]
