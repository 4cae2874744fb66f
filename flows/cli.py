"""The `setnet` command line: each command runs a stage through its flow and prints what it did.

A flow runs in this process without Prefect (no server started, the run lock and `flow_runs` row kept) unless a
Prefect server is configured (PREFECT_API_URL in the environment or the active Prefect profile) or `--prefect` is
given: then it is a Prefect flow run (`flows.engine`). Commands import what they use when they run.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from flows import engine
from setnet.settings import Settings, load_settings

app = typer.Typer(help="setnet: set-net (定置網) catch forecasts from ocean grids and catch history.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
ingest_app = typer.Typer(help="Ingest the site registry, ocean grids and catch files into the stores.",
                         no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")

DateOption = Annotated[str, typer.Option("--date", help="Issue date, YYYY-MM-DD")]


class _State:
    data_dir: Path | None = None
    prefect: bool = False  # --prefect: run flows as Prefect flow runs even without a configured server
    settings: Settings | None = None  # built once per command (by the first `_settings()` of that command)


def _settings() -> Settings:
    """This command's Settings: --data-dir over SETNET_* over the TOML file over the defaults, built once."""
    if _State.settings is None:
        _State.settings = load_settings(data_dir=_State.data_dir)
    return _State.settings


def _data_dir() -> str:
    """The data folder as a flow parameter (flows take JSON-friendly parameters and build their own Settings)."""
    return str(_settings().data_dir)


def _parse_date(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date like 2025-11-30") from None


# Loggers on which Prefect's engine reports a failed flow or task run (with the traceback) as it re-raises it.
PREFECT_ENGINE_LOGGERS = ("prefect.flow_runs", "prefect.task_runs", "prefect.engine", "prefect.flow_engine",
                          "prefect.task_engine")


class _EngineFailureFilter(logging.Filter):
    """Drops Prefect's own ERROR records (the failure and its traceback): the error boundary reports it in one line.

    Records our flows log themselves (a backfill day skipped, a file rejected) pass; with SETNET_DEBUG set, all pass.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if os.environ.get("SETNET_DEBUG") or record.levelno < logging.ERROR:
            return True
        return not record.pathname.startswith(_prefect_dir())


@functools.cache
def _prefect_dir() -> str:
    """Folder of the installed prefect package (found without importing it); records from there are the engine's."""
    import importlib.util

    spec = importlib.util.find_spec("prefect")
    return str(Path(spec.origin).parent) + os.sep if spec and spec.origin else "<no prefect>"


def _one_line_console() -> None:
    """Install the engine-failure filter on Prefect's run loggers (once per process; a CLI process only)."""
    for name in PREFECT_ENGINE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _EngineFailureFilter) for f in logger.filters):
            logger.addFilter(_EngineFailureFilter())


def _one_line_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """The CLI's one error boundary: any failure -> `setnet: error: <reason>` on stderr and exit status 1.

    Nothing else is printed for it (Prefect's report of the failed run and its traceback are held back); with
    SETNET_DEBUG=1 the traceback is shown too.
    """
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _one_line_console()
        try:
            with engine.local_runs(not _uses_prefect()):
                return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.BadParameter):
            raise
        except Exception as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            typer.echo(f"setnet: error: {reason}", err=True)
            if os.environ.get("SETNET_DEBUG"):
                raise
            raise typer.Exit(1) from None
    return wrapper


def _uses_prefect() -> bool:
    """Whether this command's flows run as Prefect flow runs: `--prefect`, or a Prefect server configured."""
    return _State.prefect or engine.prefect_api_configured()


def _quiet_prefect() -> None:
    """Defaults for running flows from the command line: no telemetry, patient ephemeral server start."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@app.callback()
def main(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar="SETNET_DATA_DIR",
                                                  help="Folder for everything a run writes [default: ./data]")] = None,
    prefect: Annotated[bool, typer.Option(
        "--prefect", help="Run flows as Prefect flow runs (a temporary local server if PREFECT_API_URL is not set); "
                          "default: in this process without Prefect, unless PREFECT_API_URL is configured")] = False,
) -> None:
    """setnet: set-net (定置網) catch forecasts from ocean grids and catch history."""
    _State.data_dir, _State.settings, _State.prefect = data_dir, None, prefect
    _quiet_prefect()


@app.command()
@_one_line_errors
def sample(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the sample world into")],
    years: Annotated[int, typer.Option(min=1, max=30)] = 3,
    sites: Annotated[int, typer.Option(min=1, max=10)] = 10,
    seed: int = 42,
    response: Annotated[Literal["default", "ocean"], typer.Option(
        help="Hidden ocean-to-catch function: ocean = an ocean-dominated bay, school abundance of little weight")
    ] = "default",
    forecast_days: Annotated[int, typer.Option(
        min=0, help="Last issue days with ocean forecast files (daily leads 0-9 and hourly currents); 0: none")] = 60,
) -> None:
    """Generate the sample Toyama Bay world: daily NetCDF grids, ocean forecasts, site registry, catches and truth."""
    import sample_world

    world = sample_world.generate_world(out, years=years, sites=sites, seed=seed, response=response,
                                        forecast_days=forecast_days)
    typer.echo(f"sample world {world.start_date}..{world.end_date} ({world.response} response) written to {world.root}")
    typer.echo(f"  sites: {world.sites_csv}\n  grids: {world.grids_dir}\n  catches: {world.catches_dir}\n"
               f"  truth (never read by the pipeline): {world.truth_csv}")


@ingest_app.command("sites")
@_one_line_errors
def ingest_sites(file: Path) -> None:
    """Upsert the site registry CSV (site_id, name_ja, name_en, coop, lat, lon, depth_m, bearing_deg)."""
    from flows.pipeline import ingest_flow

    done = ingest_flow(_data_dir(), sites_csv=str(file))
    typer.echo(f"{done['sites']} sites stored in {_settings().warehouse_path}")


@ingest_app.command("grids")
@_one_line_errors
def ingest_grids(
    paths: Annotated[list[Path], typer.Argument(help="NetCDF files, folders or quoted globs ('data/*.nc')")],
    product: Annotated[str | None, typer.Option(help="Product table entry to read them as (default: recognised)")] = None,
    forecast: Annotated[bool | None, typer.Option("--forecast/--analysis",
                                                  help="Force files to be read as ocean forecasts or analyses")] = None,
    issue_date: Annotated[str | None, typer.Option("--issue-date",
                                                   help="Issue date of forecast files that do not carry one")] = None,
    force: Annotated[bool, typer.Option(help="Ingest files again even if unchanged")] = False,
) -> None:
    """Ingest NetCDF ocean grids (Copernicus, OISST, HYCOM, FORA, JCOPE2M, ...) into the grid or forecast store."""
    from flows.pipeline import ingest_flow

    if issue_date is not None:
        _parse_date(issue_date)
    grids = ingest_flow(_data_dir(), grid_paths=[str(p) for p in paths], grid_product=product,
                        grid_forecast=forecast, issue_date=issue_date, force=force, strict=False)["grids"]
    typer.echo(grids["summary"])
    if grids["files_rejected"]:
        raise RuntimeError(f"{len(grids['files_rejected'])} grid file(s) rejected, stores untouched by them; "
                           f"first: {grids['files_rejected'][0]}")


@ingest_app.command("catches")
@_one_line_errors
def ingest_catches(
    paths: Annotated[list[Path], typer.Argument(help="CSV/XLSX/Parquet files, folders or quoted globs")],
    force: Annotated[bool, typer.Option(help="Ingest files again even if unchanged")] = False,
) -> None:
    """Ingest cooperative catch files (CSV in UTF-8 or Shift_JIS, XLSX, Parquet); bad rows are quarantined."""
    from flows.pipeline import ingest_flow

    catches = ingest_flow(_data_dir(), catch_paths=[str(p) for p in paths], force=force,
                          strict=False)["catches"]
    typer.echo(catches["summary"])
    if catches["files_failed"]:
        raise RuntimeError(f"{len(catches['files_failed'])} catch file(s) unreadable, nothing stored from them; "
                           f"first: {catches['files_failed'][0]}")
    if catches["files_all_quarantined"]:
        raise RuntimeError(f"every line of {len(catches['files_all_quarantined'])} catch file(s) quarantined, "
                           f"nothing stored from them (see table ingest_rejects); first: "
                           f"{catches['files_all_quarantined'][0]}")


@app.command()
@_one_line_errors
def train(
    until: Annotated[str | None, typer.Option("--until", help="Training cutoff, YYYY-MM-DD: no catch after it is "
                                                             "used (default: all history)")] = None,
) -> None:
    """Train one LightGBM model set per species, evaluate it on a time-ordered holdout, register it."""
    from flows.pipeline import train_flow

    typer.echo(f"trained model {train_flow(_data_dir(), until=_parse_date(until) if until else None)}")


BACKTEST_JSON_KEYS = {
    "site_id": "site_id", "species": "species", "lead_days": "lead_days", "mae": "mae_kg", "rmse": "rmse_kg",
    "pinball": "pinball_kg", "coverage_80": "coverage_80", "mae_climatology": "mae_climatology_kg",
    "mae_persistence": "mae_persistence_kg", "skill_vs_climatology": "skill_vs_climatology",
    "skill_vs_persistence": "skill_vs_persistence", "coverage_80_pit": "coverage_80_pit",
    "coverage_80_caught": "coverage_80_caught", "skill_vs_seasonal_naive": "skill_vs_seasonal_naive",
    "crps_kg": "crps_kg", "crps_climatology_kg": "crps_climatology_kg", "crps_persistence_kg": "crps_persistence_kg",
    "crpss_climatology": "crpss_climatology", "crpss_persistence": "crpss_persistence", "brier_zero": "brier_zero",
}
def _json_value(value: Any) -> Any:
    """A metric as JSON: NaN (a metric that has no rows to judge, such as a hit rate without big catches) as null."""
    return None if isinstance(value, float) and math.isnan(value) else value


@app.command()
@_one_line_errors
def backtest(
    species: Annotated[list[str] | None, typer.Option("--species", help="Species code (repeatable); default all")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list, one object per species and lead")] = False,
    per_site: Annotated[bool, typer.Option("--per-site", help="With --json, also one object per net, species and "
                                                              "lead (site_id 'all' is the pooled record)")] = False,
    force: Annotated[bool, typer.Option("--force", help="Run the backtest again even when one of the same model "
                                                        "version (data, parameters, features) is stored")] = False,
) -> None:
    """Rolling-origin backtest against climatology and persistence; stores every forecast and the metrics (a stored
    backtest of the same model version, e.g. the one `setnet train` ran, is reused unless --force)."""
    import json

    from flows.pipeline import backtest_flow
    from setnet.warehouse import POOLED_SITE_ID

    metrics = backtest_flow(_data_dir(), species=species or None, force=force)
    overall = [row for row in metrics if row.get("site_id", POOLED_SITE_ID) == POOLED_SITE_ID]
    if metrics[0].get("reused"):  # on stderr with --json, so the output stays JSON
        typer.echo(f"reused the stored backtest of model {metrics[0]['model_version']} (same data, parameters and "
                   "features; --force runs it again)", err=as_json)
    if as_json:
        nets = [row for row in metrics if row.get("site_id", POOLED_SITE_ID) != POOLED_SITE_ID]
        chosen = overall + (nets if per_site else [])
        records = [{key: _json_value(row.get(column)) for key, column in BACKTEST_JSON_KEYS.items()} for row in chosen]
        typer.echo(json.dumps(records, indent=1))
        return
    typer.echo(f"backtest of model {metrics[0]['model_version']} (MAE and CRPS in kg; skill = 1 - MAE/MAE_baseline, "
               "CRPSS = 1 - CRPS/CRPS_climatology; pooled over the nets)")
    typer.echo(f"{'species':<14}{'lead':>5}{'MAE':>9}{'clim':>9}{'pers':>9}{'skill_c':>9}{'skill_p':>9}{'CRPS':>9}"
               f"{'CRPSS_c':>9}{'cov80':>7}")
    for row in overall:
        crps, crpss = row.get("crps_kg", float("nan")), row.get("crpss_climatology", float("nan"))
        typer.echo(f"{row['species']:<14}{row['lead_days']:>5}{row['mae_kg']:>9.1f}{row['mae_climatology_kg']:>9.1f}"
                   f"{row['mae_persistence_kg']:>9.1f}{row['skill_vs_climatology']:>+9.2f}"
                   f"{row['skill_vs_persistence']:>+9.2f}{crps:>9.1f}{crpss:>+9.2f}{row['coverage_80']:>7.2f}")


@app.command()
@_one_line_errors
def tune(
    species: Annotated[list[str] | None, typer.Option("--species", help="Species code (repeatable); default all")] = None,
    trials: Annotated[int, typer.Option("--trials", min=1, help="Parameter sets to try (the first: the defaults)")] = 8,
) -> None:
    """A bigger parameter search than every fit runs: store every trial, print the best (every fit searches itself)."""
    import json

    import pandas as pd

    import models
    from flows.pipeline import tune_flow

    tried = tune_flow(_data_dir(), species=species or None, trials=trials)
    typer.echo(f"tuning {tried[0]['tuning_id']}: {trials} trial(s) per species in table tuning_trials "
               "(CRPS and MAE of the median in kg on the held-out blocks of all history; trial 0 = the defaults)")
    typer.echo(f"{'species':<14}{'trial':>6}{'CRPS':>10}{'MAE':>10}  {'start':<9} changes")
    for row in sorted(tried, key=lambda r: (r["species"], r["crps_kg"])):
        start = "seasonal" if row["seasonal_start"] else "constant"
        typer.echo(f"{row['species']:<14}{row['trial']:>6}{row['crps_kg']:>10.2f}{row['mae_kg']:>10.2f}  {start:<9} "
                   f"{row['params']}")
    best, start = models.best_overrides(pd.DataFrame(tried))
    if best is None:
        typer.echo("the default parameters are the best tried")
    else:
        typer.echo(f"best over all species: {json.dumps(best, sort_keys=True)}; "
                   f"to use it: SETNET_MODELS__LIGHTGBM_OVERRIDES='{json.dumps(best)}'")
    typer.echo(f"best start: {'the seasonal normal' if start else 'a constant'} (every fit chooses its own; "
               "SETNET_MODELS__SEASONAL_START=always or never fixes it)")


models_app = typer.Typer(help="The model registry: list trained models, promote one.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("list")
@_one_line_errors
def models_list() -> None:
    """List registered models, newest first, with backtest skill and which one serves each species."""
    import models
    from setnet.warehouse import connect

    with connect(_settings().warehouse_path, read_only=True) as con:
        listed = models.list_models(con)
    if listed.empty:
        typer.echo("no models registered: run `setnet train`")
        return
    typer.echo(f"{'version':<13}{'species':<15}{'trained':<18}{'train window':<24}{'skill_c':>8}{'cov80':>7}  serving")
    for row in listed.itertuples():
        window = f"{row.train_start}..{row.train_end}"
        typer.echo(f"{row.model_version:<13}{row.species:<15}{row.trained_at:%Y-%m-%d %H:%M}  {window:<24}"
                   f"{row.skill_vs_climatology:>+8.2f}{row.coverage_80:>7.2f}  {'*' if row.serving else ''}")


@models_app.command("promote")
@_one_line_errors
def models_promote(
    version: str,
    species: Annotated[list[str] | None, typer.Option("--species", help="Only these species (repeatable)")] = None,
) -> None:
    """Make a registered model serve the daily forecast (all its species, or the ones given)."""
    import models
    from setnet.warehouse import connect

    with connect(_settings().warehouse_path) as con:
        promoted = models.promote(con, version, species or None)
    typer.echo(f"model {version} now serves {', '.join(promoted) or 'no species'}")


@app.command("model-card")
@_one_line_errors
def model_card(
    out: Annotated[Path, typer.Option("--out", help="Markdown file to write")] = Path("docs/model-card.md"),
    truth: Annotated[Path | None, typer.Option("--truth", help="Sample world truth.csv to score against")] = None,
    ceiling: Annotated[Path | None, typer.Option(
        "--ceiling", help="The model ceiling table (docs/model-ceiling.md) whose CRPSS the targets are judged "
                          "against (with --truth)")] = None,
    peer: Annotated[Path | None, typer.Option(
        "--peer", help="The peer bench's Markdown (`python -m bench.peer_bench --out docs/model-peer.md`): setnet "
                       "against mlforecast, quoted in the card")] = None,
) -> None:
    """Write the model card from the newest backtest (and the sample world's truth, model ceiling and peer
    comparison, when given)."""
    import models

    command = "setnet " + " ".join(sys.argv[1:]) if sys.argv[1:] else "setnet model-card"
    if ceiling is None:
        text = models.write_model_card(_settings(), truth, command)
    else:
        from models.model_card import ceiling_crpss_from_markdown

        ceilings = ceiling_crpss_from_markdown(ceiling.read_text(encoding="utf-8"))
        text = models.write_model_card(_settings(), truth, command, ceiling_crpss=ceilings)
    if peer is not None:  # measured by the bench on its own world: quoted as it is, with its command
        body = peer.read_text(encoding="utf-8").split("\n", 1)[-1].strip()
        text = text.rstrip() + "\n\n## Against a peer: mlforecast\n\n" + body + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"model card: {out}")


@app.command()
@_one_line_errors
def forecast(issue_date: DateOption) -> None:
    """Forecast every site and species for the next days from the given issue date."""
    from flows.pipeline import forecast_flow

    done = forecast_flow(_parse_date(issue_date), _data_dir())
    typer.echo(f"{done['rows']} forecasts for {done['sites']} sites x {done['species']} species "
               f"(model {', '.join(done['model_versions'])}, ocean data of {done['ocean_date']})")


@app.command()
@_one_line_errors
def quantiles(
    issue_date: DateOption,
    levels: Annotated[str, typer.Option("--levels", help="Comma-separated quantile levels in (0, 1)")] = "0.05,0.5,0.95",
    lead: Annotated[int, typer.Option("--lead", min=1, help="Lead in days (1 = tomorrow)")] = 1,
) -> None:
    """Any quantiles of a stored forecast (from its distribution, no retraining): kg per net and species."""
    import models

    try:
        chosen = [float(level) for level in levels.split(",")]
    except ValueError as error:
        raise typer.BadParameter(f"{levels!r} is not a comma-separated list of numbers", param_hint="--levels") from error
    table = models.stored_quantiles(_settings(), _parse_date(issue_date), chosen, lead)
    typer.echo(table.to_string(index=False, float_format=lambda kg: f"{kg:,.1f}"))


@app.command()
@_one_line_errors
def report(issue_date: DateOption,
           coop: Annotated[str | None, typer.Option("--coop", help="One cooperative (name or folder name) "
                                                                    "[default: every one]")] = None,
           lang: Annotated[str, typer.Option(help="ja or en")] = "ja",
           formats: Annotated[str, typer.Option("--format", help="Comma-separated: html, pdf, txt")] = "html,pdf,txt",
           ) -> None:
    """Write the morning report of an issue date: HTML pages, an A4 PDF page and a text summary per cooperative."""
    from reports.build import FORMATS, parse_formats, read_manifest
    from reports.labels import file_name

    day = _parse_date(issue_date)
    if lang not in ("ja", "en"):
        raise typer.BadParameter(f"{lang!r} is not ja or en", param_hint="--lang")
    try:
        chosen = parse_formats(formats)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--format") from None
    settings = _settings()
    if coop is None and chosen == FORMATS:  # the daily flow's report: every cooperative, every format
        from flows.pipeline import report_flow

        main_path = Path(report_flow(day, _data_dir(), lang))
        coops = None
    else:  # report_flow takes no cooperative or formats (yet): build directly
        import reports

        built = reports.build_reports(settings, day, lang=lang, coop=coop, formats=chosen)
        main_path, coops = built.main, set(built.coops)
    typer.echo(f"report: {main_path}")
    folder = settings.reports_dir / day.isoformat()
    for entry in read_manifest(folder, lang).get("coops", []):  # the files of this language (index.en.html, ...)
        if coops is None or entry["slug"] in coops:
            names = [file_name(kind, lang) for kind in FORMATS if kind in entry["formats"]]
            first = folder / entry["slug"] / names[0] if names else folder / entry["slug"]
            typer.echo(f"  {entry['name']}: {', '.join([str(first), *names[1:]])} ({', '.join(entry['formats'])})")


@app.command()
@_one_line_errors
def serve(port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)")] = 8000,
          ) -> None:
    """Serve the reports folder on http://127.0.0.1:PORT/ (this machine only) until Ctrl-C."""
    from reports.serve import make_server

    settings = _settings()
    server = make_server(settings.reports_dir, port)
    typer.echo(f"serving {settings.reports_dir} on http://127.0.0.1:{server.server_address[1]}/ "
               "(this machine only; Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
@_one_line_errors
def daily(issue_date: DateOption,
          lang: Annotated[str, typer.Option(help="ja or en")] = "ja") -> None:
    """Run one issue date end to end: train if needed, forecast, report."""
    from flows.pipeline import daily_flow

    done = daily_flow(_parse_date(issue_date), _data_dir(), lang=lang)
    typer.echo(f"{done['rows']} forecasts issued {done['issue_date']}; report: {done['report']}")
    for reason in done.get("reasons", []):
        typer.echo(f"  degraded: {reason}")
    typer.echo(_phase_line(done))


def _phase_line(done: dict) -> str:
    """'phases: ingest 0.4 s, features 2.1 s, forecast 1.3 s, report 3.0 s, ...' of a daily run's summary."""
    phases = done.get("phase_seconds") or {}
    return "phases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())


def _delivery_line(coop: str, channel: str, deliveries: list[dict]) -> str:
    """'氷見漁協 email: sent a@example.org; failed b@example.org: SMTP login refused (535)', on one line."""
    parts = []
    for d in deliveries:
        if d["state"] == "skipped":
            parts.append(f"skipped: {d['error']}")
        elif d["state"] == "failed":
            parts.append(f"FAILED {d['recipient']}: {d['error']}")
        else:
            tries = f" ({d['attempts']} attempts)" if d["this_run"] and d["attempts"] > 1 else ""
            parts.append(f"{'sent' if d['this_run'] else 'already sent'} {d['recipient']}{tries}")
    from reports.delivery import header_text

    return header_text(f"{coop} {channel}: {'; '.join(parts)}")  # one line, whatever a name or an answer holds


@app.command()
@_one_line_errors
def deliver(issue_date: DateOption,
            channel: Annotated[str | None, typer.Option("--channel", help="email or line [default: both]")] = None,
            force: Annotated[bool, typer.Option("--force", help="Send again what was already sent")] = False,
            lang: Annotated[str, typer.Option(help="ja or en")] = "ja") -> None:
    """Send each cooperative's summary of an issue date by e-mail and LINE (Settings.delivery), one line per
    cooperative and channel; what was sent before is not sent again unless --force."""
    from flows.pipeline import deliver_flow
    from reports.delivery import CHANNELS

    day = _parse_date(issue_date)
    if channel is not None and channel not in CHANNELS:
        raise typer.BadParameter(f"{channel!r} is not one of {', '.join(CHANNELS)}", param_hint="--channel")
    if lang not in ("ja", "en"):
        raise typer.BadParameter(f"{lang!r} is not ja or en", param_hint="--lang")
    done = deliver_flow(day, _data_dir(), lang=lang, channels=[channel] if channel else None, force=force)
    groups: dict[tuple[str, str], list[dict]] = {}
    for delivery in done["deliveries"]:
        groups.setdefault((delivery["coop_name"], delivery["channel"]), []).append(delivery)
    for (coop, kind), deliveries in groups.items():
        typer.echo(_delivery_line(coop, kind, deliveries))
    failed = [d for d in done["deliveries"] if d["state"] == "failed"]
    if failed:
        first = failed[0]
        raise RuntimeError(f"{len(failed)} of {len(done['deliveries'])} deliveries failed; first: {first['coop_name']} "
                           f"{first['channel']} {first['recipient']}: {first['error']}")


@app.command()
@_one_line_errors
def demo(
    years: Annotated[int, typer.Option(min=2, max=30)] = 3,
    sites: Annotated[int, typer.Option(min=1, max=10)] = 10,
    seed: int = 42,
) -> None:
    """Generate the sample world under <data-dir>/sample and run the whole pipeline on it."""
    from flows.pipeline import demo_flow

    done = demo_flow(_data_dir(), years=years, sites=sites, seed=seed)
    typer.echo(f"demo done: {done['rows']} forecasts for {done['sites']} sites x {done['species']} species, "
               f"issued {done['issue_date']}")
    typer.echo(f"report: {done['report']}")
    typer.echo(_phase_line(done) + " (the daily run of the last day)")


@app.command()
@_one_line_errors
def backfill(
    start: Annotated[str, typer.Option("--start", help="First issue date, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="Last issue date, YYYY-MM-DD")],
    lang: Annotated[str, typer.Option(help="ja or en")] = "ja",
    write_reports: Annotated[bool, typer.Option("--reports/--no-reports", help="Write each day's report")] = True,
    batched: Annotated[bool, typer.Option("--batched", help="Forecast every day in one batch (faster; needs a "
                                                            "trained model)")] = False,
) -> None:
    """Forecast (and report) every issue date from --start to --end; safe over days already done."""
    from flows.pipeline import backfill_flow

    done = backfill_flow(_parse_date(start), _parse_date(end), _data_dir(), lang=lang, write_reports=write_reports,
                         batched=batched)
    typer.echo(f"issued {len(done['issued'])} day(s) {done['start']}..{done['end']}"
               + (f"; degraded: {', '.join(done['degraded'])}" if done["degraded"] else ""))


@app.command()
@_one_line_errors
def runs(limit: Annotated[int, typer.Option(min=1, help="How many, newest first")] = 20) -> None:
    """The latest flow runs on this data folder (table flow_runs): what each handled, degraded or not and why."""
    import json
    from zoneinfo import ZoneInfo

    import pandas as pd

    from setnet.operations import list_runs

    settings = _settings()
    listed = list_runs(settings, limit)
    if listed.empty:
        typer.echo("no runs recorded")
        return
    zone = ZoneInfo(settings.timezone)
    for row in listed.itertuples():
        started = pd.Timestamp(row.started_at).tz_localize("UTC").tz_convert(zone)
        day = "" if pd.isna(row.issue_date) else f" {pd.Timestamp(row.issue_date):%Y-%m-%d}"
        handled = (f" {int(row.sites)} sites, model {row.model_versions}" if not pd.isna(row.sites) else "")
        kyucho = getattr(row, "kyucho_level", None)  # migration 16: the swift-current level a daily/refresh issued
        typer.echo(f"{started:%Y-%m-%d %H:%M} {row.flow}{day} {row.state.upper()}{handled}"
                   + (" DEGRADED" if row.degraded else "")
                   + (f" kyucho {kyucho.upper() if kyucho == 'warning' else kyucho}" if isinstance(kyucho, str) else ""))
        for reason in json.loads(row.reasons or "[]"):
            typer.echo(f"    degraded: {reason}")
        if isinstance(row.message, str) and row.message:
            typer.echo(f"    {row.message}")


@app.command("serve-prefect")
@_one_line_errors
def serve_prefect(port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1")] = 4200) -> None:
    """Start a local Prefect server (SQLite) and a process worker, deploy prefect.yaml, print the UI address;
    Ctrl-C stops both."""
    from flows.local_prefect import main as serve_main

    raise typer.Exit(serve_main(["--port", str(port), "--data-dir", _data_dir()]))


if __name__ == "__main__":
    sys.exit(app())
