"""A local Prefect server and process worker running setnet's deployments (`make serve-prefect`).

`python -m flows.local_prefect [--port 4200] [--data-dir data]` starts `prefect server start` on 127.0.0.1 (its
SQLite database under PREFECT_HOME), creates the `setnet-local` process work pool, deploys everything in
prefect.yaml, starts a process worker, prints the UI address, and stops both on Ctrl-C. The integration test uses
the same pieces with a one-shot worker. Every process is started in its own session and stopped by process group.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
POOL = "setnet-local"
HEALTH_TIMEOUT_S = 90.0


def prefect_command() -> list[str]:
    """The `prefect` executable beside this Python (the project's venv)."""
    script = Path(sys.executable).with_name("prefect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "prefect"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prefect_env(port: int, home: Path, project_dir: Path = PROJECT_DIR, base: Mapping[str, str] | None = None,
                **extra: str) -> dict[str, str]:
    """Environment for every Prefect process of one local server: its API, its home, no telemetry, and where the
    deployments' pull step finds the project (SETNET_PROJECT_DIR)."""
    env = dict(os.environ if base is None else base)
    env.update(PREFECT_API_URL=f"http://127.0.0.1:{port}/api", PREFECT_HOME=str(home),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_URL=f"http://127.0.0.1:{port}",
               SETNET_PROJECT_DIR=str(project_dir))
    env.update(extra)
    return env


def start_server(env: Mapping[str, str], port: int, log_file: Path) -> subprocess.Popen:
    """`prefect server start` on 127.0.0.1:port in a new session (so its children stop with it)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        return subprocess.Popen([*prefect_command(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                env=dict(env), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=PROJECT_DIR)


def wait_healthy(api_url: str, process: subprocess.Popen | None = None, log_file: Path | None = None,
                 timeout_s: float = HEALTH_TIMEOUT_S) -> float:
    """Poll <api>/health until it answers; returns the seconds waited. RuntimeError if the server exits or is late."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with {process.returncode}{_tail(log_file)}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the Prefect server at {api_url} was not healthy after {timeout_s:.0f} s{_tail(log_file)}")


def _tail(log_file: Path | None, lines: int = 20) -> str:
    if log_file is None or not log_file.exists():
        return ""
    return "; its log ends:\n" + "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])


def prefect(args: list[str], env: Mapping[str, str], timeout_s: float = 180.0) -> str:
    """Run one `prefect` command in the project folder; its output, or RuntimeError with the output."""
    done = subprocess.run([*prefect_command(), *args], env=dict(env), cwd=PROJECT_DIR, capture_output=True, text=True,
                          timeout=timeout_s, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"prefect {' '.join(args)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def create_pool(env: Mapping[str, str], pool: str = POOL) -> None:
    """The process work pool the deployments name (created before deploying: deploy fails without it)."""
    prefect(["work-pool", "create", pool, "--type", "process", "--overwrite"], env)


def deploy_all(env: Mapping[str, str]) -> str:
    """Every deployment of prefect.yaml."""
    return prefect(["--no-prompt", "deploy", "--all"], env)


def start_worker(env: Mapping[str, str], pool: str = POOL, run_once: bool = False,
                 log_file: Path | None = None) -> subprocess.Popen:
    """A process worker on the pool (`run_once`: run what is due, wait for it, exit)."""
    command = [*prefect_command(), "worker", "start", "--pool", pool, *(["--run-once"] if run_once else [])]
    output = log_file.open("ab") if log_file is not None else None
    try:
        return subprocess.Popen(command, env=dict(env), cwd=PROJECT_DIR, stdout=output,
                                stderr=subprocess.STDOUT if output else None, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    finally:
        if output is not None:
            output.close()


def stop(process: subprocess.Popen | None, timeout_s: float = 10.0) -> None:
    """Stop a process started here and its children: SIGINT twice (a worker needs two), SIGTERM, then SIGKILL."""
    if process is None:
        return
    for sig in (signal.SIGINT, signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=timeout_s / 2 if sig == signal.SIGINT else timeout_s)
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError, PermissionError):  # children the leader left behind in its group
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@dataclass
class LocalPrefect:
    """A running local server (and maybe a worker): addresses, environment and processes."""

    port: int
    home: Path
    env: dict[str, str]
    server: subprocess.Popen
    worker: subprocess.Popen | None = None
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def local_prefect(home: Path, port: int | None = None, *, deploy: bool = True, worker: bool = True,
                  scheduler: bool = True, extra_env: Mapping[str, str] | None = None) -> Iterator[LocalPrefect]:
    """A local Prefect server on 127.0.0.1 with the pool and deployments (and a worker), stopped on exit.

    `scheduler=False` keeps the server from creating scheduled runs (tests: nothing runs unless triggered).
    """
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = prefect_env(port, home, **dict(extra_env or {}))
    server_env = {**env, "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "true" if scheduler else "false"}
    server = start_server(server_env, port, home / "server.log")
    running = LocalPrefect(port, home, env, server, processes=[server])
    try:
        wait_healthy(running.api_url, server, home / "server.log")
        if deploy:
            create_pool(env)
            deploy_all(env)
        if worker:
            running.worker = start_worker(env)
            running.processes.append(running.worker)
        yield running
    finally:
        for process in reversed(running.processes):
            stop(process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.local_prefect", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4200, help="port on 127.0.0.1 [4200]")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="data folder of the deployments' runs [SETNET_DATA_DIR or ./data]")
    parser.add_argument("--home", type=Path, default=None,
                        help="PREFECT_HOME: the server's SQLite database and logs [PREFECT_HOME or <data-dir>/prefect-home]")
    args = parser.parse_args(argv)
    data_dir = (args.data_dir or Path(os.environ.get("SETNET_DATA_DIR", "data"))).resolve()
    home = (args.home or (Path(os.environ["PREFECT_HOME"]) if os.environ.get("PREFECT_HOME")
                          else data_dir / "prefect-home")).resolve()
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)  # also when started in the background, where SIGINT is ignored
    signal.signal(signal.SIGTERM, interrupt)
    print(f"starting a Prefect server on 127.0.0.1:{args.port} (database and logs in {home}) ...", flush=True)
    try:
        with local_prefect(home, args.port, extra_env={"SETNET_DATA_DIR": str(data_dir)}) as running:
            print(
                f"\nPrefect UI: {running.ui_url}\n"
                f"deployments of {PROJECT_DIR / 'prefect.yaml'} on work pool {POOL}, runs on {data_dir}\n"
                f"a process worker is running; its flow run logs follow. Ctrl-C stops the worker and the server.\n\n"
                f"in another shell:  export PREFECT_API_URL={running.api_url}\n"
                f"  prefect deployment run daily/daily-evening -p issue_date=2025-11-30     # run now\n"
                f"  prefect deployment schedule ls daily/daily-evening                       # its schedule ids\n"
                f"  prefect deployment schedule pause daily/daily-evening <schedule-id>      # pause (then: resume)\n"
                f"  prefect flow-run retry <flow-run-id>                                     # rerun a run\n"
                f"  setnet runs                                                              # what the runs did\n",
                flush=True)
            while running.server.poll() is None and (running.worker is None or running.worker.poll() is None):
                time.sleep(1)
            print("the Prefect server or worker exited; stopping", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("\nstopped the worker and the server", flush=True)
        return 0
    except RuntimeError as error:
        print(f"setnet: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
