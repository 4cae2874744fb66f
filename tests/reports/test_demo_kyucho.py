"""The demo's swift-current status on a small generated sample world (seed 42): judged from the sample world's hourly
ocean forecasts, with hours and knots on the eve of one of its episodes, 'なし' with the forecast's peak knots on its
last day (no episode after it), and the warnings' record the backtest stores shown on the page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import pytest

import ingest
import sample_world
from features.io import hourly_currents_at_nets
from features.kyucho import kyucho_days
from models.training import store_kyucho_record
from reports import build_reports
from reports.outlook import kyucho_outlook
from setnet.settings import SPECIES, Settings
from setnet.warehouse import connect, upsert
from tests.reports.test_kyucho_record import visible_text


@dataclass(frozen=True)
class DemoWorld:
    settings: Settings
    files: sample_world.WorldFiles
    eve: date  # the day before the last swift-current episode the hourly forecasts cover


def forecasts_of(sites: pd.DataFrame, issue_date: date) -> pd.DataFrame:
    """Plain catch forecasts for every net and species (a report needs some; its status reads only the ocean)."""
    rows = [{"issue_date": issue_date, "target_date": issue_date + timedelta(days=lead), "lead_days": lead,
             "site_id": site_id, "species": species.code, "mean_kg": 120.0, "q10_kg": 10.0, "q50_kg": 90.0,
             "q90_kg": 300.0, "model_version": "demo-test", "ocean_date": issue_date, "p_zero": 0.05}
            for site_id in sites.site_id for species in SPECIES for lead in range(1, 8)]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoWorld:
    """A one-year, three-net sample world (seed 42) with its analyses and daily and hourly ocean forecasts ingested,
    catch forecasts for its last day and for the eve of its last episode, and the warnings' record stored as the
    demo's backtest stores it (through the first day of the report's 30-day record)."""
    root = tmp_path_factory.mktemp("demo-kyucho")
    files = sample_world.generate_world(root / "sample", years=1, sites=3, seed=42)
    settings = Settings(data_dir=root / "data")
    ingest.ingest_sites(settings, files.sites_csv)
    ingest.ingest_grids(settings, [files.grids_dir, files.forecasts_dir, files.hourly_forecasts_dir])
    episodes = pd.read_csv(files.root / "truth" / "kyucho_hourly.csv", parse_dates=["onset_utc"])
    first_issue = min(pd.Timestamp(p.stem.rsplit("_", 1)[-1]) for p in files.hourly_forecasts_dir.rglob("*.nc"))
    onsets = episodes.onset_utc.dt.tz_localize("UTC").dt.tz_convert(settings.timezone).dt.normalize()
    covered = onsets[(onsets.dt.tz_localize(None) > first_issue + pd.Timedelta(days=1))
                     & (onsets.dt.tz_localize(None) <= pd.Timestamp(files.end_date))]
    assert not covered.empty, "seed 42's small world has an episode the hourly forecasts cover"
    eve = (covered.max().tz_localize(None) - pd.Timedelta(days=1)).date()
    with connect(settings.warehouse_path) as con:
        sites = con.execute("SELECT site_id FROM sites").df()
        upsert(con, "forecasts", pd.concat([forecasts_of(sites, files.end_date), forecasts_of(sites, eve)]))
    store_kyucho_record(settings, files.end_date - timedelta(days=30))
    return DemoWorld(settings, files, eve)


def page(demo: DemoWorld, day: date) -> str:
    folder = build_reports(demo.settings, day, formats="html").folder
    return visible_text((folder / "index.html").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_on_the_eve_of_an_episode_the_status_comes_from_the_hourly_forecast_with_hours_and_knots(
        demo: DemoWorld) -> None:
    outlook = kyucho_outlook(demo.settings, demo.eve)
    assert outlook.level in ("warning", "advisory")
    assert outlook.lines and all(" JST, peak " in line and line.endswith(" kn") for line in outlook.lines)
    text = page(demo, demo.eve)
    word = "警報" if outlook.level == "warning" else "注意報"
    assert re.search(f"急潮 \\S+： ?{word}（", text)  # the status at the top, naming the nets
    assert "流れは1時間ごとの予報の速さです" in text  # judged from the hourly forecast
    box = text.split(f"急潮{word}", 1)[1]
    assert re.search(r"\d+月\d+日\(.\) \d+〜\d+時 \S+へ 最大\d+\.\dノット", box)  # the hours (JST) and peak knots


@pytest.mark.slow
def test_on_the_last_day_with_no_episode_ahead_it_says_none_with_the_forecasts_peak_knots(demo: DemoWorld) -> None:
    settings = demo.settings
    end = demo.files.end_date
    assert kyucho_outlook(settings, end).level == "none"
    with connect(settings.warehouse_path, read_only=True) as con:
        sites = con.execute("SELECT site_id, lat, lon, bearing_deg FROM sites").df()
    hourly = hourly_currents_at_nets(settings, sites, pd.DatetimeIndex([end]))
    ahead = kyucho_days(hourly, (settings.reports.kyucho_advisory_kn, settings.reports.kyucho_warning_kn),
                        timezone=settings.timezone)
    shown = (ahead.day > pd.Timestamp(end)) & (ahead.day <= pd.Timestamp(end) + pd.Timedelta(days=settings.max_lead_days))
    peak_kn = ahead[shown].peak_kn.max()
    text = page(demo, end)
    assert re.search("急潮 \\S+： ?なし ", text)
    notes = [part[:80] for part in text.split("いちばん速い流れ：")[1:]]  # one calm note per cooperative, its own nets' peak
    assert notes and any(f"{peak_kn:.1f}ノット" in note for note in notes)  # the bay's peak is some cooperative's


@pytest.mark.slow
def test_the_demo_page_shows_the_warnings_record_the_backtest_stored(demo: DemoWorld) -> None:
    text = page(demo, demo.files.end_date)
    assert "急潮の注意報・警報の成績" in text
    assert "1〜4日前に出した注意報・警報を、その日の実際の流れ" in text and "回のうち" in text
