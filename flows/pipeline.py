"""Prefect 3 flows wiring the stages: ingest -> features -> models -> reports.

Flows take JSON-friendly parameters (`data_dir: str | None`, dates, lists) so deployments can set them; each flow
builds its Settings once and passes that object to its tasks (a pydantic model: Prefect logs and pickles it; the
tasks set `cache_policy=NO_CACHE` because they write to the stores, so a cached result must never skip a write).
Tasks return plain values (paths as strings, dates, counts); heavy objects (grids, tables, connections) live only
inside a task. Every flow that writes holds the data folder's run lock and records itself in `flow_runs`
(`setnet.operations.recorded_run`, which first undoes half-done store writes with ingest's
`recover_interrupted_writes`); flows nested in another (the daily flow's ingest) share their caller's lock. Tasks that read drop folders or download retry with
exponential back-off on I/O errors only (under Prefect: `flows.engine` runs the same functions without Prefect for
the command line, where nothing retries). Daily, refresh and forecast runs time their phases into the record.

Scheduled deployments (prefect.yaml): `grid_ingest_flow`, `catch_ingest_flow`, `daily_flow`, `refresh_flow`,
`train_flow` (weekly), `backfill_flow` (manual); `deliver_flow` sends a day's summaries again (`setnet deliver`).
See docs/operations.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flows import engine
from flows.engine import (
    NO_CACHE,
    create_markdown_artifact,
    exponential_backoff,
    flow,
    get_run_logger,
    tags,
    task,
)
from setnet import operations
from setnet.settings import Settings, load_settings

# The stages load when a task first uses them (a command that only ingests sites never imports models or reports).
ingest = engine.lazy_module("ingest")
models = engine.lazy_module("models")
reports = engine.lazy_module("reports")
sample_world = engine.lazy_module("sample_world")
inbox = engine.lazy_module("ingest.inbox")


def recover_interrupted_writes(settings: Settings) -> list[str]:
    """ingest.recovery.recover_interrupted_writes (imported when a run starts)."""
    from ingest.recovery import recover_interrupted_writes as recover

    return recover(settings)


def _retry_on_io_error(task, task_run, state) -> bool:
    """Retry only transient I/O failures, never bad input (IngestError), a file not published yet, or bugs."""
    try:
        state.result()
    except (ingest.IngestError, inbox.RemoteMissing):
        return False
    except OSError:
        return True
    except Exception:  # noqa: BLE001
        return False
    return False


IO_RETRIES = {"retries": 3, "retry_delay_seconds": exponential_backoff(backoff_factor=5), "retry_jitter_factor": 0.5,
              "retry_condition_fn": _retry_on_io_error}  # waits of about 5, 10, 20 s


def _settings(data_dir: str | None) -> Settings:
    """A flow's Settings from its JSON-friendly `data_dir` parameter (None: SETNET_DATA_DIR, the TOML file or ./data)."""
    return load_settings(data_dir=Path(data_dir) if data_dir else None)


def _day(value: date | str | None) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _run_name(prefix: str, default: Callable[[Settings], date] | None = None) -> Callable[[], str]:
    """A flow run name with the issue date it handles: '<prefix>-2025-11-30'."""
    def name() -> str:
        from prefect.runtime import flow_run

        parameters = flow_run.parameters
        day = _day(parameters.get("issue_date"))
        if day is None and default is not None:
            day = default(_settings(parameters.get("data_dir")))
        return f"{prefix}-{day}" if day else prefix
    return name


@contextmanager
def _recorded(settings: Settings, name: str, issue_date: date | None, parameters: dict[str, Any],
              per_day: bool = False) -> Iterator[operations.RunRecord]:
    """This flow run's lock and `flow_runs` row, keyed by the Prefect flow run id (and the day, for a flow that
    records one row per issue date)."""
    flow_run_id = engine.flow_run_id()  # Prefect's, or one made for a run without Prefect ('local-<hex>')
    run_id = f"{flow_run_id}/{issue_date}" if flow_run_id and per_day else flow_run_id
    with operations.recorded_run(settings, name, issue_date, run_id=run_id,
                                 parameters={k: v for k, v in parameters.items() if v is not None},
                                 recover_stores=recover_interrupted_writes, engine=engine.engine()) as record:
        for note in (record.message or "").split("; "):
            if note:
                get_run_logger().warning("recovered: %s", note)
        yield record


def _describe(summary: dict) -> str:
    return (f"{summary['rows']} forecasts for {summary['sites']} sites x {summary['species']} species, "
            f"model {', '.join(summary['model_versions'])}, ocean data of {summary['ocean_date']}")


# --- tasks ------------------------------------------------------------------------------------------------------

@task(name="ingest-sites", cache_policy=NO_CACHE, **IO_RETRIES)
def ingest_sites_task(settings: Settings, sites_csv: str) -> int:
    return ingest.ingest_sites(settings, Path(sites_csv))


@task(name="ingest-grids", cache_policy=NO_CACHE, **IO_RETRIES)
def ingest_grids_task(settings: Settings, paths: list[str], product: str | None = None,
                      forecast: bool | None = None, issue_date: str | None = None, force: bool = False) -> dict:
    result = ingest.ingest_grids(settings, [Path(p) for p in paths], product=product, forecast=forecast,
                                 issue_date=issue_date, force=force, raise_on_rejected=False)
    logger = get_run_logger()
    for decision in result.decisions:
        logger.info("%s", decision)
    for reason in result.files_rejected:
        logger.warning("rejected: %s", reason)
    return {**asdict(result), "summary": result.summary()}


@task(name="ingest-catches", cache_policy=NO_CACHE, **IO_RETRIES)
def ingest_catches_task(settings: Settings, paths: list[str], force: bool = False) -> dict:
    result = ingest.ingest_catches(settings, [Path(p) for p in paths], force=force,
                                   raise_on_unreadable=False)
    for reason in result.files_failed:
        get_run_logger().warning("unreadable: %s", reason)
    return {**asdict(result), "summary": result.summary()}


def _fetch_run_name() -> str:
    """'fetch-<url>' with the URL's secrets masked (inbox.shown_url): task run names are logged and stored."""
    from prefect.runtime import task_run

    return "fetch-" + inbox.shown_url(str(task_run.parameters.get("url", "")))


@task(name="fetch", task_run_name=_fetch_run_name, cache_policy=NO_CACHE, **IO_RETRIES)
def fetch_task(url: str, folder: str) -> str | None:
    """Download one grid file into the drop folder; None when the provider has not published it yet."""
    try:
        return str(inbox.fetch(url, Path(folder)))
    except inbox.RemoteMissing as missing:
        get_run_logger().info("%s", missing)
        return None


@task(name="grid-inbox", cache_policy=NO_CACHE, **IO_RETRIES)
def grid_inbox_task(settings: Settings, folder: str | None = None) -> dict:
    """Ingest the grid drop folder: new or changed NetCDF files only."""
    drop = Path(folder) if folder else operations.grid_inbox(settings)
    result = inbox.ingest_grid_inbox(settings, drop)
    logger = get_run_logger()
    if result is None:
        logger.info("no grid files in %s", drop)
        return {"summary": f"no grid files in {drop}", "files_rejected": [], "last_day": None}
    for reason in result.files_rejected:
        logger.warning("rejected: %s", reason)
    logger.info("%s: %s", drop, result.summary())
    return {**asdict(result), "summary": result.summary()}


@task(name="catch-inbox", cache_policy=NO_CACHE, **IO_RETRIES)
def catch_inbox_task(settings: Settings, folder: str | None = None) -> dict:
    """Ingest the catch drop folder; late catches are reported with the forecasts they now score."""
    drop = Path(folder) if folder else operations.catch_inbox(settings)
    done = inbox.ingest_catch_inbox(settings, drop)
    logger = get_run_logger()
    for reason in done.result.files_failed if done.result else []:
        logger.warning("unreadable: %s", reason)
    logger.info("%s: %s", drop, done.summary())
    return {"summary": done.summary(), "files_failed": done.result.files_failed if done.result else [],
            "dates_changed": [str(d) for d in done.dates_changed],
            "issue_dates_rescored": [str(d) for d in done.issue_dates_rescored]}


@task(name="train-models", cache_policy=NO_CACHE)
def train_task(settings: Settings, until: date | None = None) -> str:
    result = models.train_models(settings, until=until)
    lead_one = result.metrics[(result.metrics.lead_days == 1) & (result.metrics.site_id == "all")]
    logger = get_run_logger()
    for row in lead_one.itertuples():
        logger.info("model %s %s lead 1: CRPS %.1f kg, CRPSS vs climatology %+.2f, vs persistence %+.2f; MAE %.1f kg",
                    result.model_version, row.species, row.crps_kg, row.crpss_climatology, row.crpss_persistence,
                    row.mae_kg)
    logger.info("model %s trained on %s..%s; promoted for: %s", result.model_version, result.train_start,
                result.train_end, ", ".join(result.promoted_species) or "no species (the serving models' backtest "
                "is better)")
    return result.model_version


@task(name="backtest", cache_policy=NO_CACHE)
def backtest_task(settings: Settings, species: list[str] | None, force: bool = False) -> list[dict]:
    result = models.run_backtest(settings, species=species, force=force)
    get_run_logger().info("backtest of %s: %d forecasts scored%s", result.model_version, len(result.predictions),
                          " (the stored backtest of this version, reused)" if result.reused else "")
    return result.metrics.assign(model_version=result.model_version, reused=result.reused).to_dict(orient="records")


@task(name="tune", cache_policy=NO_CACHE)
def tune_task(settings: Settings, species: list[str] | None, trials: int) -> list[dict]:
    tried = models.run_tuning(settings, species=species, trials=trials)
    get_run_logger().info("tuning %s: %d trials stored", tried.tuning_id.iloc[0], len(tried))
    return tried.to_dict(orient="records")


@task(name="check-inputs", task_run_name="check-inputs-{issue_date}", cache_policy=NO_CACHE)
def check_inputs_task(settings: Settings, issue_date: date) -> dict:
    """Late inputs -> reasons the forecast is degraded; missing ones (past the limits) -> MissingInput."""
    status = operations.check_inputs(settings, issue_date)
    for reason in status.reasons:
        get_run_logger().warning("degraded: %s", reason)
    return {"latest_grid_day": str(status.latest_grid_day), "latest_catch_day": str(status.latest_catch_day),
            "reasons": status.reasons}


@task(name="forecast", task_run_name="forecast-{issue_date}", cache_policy=NO_CACHE)
def forecast_task(settings: Settings, issue_date: date) -> dict:
    watermark = operations.inputs_watermark(settings)  # the inputs this forecast is made from
    phase_seconds: dict[str, float] = {}  # the feature build's wall time (models.forecast_day notes it)
    started = time.perf_counter()
    table = models.forecast_day(settings, issue_date, phase_seconds=phase_seconds)
    phase_seconds["forecast"] = round(time.perf_counter() - started - phase_seconds.get("features", 0.0), 3)
    summary = {
        "rows": len(table),
        "sites": int(table.site_id.nunique()),
        "species": int(table.species.nunique()),
        "model_versions": sorted(table.model_version.unique()),
        "ocean_date": str(table.ocean_date.max()),
        "inputs_watermark": watermark,
        "phase_seconds": phase_seconds,
    }
    get_run_logger().info("forecast %s: %s", issue_date, _describe(summary))
    return summary


@task(name="check-inputs-range", cache_policy=NO_CACHE)
def check_range_task(settings: Settings, issue_dates: list[date]) -> dict[str, dict]:
    """Per issue date (ISO): its input status as `check_inputs_task` gives it, or {"missing": reason}."""
    statuses = {}
    for day in issue_dates:
        try:
            status = operations.check_inputs(settings, day)
        except operations.MissingInput as error:
            statuses[str(day)] = {"missing": str(error)}
            continue
        for reason in status.reasons:
            get_run_logger().warning("degraded %s: %s", day, reason)
        statuses[str(day)] = {"latest_grid_day": str(status.latest_grid_day),
                              "latest_catch_day": str(status.latest_catch_day), "reasons": status.reasons}
    return statuses


@task(name="forecast-days", cache_policy=NO_CACHE)
def forecast_days_task(settings: Settings, issue_dates: list[date]) -> dict[str, dict]:
    """One batched forecast of many issue dates; per issue date (ISO) the summary `forecast_task` gives."""
    watermark = operations.inputs_watermark(settings)
    table = models.forecast_days(settings, issue_dates)
    summaries = {}
    for day, rows in table.groupby("issue_date"):
        summaries[str(day)] = {
            "rows": len(rows), "sites": int(rows.site_id.nunique()), "species": int(rows.species.nunique()),
            "model_versions": sorted(rows.model_version.unique()), "ocean_date": str(rows.ocean_date.max()),
            "inputs_watermark": watermark,
        }
    get_run_logger().info("forecast %d issue dates %s..%s in one batch: %d forecasts", len(summaries),
                          min(summaries), max(summaries), len(table))
    return summaries


@task(name="report", task_run_name="report-{issue_date}", cache_policy=NO_CACHE)
def report_task(settings: Settings, issue_date: date, lang: str) -> str:
    return str(reports.build_report(settings, issue_date, lang=lang))


@task(name="summary", task_run_name="summary-{issue_date}", cache_policy=NO_CACHE)
def summary_task(settings: Settings, issue_date: date, lang: str) -> str:
    return reports.summary_text(settings, issue_date, lang, markdown=True)


@task(name="deliver", task_run_name="deliver-{issue_date}", cache_policy=NO_CACHE)
def deliver_task(settings: Settings, issue_date: date, lang: str, channels: list[str] | None = None,
                 force: bool = False, resend_changed: bool = False) -> list[dict]:
    """Send the summaries by e-mail and LINE (retrying transient failures itself, per message); every outcome is
    recorded in `deliveries` and returned, failures too."""
    done = reports.deliver_summaries(settings, issue_date, lang, channels, force=force, resend_changed=resend_changed)
    logger = get_run_logger()
    for delivery in done:
        if delivery.state == "failed":
            logger.warning("delivery %s %s %s failed: %s", delivery.coop_name, delivery.channel, delivery.recipient,
                           delivery.error)
        else:
            logger.info("delivery %s %s %s: %s%s", delivery.coop_name, delivery.channel, delivery.recipient or "-",
                        delivery.state if delivery.this_run else "already sent",
                        f" ({delivery.error})" if delivery.error else "")
    return [asdict(delivery) for delivery in done]


@task(name="kyucho-outlook", task_run_name="kyucho-outlook-{issue_date}", cache_policy=NO_CACHE)
def kyucho_outlook_task(settings: Settings, issue_date: date) -> dict:
    """The swift-current level over every net for the days after issue_date, and a line per net and day warned."""
    return asdict(reports.kyucho_outlook(settings, issue_date))


def _note_kyucho(settings: Settings, issue_date: date, record: operations.RunRecord, summary: dict) -> None:
    """The day's swift-current level into the run record (`kyucho_level`) and the summary (for the artifact)."""
    outlook = kyucho_outlook_task(settings, issue_date)
    record.note(kyucho_level=outlook["level"])
    summary.update(kyucho_level=outlook["level"], kyucho_lines=outlook["lines"])
    if outlook["lines"]:
        get_run_logger().warning("swift current %s: %s", outlook["level"], "; ".join(outlook["lines"]))


def _kyucho_headline(summary: dict) -> str:
    """The artifact's first line on a day with a swift-current advisory or warning at any net ('' otherwise)."""
    level = summary.get("kyucho_level")
    if level not in ("warning", "advisory"):
        return ""
    word = "WARNING (急潮警報)" if level == "warning" else "advisory (急潮注意報)"
    return (f"**⚠ Swift-current {word} for the days ahead**: " + "; ".join(summary.get("kyucho_lines", [])) + "\n\n")


@task(name="has-models", cache_policy=NO_CACHE)
def has_models_task(settings: Settings) -> bool:
    return models.has_trained_models(settings)


@task(name="refresh-check", task_run_name="refresh-check-{issue_date}", cache_policy=NO_CACHE)
def refresh_check_task(settings: Settings, issue_date: date) -> list[str]:
    return operations.refresh_reasons(settings, issue_date)


# --- flows ------------------------------------------------------------------------------------------------------

@flow(name="ingest", log_prints=True)
def ingest_flow(data_dir: str | None = None, sites_csv: str | None = None, grid_paths: list[str] | None = None,
                catch_paths: list[str] | None = None, grid_product: str | None = None,
                grid_forecast: bool | None = None, issue_date: str | None = None, force: bool = False,
                strict: bool = True) -> dict:
    """Ingest whichever of the site registry, grid files and catch files are given.

    Files that cannot be ingested are listed in the result (`files_rejected`, `files_failed`); with `strict`
    (the default) the flow then fails naming the first, after the other files are stored.
    """
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    with _recorded(settings, "ingest", None, {"sites_csv": sites_csv, "grid_paths": grid_paths,
                                              "catch_paths": catch_paths}) as record:
        done: dict = {}
        if sites_csv:
            done["sites"] = ingest_sites_task(settings, sites_csv)
        if grid_paths:
            done["grids"] = ingest_grids_task(settings, grid_paths, grid_product, grid_forecast, issue_date, force)
        if catch_paths:
            done["catches"] = ingest_catches_task(settings, catch_paths, force)
        record.message = "; ".join(str(part.get("summary", part)) if isinstance(part, dict) else f"{part} sites"
                                   for part in done.values()) or None
        failures = done.get("grids", {}).get("files_rejected", []) + done.get("catches", {}).get("files_failed", [])
        if strict and failures:
            raise ingest.IngestError(f"{len(failures)} file(s) could not be ingested; first: {failures[0]}")
        return done


@flow(name="grid-ingest", flow_run_name=_run_name("grid-ingest", operations.today), log_prints=True)
def grid_ingest_flow(issue_date: date | None = None, data_dir: str | None = None, drop_dir: str | None = None,
                     urls: list[str] | None = None) -> dict:
    """Download the grid URLs (`urls`, default Settings.operations.grid_urls; '{date:%Y%m%d}' filled for the last days) into
    the grid drop folder and ingest every new or changed NetCDF file there. A file not published yet is noted;
    a download that keeps failing fails the flow after the others are ingested."""
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    day = _day(issue_date) or operations.today(settings)
    folder = str(Path(drop_dir) if drop_dir else operations.grid_inbox(settings))
    shown = [inbox.shown_url(url) for url in urls] if urls else None  # no secret of a URL in the run log
    with _recorded(settings, "grid-ingest", day, {"drop_dir": folder, "urls": shown}) as record, \
            tags("setnet", f"date:{day}"):
        wanted = inbox.grid_urls_for(settings, day, urls)
        states = [fetch_task(url, folder, return_state=True) for url in wanted]
        failed = [(url, state) for url, state in zip(wanted, states, strict=True) if not state.is_completed()]
        done = grid_inbox_task(settings, folder)
        fetched = sum(1 for state in states if state.is_completed() and state.result() is not None)
        record.message = f"{fetched} of {len(wanted)} URL(s) fetched; {done['summary']}"
        if failed:
            url, state = failed[0]
            raise OSError(f"{len(failed)} of {len(wanted)} grid download(s) failed after retries; first: "
                          f"{inbox.shown_url(url)}: "
                          f"{state.message}")
        return {"fetched": fetched, **done}


@flow(name="catch-ingest", flow_run_name=_run_name("catch-ingest", operations.today), log_prints=True)
def catch_ingest_flow(issue_date: date | None = None, data_dir: str | None = None, drop_dir: str | None = None) -> dict:
    """Ingest every new or changed catch file in the catch drop folder (after the morning auction). Late catches
    are reported with the issue dates whose forecasts they now score (view `forecast_scores`)."""
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    day = _day(issue_date) or operations.today(settings)
    folder = str(Path(drop_dir) if drop_dir else operations.catch_inbox(settings))
    with _recorded(settings, "catch-ingest", day, {"drop_dir": folder}) as record, tags("setnet", f"date:{day}"):
        done = catch_inbox_task(settings, folder)
        record.message = done["summary"]
        return done


@flow(name="train", log_prints=True)
def train_flow(data_dir: str | None = None, until: date | None = None) -> str:
    """Backtest, train and register one model per species (on history up to `until`, when given: no catch after
    it is used); promote it where its backtest beats the serving model. Returns the model version."""
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    until = _day(until)
    with _recorded(settings, "train", None, {"until": until}) as record:
        version = train_task(settings, until)
        record.note(model_versions=[version])
        return version


@flow(name="backtest", log_prints=True)
def backtest_flow(data_dir: str | None = None, species: list[str] | None = None, force: bool = False) -> list[dict]:
    """Rolling-origin backtest on all history: metrics per species and lead (stored in the warehouse too); the stored
    backtest of the same model version is reused unless `force`."""
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    with _recorded(settings, "backtest", None, {"species": species, "force": force}):
        return backtest_task(settings, species, force)


@flow(name="tune", log_prints=True)
def tune_flow(data_dir: str | None = None, species: list[str] | None = None, trials: int = 8) -> list[dict]:
    """Optional tuning run on the rolling-origin folds; every trial is stored in `tuning_trials`."""
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    with _recorded(settings, "tune", None, {"species": species, "trials": trials}):
        return tune_task(settings, species, trials)


@flow(name="forecast", flow_run_name=_run_name("forecast"), log_prints=True)
def forecast_flow(issue_date: date, data_dir: str | None = None) -> dict:
    """Forecast every site and species for leads 1..7 from issue_date."""
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    with _recorded(settings, "forecast", issue_date, {}) as record, tags("setnet", f"date:{issue_date}"):
        status = check_inputs_task(settings, issue_date)
        done = forecast_task(settings, issue_date)
        _add_phases(record, done.pop("phase_seconds", {}))
        record.note(**done, forecasts=done["rows"], reasons=status["reasons"])
        return {**done, "degraded": record.degraded, "reasons": record.reasons}


@flow(name="report", flow_run_name=_run_name("report"), log_prints=True)
def report_flow(issue_date: date, data_dir: str | None = None, lang: str = "ja") -> str:
    """Write the morning report of issue_date; returns its path."""
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    with _recorded(settings, "report", issue_date, {"lang": lang}), tags("setnet", f"date:{issue_date}"):
        return report_task(settings, issue_date, lang)


def _issue(settings: Settings, issue_date: date, lang: str, record: operations.RunRecord,
           report: bool = True) -> dict:
    """Check the inputs, train if no model exists, forecast, write the report; note it all in the run record."""
    status = check_inputs_task(settings, issue_date)
    if not has_models_task(settings):
        with record.phase("train"):
            train_task(settings)
    forecast = forecast_task(settings, issue_date)
    _add_phases(record, forecast.pop("phase_seconds", {}))
    record.note(**forecast, forecasts=forecast["rows"], reasons=status["reasons"])
    with record.phase("report"):
        report_path = report_task(settings, issue_date, lang) if report else None
    get_run_logger().info("issued %s: %s%s; report %s", issue_date, _describe(forecast),
                          f"; DEGRADED: {'; '.join(record.reasons)}" if record.degraded else "", report_path)
    return {"issue_date": str(issue_date), "report": report_path, **forecast, "degraded": record.degraded,
            "reasons": list(record.reasons), "latest_grid_day": status["latest_grid_day"],
            "latest_catch_day": status["latest_catch_day"]}


def _add_phases(record: operations.RunRecord, seconds: dict[str, float]) -> None:
    """Add a task's phase timings (features, forecast: s) to the run record's."""
    for name, value in seconds.items():
        record.phase_seconds[name] = round(record.phase_seconds.get(name, 0.0) + value, 3)


def _publish(kind: str, summary: dict, settings: Settings, lang: str) -> None:
    """The run's Prefect artifact: what was issued from which inputs, then the report's own short summary."""
    if engine.is_local():  # no Prefect server to show an artifact: neither it nor the summary it quotes is made
        return
    degraded = "".join(f"- **degraded**: {reason}\n" for reason in summary["reasons"])
    issue_date = date.fromisoformat(summary["issue_date"])
    create_markdown_artifact(
        key=f"{kind}-{summary['issue_date']}",
        markdown=(
            f"{_kyucho_headline(summary)}"
            f"# setnet forecast issued {summary['issue_date']}\n\n"
            f"- sites: {summary['sites']}, species: {summary['species']}, rows: {summary['rows']}\n"
            f"- model: {', '.join(summary['model_versions'])}\n- ocean data of: {summary['ocean_date']}\n"
            f"{degraded}- swift current: {summary.get('kyucho_level', 'not checked')}\n"
            f"- report: `{summary['report']}`\n\n"
            f"{summary_task(settings, issue_date, lang)}\n"
        ),
        description=f"setnet {kind} forecast {summary['issue_date']}",
    )


def _note_deliveries(record: operations.RunRecord, done: list[dict]) -> None:
    """Failed sends degrade the run (one reason each); a count of what became of the sends joins its message."""
    record.note(reasons=[f"delivery to {d['coop_name']} by {d['channel']} ({d['recipient']}) failed: {d['error']}"
                         for d in done if d["state"] == "failed"])
    counts: dict[str, int] = {}
    for d in done:
        state = d["state"] if d["this_run"] else "already sent"
        counts[state] = counts.get(state, 0) + 1
    if counts:
        note = "delivery: " + ", ".join(f"{n} {state}" for state, n in counts.items())
        record.message = "; ".join(filter(None, [record.message, note]))


def _deliver(settings: Settings, issue_date: date, lang: str, record: operations.RunRecord, summary: dict,
             resend_changed: bool = False) -> None:
    """Send the summaries after the report. Nothing a send does fails the flow: the report stays, the run is marked
    degraded with the reason."""
    with record.phase("deliver"):
        state = deliver_task(settings, issue_date, lang, resend_changed=resend_changed, return_state=True)
    if state.is_completed():
        done = state.result()
        _note_deliveries(record, done)
    else:
        done = []
        record.note(reasons=[f"delivery of the summaries failed: {state.message}"])
    summary.update(deliveries=done, degraded=record.degraded, reasons=list(record.reasons))


def _sweep_inboxes(settings: Settings, record: operations.RunRecord) -> None:
    """Ingest whatever waits in the drop folders (late files too) before forecasting; bad files only warn."""
    grids = grid_inbox_task(settings)
    catches = catch_inbox_task(settings)
    notes = [part["summary"] for part in (grids, catches) if not part["summary"].startswith("no ")]
    if notes:
        record.message = "; ".join(filter(None, [record.message, *notes]))


@flow(name="daily", flow_run_name=_run_name("daily", operations.today), log_prints=True)
def daily_flow(issue_date: date | None = None, data_dir: str | None = None, grid_paths: list[str] | None = None,
               catch_paths: list[str] | None = None, lang: str = "ja", sweep_inbox: bool = True) -> dict:
    """One issue date end to end: ingest the drop folders (and files given), train if no model exists, forecast,
    report, send the summaries (Settings.delivery; a failed send marks the run degraded). Today's grid late:
    forecasts from the latest grid within max_grid_age_days, marked degraded with the reason (and the report shows
    it); past that limit it fails naming the missing input."""
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    issue_date = _day(issue_date) or operations.today(settings)
    with _recorded(settings, "daily", issue_date, {"lang": lang, "grid_paths": grid_paths,
                                                   "catch_paths": catch_paths}) as record, \
            tags("setnet", f"date:{issue_date}"):
        with record.phase("ingest"):
            if grid_paths or catch_paths:
                ingest_flow(data_dir, grid_paths=grid_paths, catch_paths=catch_paths)
            if sweep_inbox:
                _sweep_inboxes(settings, record)
        with reports.data.report_data_loaded_once():  # the report, the summaries sent and the artifact: one read
            summary = _issue(settings, issue_date, lang, record)
            _note_kyucho(settings, issue_date, record, summary)
            _deliver(settings, issue_date, lang, record, summary)
            with record.phase("publish"):
                _publish("daily", summary, settings, lang)
        get_run_logger().info("daily %s phases: %s", issue_date, record.phase_line())
        return {**summary, "phase_seconds": dict(record.phase_seconds)}


@flow(name="refresh", flow_run_name=_run_name("refresh", operations.current_issue_date), log_prints=True)
def refresh_flow(issue_date: date | None = None, data_dir: str | None = None, lang: str = "ja") -> dict:
    """The early (02:00) refresh: ingest the drop folders, then re-issue the current forecast only if grids or
    catches arrived since it was made (or none was made), sending the summaries whose text changed; otherwise record
    the run as skipped, sending only what the evening could not."""
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    issue_date = _day(issue_date) or operations.current_issue_date(settings)
    with _recorded(settings, "refresh", issue_date, {"lang": lang}) as record, tags("setnet", f"date:{issue_date}"):
        with record.phase("ingest"):
            _sweep_inboxes(settings, record)
        arrived = refresh_check_task(settings, issue_date)
        if not arrived:
            record.state, record.message = "skipped", f"nothing arrived since {issue_date}'s forecasts were made"
            get_run_logger().info("refresh %s: %s", issue_date, record.message)
            unchanged = {"issue_date": str(issue_date), "reissued": False, "arrived": []}
            _note_kyucho(settings, issue_date, record, unchanged)  # the level of the forecast that still stands
            _deliver(settings, issue_date, lang, record, unchanged)  # what the evening could not send
            return unchanged
        get_run_logger().info("refresh %s: re-issuing, %s", issue_date, "; ".join(arrived))
        record.message = "re-issued: " + "; ".join(arrived)
        with reports.data.report_data_loaded_once():  # the report, the summaries sent and the artifact: one read
            summary = _issue(settings, issue_date, lang, record)
            _note_kyucho(settings, issue_date, record, summary)
            _deliver(settings, issue_date, lang, record, summary, resend_changed=True)  # the changed summary goes out
            _publish("refresh", summary, settings, lang)
        return {**summary, "reissued": True, "arrived": arrived}


@flow(name="deliver", flow_run_name=_run_name("deliver"), log_prints=True)
def deliver_flow(issue_date: date, data_dir: str | None = None, lang: str = "ja", channels: list[str] | None = None,
                 force: bool = False) -> dict:
    """Send issue_date's summaries by e-mail and LINE (the channels given, default both), each cooperative to its
    recipients; what was sent before is not sent again unless `force`. Failed sends degrade the run."""
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    with _recorded(settings, "deliver", issue_date, {"lang": lang, "channels": channels, "force": force}) as record, \
            tags("setnet", f"date:{issue_date}"):
        done = deliver_task(settings, issue_date, lang, channels, force)
        _note_deliveries(record, done)
        return {"issue_date": str(issue_date), "deliveries": done, "degraded": record.degraded,
                "reasons": list(record.reasons)}


def _backfill_name() -> str:
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    return f"backfill-{parameters.get('start') or 'last-week'}..{parameters.get('end') or 'yesterday'}"


@flow(name="backfill", flow_run_name=_backfill_name, log_prints=True)
def backfill_flow(start: date | None = None, end: date | None = None, data_dir: str | None = None,
                  lang: str = "ja", write_reports: bool = True, batched: bool = False) -> dict:
    """Forecast (and report) every issue date from start to end inclusive (default: the 7 days up to yesterday).

    Safe over days already done: each day's forecasts are replaced in one transaction. Days whose inputs are
    missing are skipped and named; the flow then fails after doing the others. `batched`: every day's forecasts
    in one batch (one feature table, one prediction per species, one transaction; `models.forecast_days`) instead
    of one day after another; each day still has its own `flow_runs` row. Batched, it never trains: a model
    must exist.
    """
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    end = _day(end) or operations.today(settings) - timedelta(days=1)
    start = _day(start) or end - timedelta(days=6)
    if start > end:
        raise ValueError(f"backfill start {start} is after its end {end}")
    logger = get_run_logger()
    done, missing = [], []
    parameters = {"start": start, "end": end, "lang": lang, "batched": batched or None}
    with operations.holding(settings, "backfill", recover_stores=recover_interrupted_writes) as notes:
        for note in notes:
            logger.warning("recovered: %s", note)
        days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
        if batched:
            done, missing = _issue_batch(settings, days, lang, parameters, write_reports)
        else:
            for day in days:
                try:
                    with _recorded(settings, "backfill", day, parameters, per_day=True) as record, \
                            tags("setnet", f"date:{day}"):
                        done.append(_issue(settings, day, lang, record, report=write_reports))
                except operations.MissingInput as error:
                    logger.error("backfill %s skipped: %s", day, error)
                    missing.append(f"{day}: {error}")
    if missing:
        raise operations.MissingInput(f"{len(missing)} of {len(done) + len(missing)} day(s) not issued; first: "
                                      f"{missing[0]}")
    return {"start": str(start), "end": str(end), "issued": [d["issue_date"] for d in done],
            "degraded": [d["issue_date"] for d in done if d["degraded"]]}


def _issue_batch(settings: Settings, days: list[date], lang: str, parameters: dict[str, Any],
                 write_reports: bool) -> tuple[list[dict], list[str]]:
    """Check every day's inputs, forecast the days that have them in one batch, report each if asked; every day
    issued gets its own `flow_runs` row (all completed together, or all failed). -> (issued days, missing reasons)."""
    if not has_models_task(settings):
        raise ValueError(f"no trained models in {settings.warehouse_path}: run `setnet train` first")
    statuses = check_range_task(settings, days)
    missing = [f"{day}: {statuses[str(day)]['missing']}" for day in days if "missing" in statuses[str(day)]]
    for reason in missing:
        get_run_logger().error("backfill %s skipped", reason)
    ready = [day for day in days if "missing" not in statuses[str(day)]]
    done = []
    if not ready:
        return done, missing
    with ExitStack() as stack:
        records = {day: stack.enter_context(_recorded(settings, "backfill", day, parameters, per_day=True))
                   for day in ready}
        summaries = forecast_days_task(settings, ready)
        for day, record in records.items():
            status, forecast = statuses[str(day)], summaries[str(day)]
            record.note(**forecast, forecasts=forecast["rows"], reasons=status["reasons"])
            report_path = report_task(settings, day, lang) if write_reports else None
            done.append({"issue_date": str(day), "report": report_path, **forecast, "degraded": record.degraded,
                         "reasons": list(record.reasons), "latest_grid_day": status["latest_grid_day"],
                         "latest_catch_day": status["latest_catch_day"]})
    get_run_logger().info("issued %d day(s) %s..%s in one batch%s", len(done), ready[0], ready[-1],
                          f"; degraded: {', '.join(d['issue_date'] for d in done if d['degraded'])}"
                          if any(d["degraded"] for d in done) else "")
    return done, missing


@flow(name="demo", log_prints=True)
def demo_flow(data_dir: str | None = None, years: int = 3, sites: int = 10, seed: int = 42) -> dict:
    """Generate the sample world under <data_dir>/sample and ingest it; train on its history up to the first of
    the last TRACK_RECORD_DAYS issue dates before its last day, forecast those days in one batch (an honest,
    out-of-sample track record for the report), then run the daily flow for its last day."""
    settings = _settings(data_dir)  # built once per flow run; the tasks take it
    with _recorded(settings, "demo", None, {"years": years, "sites": sites, "seed": seed}):
        world = sample_world.generate_world(settings.data_dir / "sample", years=years, sites=sites, seed=seed)
        ingest_flow(data_dir, sites_csv=str(world.sites_csv),
                    grid_paths=[str(world.grids_dir), str(world.forecasts_dir), str(world.hourly_forecasts_dir)],
                    catch_paths=[str(world.catches_dir)])
        first_recorded = world.end_date - timedelta(days=reports.data.TRACK_RECORD_DAYS)
        train_task(settings, until=first_recorded)
        backfill_flow(first_recorded, world.end_date - timedelta(days=1), data_dir, write_reports=False,
                      batched=True)
        return daily_flow(world.end_date, data_dir)
