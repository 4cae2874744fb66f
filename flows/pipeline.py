"""Prefect 3 flows wiring the stages: ingest -> features -> models -> reports.

Tasks take and return plain values (paths as strings, dates, counts) so that Prefect can hash and log them;
heavy objects (grids, tables, connections) live only inside a task.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

import ingest
import models
import reports
import sample_world
from setnet.settings import Settings, load_settings


def _retry_on_io_error(task, task_run, state) -> bool:
    """Retry only transient I/O failures, never bad input (IngestError) or programming errors."""
    try:
        state.result()
    except ingest.IngestError:
        return False
    except OSError:
        return True
    except Exception:  # noqa: BLE001
        return False
    return False


def _settings(data_dir: str | None) -> Settings:
    return load_settings(data_dir=Path(data_dir) if data_dir else None)


@task(name="ingest-sites", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_retry_on_io_error,
      cache_policy=NO_CACHE)
def ingest_sites_task(data_dir: str | None, sites_csv: str) -> int:
    return ingest.ingest_sites(_settings(data_dir), Path(sites_csv))


@task(name="ingest-grids", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_retry_on_io_error,
      cache_policy=NO_CACHE)
def ingest_grids_task(data_dir: str | None, paths: list[str], product: str | None = None,
                      forecast: bool | None = None, issue_date: str | None = None, force: bool = False) -> dict:
    result = ingest.ingest_grids(_settings(data_dir), [Path(p) for p in paths], product=product, forecast=forecast,
                                 issue_date=issue_date, force=force, raise_on_rejected=False)
    logger = get_run_logger()
    for decision in result.decisions:
        logger.info("%s", decision)
    for reason in result.files_rejected:
        logger.warning("rejected: %s", reason)
    return {**asdict(result), "summary": result.summary()}


@task(name="ingest-catches", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_retry_on_io_error,
      cache_policy=NO_CACHE)
def ingest_catches_task(data_dir: str | None, paths: list[str], force: bool = False) -> dict:
    result = ingest.ingest_catches(_settings(data_dir), [Path(p) for p in paths], force=force,
                                   raise_on_unreadable=False)
    for reason in result.files_failed:
        get_run_logger().warning("unreadable: %s", reason)
    return {**asdict(result), "summary": result.summary()}


@task(name="train-models", cache_policy=NO_CACHE)
def train_task(data_dir: str | None) -> str:
    result = models.train_models(_settings(data_dir))
    lead_one = result.metrics[result.metrics.lead_days == 1]
    logger = get_run_logger()
    for row in lead_one.itertuples():
        logger.info("model %s %s lead 1: MAE %.1f kg, skill vs climatology %+.2f, vs persistence %+.2f",
                    result.model_version, row.species, row.mae_kg, row.skill_vs_climatology, row.skill_vs_persistence)
    return result.model_version


@task(name="backtest", cache_policy=NO_CACHE)
def backtest_task(data_dir: str | None, species: list[str] | None) -> list[dict]:
    result = models.run_backtest(_settings(data_dir), species=species)
    get_run_logger().info("backtest of %s: %d forecasts scored", result.model_version, len(result.predictions))
    return result.metrics.assign(model_version=result.model_version).to_dict(orient="records")


@task(name="forecast", task_run_name="forecast-{issue_date}", cache_policy=NO_CACHE)
def forecast_task(data_dir: str | None, issue_date: date) -> dict:
    table = models.forecast_day(_settings(data_dir), issue_date)
    return {
        "rows": len(table),
        "sites": int(table.site_id.nunique()),
        "species": int(table.species.nunique()),
        "model_versions": sorted(table.model_version.unique()),
        "ocean_date": str(table.ocean_date.max()),
    }


@task(name="report", task_run_name="report-{issue_date}", cache_policy=NO_CACHE)
def report_task(data_dir: str | None, issue_date: date, lang: str) -> str:
    return str(reports.build_report(_settings(data_dir), issue_date, lang=lang))


@task(name="has-models", cache_policy=NO_CACHE)
def has_models_task(data_dir: str | None) -> bool:
    return models.has_trained_models(_settings(data_dir))


@flow(name="ingest", log_prints=True)
def ingest_flow(data_dir: str | None = None, sites_csv: str | None = None, grid_paths: list[str] | None = None,
                catch_paths: list[str] | None = None, grid_product: str | None = None,
                grid_forecast: bool | None = None, issue_date: str | None = None, force: bool = False,
                strict: bool = True) -> dict:
    """Ingest whichever of the site registry, grid files and catch files are given.

    Files that cannot be ingested are listed in the result (`files_rejected`, `files_failed`); with `strict`
    (the default) the flow then fails naming the first, after the other files are stored.
    """
    done: dict = {}
    if sites_csv:
        done["sites"] = ingest_sites_task(data_dir, sites_csv)
    if grid_paths:
        done["grids"] = ingest_grids_task(data_dir, grid_paths, grid_product, grid_forecast, issue_date, force)
    if catch_paths:
        done["catches"] = ingest_catches_task(data_dir, catch_paths, force)
    failures = done.get("grids", {}).get("files_rejected", []) + done.get("catches", {}).get("files_failed", [])
    if strict and failures:
        raise ingest.IngestError(f"{len(failures)} file(s) could not be ingested; first: {failures[0]}")
    return done


@flow(name="train", log_prints=True)
def train_flow(data_dir: str | None = None) -> str:
    """Train and register one model per species (with its holdout evaluation); returns the model version."""
    return train_task(data_dir)


@flow(name="backtest", log_prints=True)
def backtest_flow(data_dir: str | None = None, species: list[str] | None = None) -> list[dict]:
    """Rolling-origin backtest on all history: metrics per species and lead (stored in the warehouse too)."""
    return backtest_task(data_dir, species)


@flow(name="forecast", flow_run_name="forecast-{issue_date}", log_prints=True)
def forecast_flow(issue_date: date, data_dir: str | None = None) -> dict:
    """Forecast every site and species for leads 1..7 from issue_date."""
    return forecast_task(data_dir, issue_date)


@flow(name="report", flow_run_name="report-{issue_date}", log_prints=True)
def report_flow(issue_date: date, data_dir: str | None = None, lang: str = "ja") -> str:
    """Write the morning report of issue_date; returns its path."""
    return report_task(data_dir, issue_date, lang)


def _today_in(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


@flow(name="daily", log_prints=True)
def daily_flow(issue_date: date | None = None, data_dir: str | None = None, grid_paths: list[str] | None = None,
               catch_paths: list[str] | None = None, lang: str = "ja") -> dict:
    """One issue date end to end: ingest new files if given, train if no model exists, forecast, report."""
    settings = _settings(data_dir)
    issue_date = issue_date or _today_in(settings.timezone)
    if grid_paths or catch_paths:
        ingest_flow(data_dir, grid_paths=grid_paths, catch_paths=catch_paths)
    if not has_models_task(data_dir):
        train_task(data_dir)
    forecast = forecast_task(data_dir, issue_date)
    report_path = report_task(data_dir, issue_date, lang)
    summary = {"issue_date": str(issue_date), "report": report_path, **forecast}
    create_markdown_artifact(
        key=f"daily-{issue_date:%Y-%m-%d}",
        markdown=(
            f"# setnet forecast issued {issue_date}\n\n"
            f"- sites: {forecast['sites']}, species: {forecast['species']}, rows: {forecast['rows']}\n"
            f"- model: {', '.join(forecast['model_versions'])}\n- ocean data of: {forecast['ocean_date']}\n"
            f"- report: `{report_path}`\n"
        ),
        description=f"setnet daily forecast {issue_date}",
    )
    return summary


@flow(name="demo", log_prints=True)
def demo_flow(data_dir: str | None = None, years: int = 3, sites: int = 10, seed: int = 42) -> dict:
    """Generate the sample world under <data_dir>/sample, ingest it, train, and run the daily flow for its last day."""
    settings = _settings(data_dir)
    world = sample_world.generate_world(settings.data_dir / "sample", years=years, sites=sites, seed=seed)
    ingest_flow(data_dir, sites_csv=str(world.sites_csv), grid_paths=[str(world.grids_dir)],
                catch_paths=[str(world.catches_dir)])
    train_task(data_dir)
    return daily_flow(world.end_date, data_dir)
