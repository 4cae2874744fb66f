"""The site registry: validated, normalised, upserted."""

from pathlib import Path

import pytest

from ingest import IngestError, ingest_sites, read_site_registry
from setnet.settings import Settings
from setnet.warehouse import connect


def test_registry_is_read_and_stored(settings: Settings, sites_csv: Path) -> None:
    sites = read_site_registry(sites_csv)
    assert sites.site_id.tolist() == ["himi", "iwase", "uozu"]
    assert ingest_sites(settings, sites_csv) == 3
    assert ingest_sites(settings, sites_csv) == 3
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM sites").fetchone()[0] == 3
        assert con.execute("SELECT name_ja FROM sites WHERE site_id = 'himi'").fetchone()[0] == "氷見"
        assert con.execute("SELECT count(*) FROM species").fetchone()[0] == 4


def test_longitudes_in_0_360_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("site_id,name_ja,name_en,coop,lat,lon,depth_m,bearing_deg\nx,エックス,X,c,36.9,222.9,40,0\n",
                    encoding="utf-8")
    assert read_site_registry(path).lon.iloc[0] == pytest.approx(-137.1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("site_id,name_ja,name_en,coop,lat,lon,depth_m\n", r"lacks column\(s\) bearing_deg"),
        ("site_id,name_ja,name_en,coop,lat,lon,depth_m,bearing_deg\nx,a,b,c,95,137,1,0\n", ":2: site x has an invalid position"),
        ("site_id,name_ja,name_en,coop,lat,lon,depth_m,bearing_deg\nx,a,b,c,36,137,1,0\nx,a,b,c,36,137,1,0\n",
         "site_id x appears more than once"),
    ],
)
def test_bad_registries_are_refused_with_a_one_line_reason(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "s.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(IngestError, match=message):
        read_site_registry(path)


def test_the_english_cooperative_name_is_optional(settings: Settings, tmp_path: Path) -> None:
    old = tmp_path / "old.csv"  # a registry from before coop_en: still loads, with no English cooperative names
    old.write_text("site_id,name_ja,name_en,coop,lat,lon,depth_m,bearing_deg\nx,エックス,X,氷見漁協,36.9,137.0,40,0\n",
                   encoding="utf-8")
    assert read_site_registry(old).coop_en.isna().all()
    new = tmp_path / "new.csv"
    new.write_text("site_id,name_ja,name_en,coop,coop_en,lat,lon,depth_m,bearing_deg\n"
                   "x,エックス,X,氷見漁協, Himi Fisheries Cooperative ,36.9,137.0,40,0\n"
                   "y,ワイ,Y,氷見漁協,,36.8,137.1,40,0\n", encoding="utf-8")
    assert read_site_registry(new).coop_en.tolist()[0] == "Himi Fisheries Cooperative"
    assert read_site_registry(new).coop_en.isna().tolist() == [False, True]  # an empty cell is no name
    assert ingest_sites(settings, old) == 1
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT coop_en FROM sites").fetchall() == [(None,)]
    assert ingest_sites(settings, new) == 2
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT site_id, coop_en FROM sites ORDER BY site_id").fetchall() == [
            ("x", "Himi Fisheries Cooperative"), ("y", None)]
