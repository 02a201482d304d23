"""Load test (a benchmark, not a timed test): a crowd of simulated learners against the production shape.

On this machine: two gunicorn processes on two ports (as behind a load balancer; every request of a learner
goes to either), one `quizapp worker` (RQ), a throwaway PostgreSQL database on 127.0.0.1:5432 with the real
question bank, and Redis on 127.0.0.1:6379 (queues of this run's own names). The learners are Locust users
(tests/bench/locustfile.py), run headless on loopback in steps of crowd size (`--stages users:seconds,...`),
each stage measured once its learners have all signed up and settled. The web processes run as in
production (quizapp/gunicorn_conf.py, PROMETHEUS_MULTIPROC_DIR set); their event lines and the worker's go
to files (in a temporary folder, or `--logs DIR` to keep them), not to the terminal. While it runs, the CPU
of the web processes, the database backends, the worker and Locust itself is sampled from /proc.

Prints per stage: ratings/s, rating latency p50/p95, failures, drill verdict latency p50/p95 (POST to the
verdict in hand, polling like the drill page), CPU per part (100% = one core) and the web's and database's
CPU per request served (compare tests/bench/bench_request_cpu.py); then the largest stage held with rating
p95 ≤ 100 ms and no failures. Rate limits are off: every learner comes from 127.0.0.1.

    .venv/bin/python tests/bench/load.py --stages 100:60,200:60,400:60 [--think-scale 1] [--spawn-rate 10]
        [--web-workers 2] [--threads 4] [--logs DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parents[1]
BIN = Path(sys.executable).parent
QUEUE_URL = os.environ.get("QUIZAPP_TEST_REDIS", "redis://127.0.0.1:6379/0")
P95_GOAL_MS = 100.0
RATING = "POST /api/reviews"


def load_app() -> Any:
    """What each gunicorn process serves: the app with this run's queue names (LOAD_GRADING_QUEUE)."""
    from quizapp import create_app

    queue = os.environ["LOAD_GRADING_QUEUE"]
    return create_app({"GRADING_QUEUE_NAME": queue, "FIT_QUEUE_NAME": queue + "-fit"})


# ----------------------------------------------------------------------------------------- the stack


@dataclass
class Stack:
    """The processes under test and the database they share; their output goes to files in `logs`."""

    database: str
    web: list[subprocess.Popen[bytes]]
    hosts: list[str]
    worker: subprocess.Popen[bytes]
    logs: Path

    def stop(self) -> None:
        for process in [*self.web, self.worker]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.web, self.worker]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_stack(database: str, url: str, web_workers: int, threads: int, logs: Path) -> Stack:
    """Both web processes as in production (quizapp/gunicorn_conf.py, metrics summed across processes) and
    the worker. Their event lines (one per request) go to files in `logs`, not to this terminal: hundreds
    of lines a second would cost a terminal more CPU than some of the parts measured."""
    from support.procs import free_port, wait_for_port  # tests/ is on sys.path once main() runs

    queue = f"load-grade-{uuid.uuid4().hex[:8]}"
    env = os.environ | {
        "DATABASE_URL": url,
        "QUEUE_URL": QUEUE_URL,
        "SECRET_KEY": f"load-{uuid.uuid4().hex}",  # one key for both web processes, as in production
        "RATELIMIT_ENABLED": "0",  # every learner comes from 127.0.0.1: per-address limits would refuse them
        "LOAD_GRADING_QUEUE": queue,
        "PROMETHEUS_MULTIPROC_DIR": str(logs / "metrics"),
        "PYTHONPATH": str(REPO),
    }
    web, hosts, web_logs = [], [], []
    for index in range(2):
        port = free_port()
        command = [
            *(str(BIN / "gunicorn"), "-c", "python:quizapp.gunicorn_conf", "--chdir", str(BENCH)),
            *("--bind", f"127.0.0.1:{port}"),
            *("--worker-class", "gthread", "--workers", str(web_workers), "--threads", str(threads)),
            # Keep-alive longer than a learner's think time, as a load balancer's connections stay open.
            # --preload: the app is imported before the port opens, so no learner waits for a worker's boot.
            *("--keep-alive", "30", "--preload", "--log-level", "warning", "load:load_app()"),
        ]
        web_logs.append(logs / f"web-{index}.log")
        web.append(_started(command, env, web_logs[-1]))
        hosts.append(f"http://127.0.0.1:{port}")
    worker_command = [str(BIN / "quizapp"), "worker", "--queue", queue, "--fit-queue", queue + "-fit"]
    worker = _started(worker_command, env, logs / "worker.log")
    stack = Stack(database, web, hosts, worker, logs)
    try:
        for process, host, log in zip(web, hosts, web_logs, strict=True):
            wait_for_port(process, int(host.rsplit(":", 1)[1]), 60, log=log)
    except BaseException:
        stack.stop()
        raise
    return stack


def _started(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:  # the child keeps its own descriptor
        return subprocess.Popen(command, env=env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)


def prepare_database(url: str) -> None:
    """The schema from the migrations and the real question bank."""
    sys.path.insert(0, str(BENCH.parent))
    from support.apps import load_question_bank, make_app, migrate

    from quizapp.extensions import db

    migrate(url)
    app = make_app(url)
    load_question_bank(app)
    with app.app_context():
        db.engine.dispose()


# ------------------------------------------------------------------------------------------------ CPU


@dataclass(frozen=True)
class CpuSample:
    at: float  # time.time()
    seconds: dict[str, float]  # CPU seconds so far of each part but the database
    backends: dict[int, int]  # CPU ticks so far of each database backend, by pid


class CpuSampler:
    """CPU seconds used so far by each part (process trees from /proc), sampled once a second.

    A process tree's CPU is continuous: a child that ends is reaped by its parent, whose cutime/cstime
    then hold its CPU. Database backends are children of the postmaster, shared with every other database
    on the server, so they are followed one by one: a backend that ends (a closed connection) keeps the
    CPU it was last seen with."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.locust_pid: int | None = None
        self.samples: list[CpuSample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.tick = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.sample())
            self._stop.wait(1.0)

    def sample(self) -> CpuSample:
        from support.procs import process_table  # tests/ is on sys.path once main() runs

        processes = process_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in processes.items():
            children.setdefault(ppid, []).append(pid)
        roots = {
            "web": [p.pid for p in self.stack.web],
            "worker": [self.stack.worker.pid],
            "locust": [self.locust_pid] if self.locust_pid else [],
        }
        seconds = {
            part: self._tree_ticks(pids, processes, children) / self.tick for part, pids in roots.items()
        }
        seconds["machine"] = _machine_busy_ticks() / self.tick
        marker = f" {self.stack.database} ".encode()
        backends = {
            pid: ticks
            for pid, (_, ticks, cmd) in processes.items()
            if cmd.startswith(b"postgres: ") and marker in cmd
        }
        return CpuSample(time.time(), seconds, backends)

    @staticmethod
    def _tree_ticks(
        roots: list[int], processes: dict[int, tuple[int, int, bytes]], children: dict[int, list[int]]
    ) -> int:
        total, todo = 0, list(roots)
        while todo:
            pid = todo.pop()
            if pid in processes:
                total += processes[pid][1]
            todo += children.get(pid, [])
        return total

    def seconds(self, start: float, end: float) -> tuple[float, dict[str, float]]:
        """(elapsed, CPU seconds of each part) between the first and last samples within [start, end]."""
        inside = [sample for sample in self.samples if start <= sample.at <= end]
        if len(inside) < 2:
            return 0.0, {}
        first, last = inside[0], inside[-1]
        used = {part: last.seconds[part] - first.seconds[part] for part in first.seconds}
        latest: dict[int, int] = {}
        for sample in inside:
            latest.update(sample.backends)
        used["database"] = sum(t - first.backends.get(pid, 0) for pid, t in latest.items()) / self.tick
        return last.at - first.at, used

    def percent(self, start: float, end: float) -> dict[str, float]:
        """Mean CPU of each part between two times, in % of one core."""
        elapsed, used = self.seconds(start, end)
        return {part: 100 * value / elapsed for part, value in used.items()} if elapsed else {}


def _machine_busy_ticks() -> int:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4]  # all but idle and iowait


# ---------------------------------------------------------------------------------------------- the run


def run_crowd(stack: Stack, args: argparse.Namespace, results: Path) -> tuple[dict[str, Any], CpuSampler]:
    stages = _parse_stages(args.stages)
    env = os.environ | {
        "LOAD_HOSTS": ",".join(stack.hosts),
        "LOAD_STAGES": args.stages,
        "LOAD_SPAWN_RATE": str(args.spawn_rate),
        "LOAD_THINK_SCALE": str(args.think_scale),
        "LOAD_SETTLE_SECONDS": str(args.settle),
        "LOAD_DRILL_EVERY": str(args.drill_every),
        "LOAD_DASHBOARD_EVERY": str(args.dashboard_every),
        "LOAD_RESULTS": str(results),
        "PYTHONPATH": str(REPO),
    }
    command = [
        *(str(BIN / "locust"), "-f", str(BENCH / "locustfile.py"), "--headless", "--only-summary"),
        *("--host", stack.hosts[0], "--loglevel", "WARNING", "--exit-code-on-error", "0"),
        *("--stop-timeout", "2"),
    ]
    total = sum(seconds for _, seconds in stages)
    with CpuSampler(stack) as sampler:
        locust = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
        sampler.locust_pid = locust.pid
        try:
            locust.wait(timeout=total + 60)
        except subprocess.TimeoutExpired:
            locust.kill()
            locust.wait()
            raise SystemExit("Locust did not stop by itself") from None
    if not results.exists():
        raise SystemExit(f"Locust wrote no results (exit status {locust.returncode})")
    return json.loads(results.read_text()), sampler


def _parse_stages(text: str) -> list[tuple[int, float]]:
    stages = []
    for step in text.split(","):
        users, _, seconds = step.partition(":")
        if not (users.isdigit() and int(users) > 0 and seconds.replace(".", "", 1).isdigit()):
            raise SystemExit(f"--stages takes users:seconds steps like 100:60,200:60, not {step!r}")
        stages.append((int(users), float(seconds)))
    return stages


@dataclass(frozen=True)
class StageReport:
    users: int
    ratings_per_s: float
    rating_p50: float
    rating_p95: float
    next_p95: float
    failures: int
    requests: int
    verdicts: int
    dashboards: int
    verdict_p50: float
    verdict_p95: float
    cpu: dict[str, float]  # mean CPU of each part, in % of one core
    ms_per_request: dict[str, float]  # CPU of the web processes and of the database per request served

    @property
    def held(self) -> bool:
        return self.failures == 0 and self.ratings_per_s > 0 and self.rating_p95 <= P95_GOAL_MS


def stage_reports(results: dict[str, Any], sampler: CpuSampler) -> list[StageReport]:
    reports = []
    for stage in results["stages"]:
        requests = stage["requests"]
        rating = requests.get(RATING, {})
        verdict = requests.get("VERDICT", {})
        served = sum(r["count"] for name, r in requests.items() if name != "VERDICT")
        _, used = sampler.seconds(*stage["window"])
        reports.append(
            StageReport(
                users=stage["users"],
                ratings_per_s=rating.get("per_s", 0.0),
                rating_p50=rating.get("p50", 0.0),
                rating_p95=rating.get("p95", 0.0),
                next_p95=requests.get("GET /api/review/next", {}).get("p95", 0.0),
                failures=sum(r["failures"] for r in requests.values()),
                requests=served,
                verdicts=verdict.get("count", 0),
                dashboards=requests.get("GET /progress", {}).get("count", 0),
                verdict_p50=verdict.get("p50", 0.0),
                verdict_p95=verdict.get("p95", 0.0),
                cpu=sampler.percent(*stage["window"]),
                ms_per_request={
                    part: 1000 * used[part] / served if served and part in used else 0.0
                    for part in ("web", "database")
                },
            )
        )
    return reports


def print_report(reports: list[StageReport], results: dict[str, Any], args: argparse.Namespace) -> None:
    load = os.getloadavg()
    print(
        f"2 gunicorn processes × {args.web_workers} gthread workers × {args.threads} threads, 1 quizapp "
        f"worker, PostgreSQL, Redis; think time {3 * args.think_scale:g}–{8 * args.think_scale:g} s; "
        f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    print(
        "learners  ratings/s  rating p50/p95 ms  next p95 ms  requests  failures  verdicts p50/p95 s"
        "   CPU % of a core: web  db  worker  locust  machine   CPU ms/request: web  db"
    )
    for r in reports:
        cpu = r.cpu
        print(
            f"{r.users:8d}  {r.ratings_per_s:9.1f}  {r.rating_p50:7.0f} / {r.rating_p95:5.0f}  "
            f"{r.next_p95:11.0f}  {r.requests:8d}  {r.failures:8d}  "
            f"{r.verdicts:4d}  {r.verdict_p50 / 1000:5.1f} / {r.verdict_p95 / 1000:5.1f}      "
            + "  ".join(
                f"{cpu.get(part, 0):5.0f}" for part in ("web", "database", "worker", "locust", "machine")
            )
            + f"  {r.ms_per_request['web']:19.1f}  {r.ms_per_request['database']:4.1f}"
        )
    held = [r for r in reports if r.held]
    print(
        f"largest crowd held (rating p95 ≤ {P95_GOAL_MS:.0f} ms, no failures): "
        + (f"{max(r.users for r in held)} learners" if held else "none of the stages")
    )
    if results["failure_messages"]:
        print("failures:", json.dumps(results["failure_messages"], indent=1))


def main(argv: list[str] | None = None) -> list[StageReport]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stages", default="50:60,100:60", help="crowd steps, users:seconds,...")
    parser.add_argument("--spawn-rate", type=float, default=10.0, help="learners signing up per second")
    parser.add_argument("--think-scale", type=float, default=1.0, help="think time 3–8 s times this")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after a ramp before measuring")
    parser.add_argument("--drill-every", type=int, default=20, help="one loop in this many submits a drill")
    parser.add_argument(
        "--dashboard-every", type=int, default=50, help="one loop in this many opens /progress"
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gthread workers per gunicorn process")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--logs", type=Path, help="keep the processes' output (event lines) in this folder")
    args = parser.parse_args(argv)
    _parse_stages(args.stages)
    if shutil.which("locust", path=str(BIN)) is None:
        raise SystemExit("Locust is not installed: pip install -e '.[dev]'")
    sys.path.insert(0, str(BENCH.parent))
    from support.postgres import create_database, drop_database

    name, url = create_database("quizapp_load")
    stack: Stack | None = None
    with tempfile.TemporaryDirectory() as tmp:
        logs = args.logs or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        try:
            prepare_database(url)
            stack = start_stack(name, url, args.web_workers, args.threads, logs)
            results, sampler = run_crowd(stack, args, Path(tmp) / "results.json")
            reports = stage_reports(results, sampler)
            print_report(reports, results, args)
            return reports
        finally:
            if stack is not None:
                stack.stop()
            drop_database(name)


if __name__ == "__main__":
    main()
