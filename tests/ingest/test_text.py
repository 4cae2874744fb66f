"""ingest.text: a CSV read in blocks of lines reads as it does in one piece."""

from __future__ import annotations

import pandas as pd
import pytest

import ingest.text
from ingest.text import csv_records, split_csv_rows

HOSTILE = ("title,,\r\n日付,網名,漁獲量,備考\n2024-11-28,氷見,10\n\"2024-11-29\",\"岩瀬\",\"1,5\",quoted\n"
           "2024-11-30,氷見,3,x,extra,cells\nbad\"quote,here\n2024-12-01,岩瀬,\x00,nul\n\n"
           "\"x\"y,1\n2024-12-02,氷見,7\r\n2024-12-03,岩瀬,8\r\n2024-12-04,氷見,9")


def test_a_text_split_in_blocks_of_lines_reads_as_in_one_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = split_csv_rows(HOSTILE)
    assert whole is not None and whole[2]  # one line is no CSV row
    for block in (1, 7, 30):  # a block of one line each, of a few lines, of most of the text
        monkeypatch.setattr(ingest.text, "SPLIT_BLOCK_CHARS", block)
        rows, lines, broken = split_csv_rows(HOSTILE)
        pd.testing.assert_frame_equal(rows, whole[0])
        pd.testing.assert_series_equal(lines, whole[1])
        assert broken == whole[2]
    records, record_lines, record_broken = csv_records(HOSTILE)  # what the line-by-line reader finds
    assert whole[1].tolist() == record_lines and whole[2] == record_broken
    width = whole[0].shape[1]
    assert whole[0].values.tolist() == [r + [""] * (width - len(r)) for r in records]


def test_a_quote_opening_a_cell_across_lines_in_any_block_sends_the_text_to_the_line_reader(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = "日付,網名,漁獲量\n2024-11-28,氷見,10\n2024-11-29,岩瀬,\"5\n6\"\n2024-11-30,氷見,3\n"
    monkeypatch.setattr(ingest.text, "SPLIT_BLOCK_CHARS", 5)
    assert split_csv_rows(text) is None


def test_a_categorical_column_reads_as_its_cells_do() -> None:
    from ingest.text import cell_texts, map_distinct

    cells = ["  a ", "", "b", " ", "a", "b", "\u3000"]
    as_object = pd.Series(cells, dtype=object)
    as_codes = pd.Series(pd.Categorical(cells))
    assert cell_texts(as_codes).tolist() == cell_texts(as_object).tolist() == ["a", "", "b", "", "a", "b", ""]
    pairs = map_distinct([as_codes, pd.Series([1, 2, 1, 1, 1, 2, 2])], lambda cell, n: f"{cell.strip()}{n}")
    assert pairs.tolist() == ["a1", "2", "b1", "1", "a1", "b2", "2"]
    with_missing = pd.Series(pd.Categorical(["x", None, "x"]))
    assert cell_texts(with_missing).tolist() == ["x", "", "x"]
