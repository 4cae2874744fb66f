"""How setnet's flows run: as Prefect flow runs (a Prefect server records them), or in this process alone.

The flows and tasks of `flows.pipeline` are declared with `flow` and `task` from here. Under Prefect (the default:
scheduled deployments, a worker, a flow called from Python) they are ordinary Prefect flows and tasks, with task
runs, retries, tags and artifacts. Inside `local_runs()` (the `setnet` command typed at a terminal, unless
PREFECT_API_URL is configured or `--prefect` is given) the same functions run directly: no Prefect server is
started and nothing is sent to one; the run lock and the `flow_runs` row stay (the flows take them themselves),
with a run id made here (`local-<hex>`). Prefect's task retries apply only under Prefect: a local run fails on the
first error and says so in one line (the person at the terminal runs the command again).

Importing this module imports no Prefect; a flow module imported inside `local_runs()` builds no Prefect object
until one is called outside it (so `setnet ingest sites` never imports prefect).
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import sys
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any

ENGINE_PREFECT, ENGINE_LOCAL = "prefect", "local"
NO_CACHE = "NO_CACHE"  # a task option standing for prefect.cache_policies.NO_CACHE (translated when built)

_local: ContextVar[bool] = ContextVar("setnet_local_runs", default=False)
_run_ids: ContextVar[tuple[str, ...]] = ContextVar("setnet_local_run_ids", default=())
log = logging.getLogger("setnet.flows")


@contextmanager
def local_runs(enabled: bool = True) -> Iterator[None]:
    """Flows and tasks called inside run in this process without Prefect (enabled) or as Prefect runs."""
    token = _local.set(enabled)
    try:
        yield
    finally:
        _local.reset(token)


def is_local() -> bool:
    """True inside `local_runs()`: flows run without Prefect."""
    return _local.get()


def engine() -> str:
    """'local' or 'prefect': how the current flow runs (recorded in `flow_runs.engine`)."""
    return ENGINE_LOCAL if is_local() else ENGINE_PREFECT


def prefect_api_configured(environ: dict[str, str] | None = None) -> bool:
    """Whether a Prefect server is configured for this process: PREFECT_API_URL in the environment or in the active
    Prefect profile ($PREFECT_HOME/profiles.toml, default ~/.prefect), read without importing Prefect."""
    env = os.environ if environ is None else environ
    if env.get("PREFECT_API_URL"):
        return True
    home = Path(env.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    try:
        profiles = tomllib.loads((home / "profiles.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    active = env.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    return bool(profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL"))


class _LazyModule:
    """A module imported when one of its attributes is first used."""

    def __init__(self, name: str) -> None:
        self.__name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self.__name), attr)

    def __repr__(self) -> str:
        return f"<module {self.__name!r}, imported when used>"


def lazy_module(name: str) -> Any:
    """Module `name`, imported on first attribute access (the module itself if it is imported already)."""
    return sys.modules.get(name) or _LazyModule(name)


# --- what the flows use of Prefect ------------------------------------------------------------------------------

def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """Retry delays in s: backoff_factor * 2**n for the n-th retry (as prefect.tasks.exponential_backoff)."""
    def delays(retries: int) -> list[float]:
        return [backoff_factor * 2 ** n for n in range(min(retries, 50))]
    return delays


def get_run_logger() -> logging.Logger | logging.LoggerAdapter:
    """The run's logger: Prefect's run logger, or logger `setnet.flows` in a local run."""
    if is_local():
        return log
    from prefect import get_run_logger as prefect_logger

    return prefect_logger()


def tags(*names: str) -> Any:
    """Prefect tags for the runs made inside (nothing in a local run)."""
    if is_local():
        return nullcontext()
    from prefect import tags as prefect_tags

    return prefect_tags(*names)


def create_markdown_artifact(**kwargs: Any) -> Any:
    """A Prefect artifact of the flow run (none in a local run: there is no server to show it)."""
    if is_local():
        return None
    from prefect.artifacts import create_markdown_artifact as prefect_artifact

    return prefect_artifact(**kwargs)


def flow_run_id() -> str | None:
    """The current flow run's id: Prefect's, or the one made for a local run ('local-<hex>')."""
    if is_local():
        ids = _run_ids.get()
        return ids[-1] if ids else None
    from prefect.runtime import flow_run

    return str(flow_run.id) if flow_run.id else None


class LocalState:
    """What `task(..., return_state=True)` returns in a local run: completed with a result, or failed."""

    def __init__(self, value: Any = None, error: Exception | None = None) -> None:
        self._value, self._error = value, error
        self.message = None if error is None else f"Task run encountered an exception {type(error).__name__}: {error}"

    def is_completed(self) -> bool:
        return self._error is None

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value


def _prefect_options(options: dict[str, Any]) -> dict[str, Any]:
    if options.get("cache_policy") == NO_CACHE:
        from prefect.cache_policies import NO_CACHE as prefect_no_cache

        options = {**options, "cache_policy": prefect_no_cache}
    return options


class _Declared:
    """A function declared as a task or flow with Prefect options; its Prefect object built on first use
    (`prefect`, by `_build`)."""

    def __init__(self, fn: Callable[..., Any], options: dict[str, Any]) -> None:
        self.fn, self.options, self.name = fn, options, options.get("name", fn.__name__)
        functools.update_wrapper(self, fn)

    @functools.cached_property
    def prefect(self) -> Any:
        return self._build()

    def _build(self) -> Any:
        raise NotImplementedError


class Task(_Declared):
    """A task: a Prefect task (built when first called under Prefect), or its plain function in a local run."""

    def _build(self) -> Any:
        from prefect import task as prefect_task

        return prefect_task(**_prefect_options(self.options))(self.fn)

    def __call__(self, *args: Any, return_state: bool = False, **kwargs: Any) -> Any:
        if not is_local():
            return self.prefect(*args, return_state=return_state, **kwargs)
        if not return_state:
            return self.fn(*args, **kwargs)
        try:
            return LocalState(self.fn(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - a failed state, as Prefect returns it
            return LocalState(error=error)

    def with_options(self, **options: Any) -> Task:
        return Task(self.fn, {**self.options, **options})

    def __getattr__(self, name: str) -> Any:  # the Prefect task's attributes (retries, retry_delay_seconds, ...)
        if name.startswith("_") or name in ("fn", "options"):
            raise AttributeError(name)
        return getattr(self.prefect, name)


def task(**options: Any) -> Callable[[Callable[..., Any]], Task]:
    """`prefect.task(**options)` that runs its plain function in a local run."""
    return lambda fn: Task(fn, options)


def _run_local(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    token = _run_ids.set((*_run_ids.get(), f"local-{uuid.uuid4().hex}"))
    try:
        return fn(*args, **kwargs)
    finally:
        _run_ids.reset(token)


class LocalFlow(_Declared):
    """A flow declared inside `local_runs()`: its function in a local run, a Prefect flow (built then) outside."""

    def _build(self) -> Any:
        return _prefect_flow_class()(fn=self.fn, **self.options)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _run_local(self.fn, args, kwargs) if is_local() else self.prefect(*args, **kwargs)


@functools.cache
def _prefect_flow_class() -> type:
    from prefect import Flow

    class SetnetFlow(Flow):
        """A Prefect flow that runs its plain function in a local run (`local_runs()`)."""

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return _run_local(self.fn, args, kwargs) if is_local() else super().__call__(*args, **kwargs)

    return SetnetFlow


def flow(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """`prefect.flow(**options)` that runs its plain function in a local run.

    Declared outside `local_runs()` it is a Prefect `Flow` (deployments load it); inside, a `LocalFlow` that imports
    Prefect only if called outside `local_runs()`.
    """
    def decorate(fn: Callable[..., Any]) -> Any:
        return LocalFlow(fn, options) if is_local() else _prefect_flow_class()(fn=fn, **options)
    return decorate
