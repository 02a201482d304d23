"""Benchmark (not a timed test): what a person feels as a whole process, start to exit.

Two ratios, each from pairs run alternately in one run (median of 5, after one warm-up of each):
- `quizapp --help` against `python -c "import flask"` (goal ≤ 2.5×);
- `quizapp grade adam GOOD.py --json` (a correct NumPy Adam) against one bare sandboxed start, the same
  bubblewrap sandbox the grader uses running an entry that imports NumPy (goal ≤ 3×).
With --gunicorn it also boots `gunicorn wsgi:app` 5 times and prints a web worker's boot time (fork to app
loaded, from gunicorn's own hooks) and peak RSS after serving /healthz and the login page.

    .venv/bin/python tests/bench/bench_cold_start.py [--repo CHECKOUT] [--gunicorn]

--repo measures another checkout of quizapp (for example a worktree of main, for a before/after) with this
script and the same interpreter. Bytecode is compiled first, as `pip install` does.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from support.procs import free_port  # noqa: E402  (tests/ on sys.path, as the other benchmarks do)

QUIZAPP = Path(sys.executable).with_name("quizapp")
GOOD_ADAM = REPO / "tests" / "support" / "sample_submissions" / "adam_numpy.py"
ROUNDS = 5
GOALS = {"help": 2.5, "grade": 3.0}
GUNICORN_HOOKS = """
import sys, time
def post_fork(server, worker):
    print(f"forked {time.monotonic()!r}", file=sys.stderr, flush=True)
def post_worker_init(worker):
    print(f"loaded {time.monotonic()!r}", file=sys.stderr, flush=True)
"""


def child_env(repo: Path, instance: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("QUIZAPP_", "FLASK_"))}
    env["PYTHONPATH"] = str(repo)
    env["DATABASE_URL"] = f"sqlite:///{instance / 'bench.sqlite3'}"
    env["GRADING_POOL_AUTOSTART"] = "0"
    return env


def process_seconds(command: list[str], env: dict[str, str], expect: int = 0) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return elapsed


def sandboxed_numpy_seconds(repo: Path) -> float:
    """One sandbox from start to exit, its entry importing NumPy (the grader's own Sandbox, in this
    process: nothing of quizapp's trusted side is counted)."""
    from quizapp.grader.sandbox import Sandbox

    started = time.perf_counter()
    result = Sandbox().run({"probe.py": b"import numpy\n"}, entry="probe.py")
    elapsed = time.perf_counter() - started
    if result.status != "ok":
        raise SystemExit(f"the sandbox did not run: {result.message}")
    return elapsed


def alternated(first: Callable[[], float], second: Callable[[], float]) -> tuple[float, float]:
    """Medians of ROUNDS alternated pairs (which one goes first alternates too), after one warm-up each."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for round_number in range(ROUNDS):
        order = (0, 1) if round_number % 2 == 0 else (1, 0)
        for index in order:
            times[index].append((first, second)[index]())
    return statistics.median(times[0]), statistics.median(times[1])


def cold_start_ratios(repo: Path) -> dict[str, tuple[float, float]]:
    compileall.compile_dir(repo / "quizapp", quiet=1)
    sys.path.insert(0, str(repo))
    with tempfile.TemporaryDirectory(prefix="quizapp-bench-") as instance:
        env = child_env(repo, Path(instance))
        grade = [str(QUIZAPP), "grade", "adam", str(GOOD_ADAM), "--json", "--seed", "1"]
        return {
            "help": alternated(
                lambda: process_seconds([str(QUIZAPP), "--help"], env),
                lambda: process_seconds([sys.executable, "-c", "import flask"], env),
            ),
            "grade": alternated(
                lambda: process_seconds(grade, env),
                lambda: sandboxed_numpy_seconds(repo),
            ),
        }


def gunicorn_worker(repo: Path, hooks: Path, instance: Path) -> tuple[float, int]:
    """Boot `gunicorn -w 1 wsgi:app`; the worker's boot seconds and its peak RSS (KiB) after two pages."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "-c", str(hooks)]
    log = instance / "gunicorn.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [*command, "--chdir", str(repo), "wsgi:app"], env=child_env(repo, instance), stderr=stderr
        )
        try:
            for path in ("/healthz", "/auth/login"):
                fetch(f"http://127.0.0.1:{port}{path}", deadline=time.monotonic() + 120)
            worker = next(
                int(pid) for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
            )
            status = Path(f"/proc/{worker}/status").read_text()
            peak_kib = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text()
    forked = float(re.search(r"forked ([\d.]+)", text).group(1))
    loaded = float(re.search(r"loaded ([\d.]+)", text).group(1))
    return loaded - forked, peak_kib


def fetch(url: str, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # polling a server that is still booting; there is nothing to wait on


def gunicorn_figures(repo: Path) -> tuple[float, float]:
    """Median worker boot seconds and median peak RSS (MiB) over ROUNDS boots."""
    boots, peaks = [], []
    with tempfile.TemporaryDirectory(prefix="quizapp-bench-") as folder:
        instance = Path(folder)
        hooks = instance / "hooks.py"
        hooks.write_text(GUNICORN_HOOKS)
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=repo,
            env=child_env(repo, instance),
            capture_output=True,
            check=True,
        )
        for _ in range(ROUNDS):
            boot, peak = gunicorn_worker(repo, hooks, instance)
            boots.append(boot)
            peaks.append(peak / 1024)
    return statistics.median(boots), statistics.median(peaks)


def report(repo: Path, with_gunicorn: bool) -> dict[str, float]:
    print(f"checkout: {repo}  (median of {ROUNDS}, alternated pairs, whole processes)")
    figures: dict[str, float] = {}
    labels = {
        "help": ("quizapp --help", 'python -c "import flask"'),
        "grade": ("quizapp grade adam GOOD.py --json", "sandboxed python importing numpy"),
    }
    for name, (measured, baseline) in cold_start_ratios(repo).items():
        ratio = measured / baseline
        figures[name] = ratio
        first, second = labels[name]
        print(
            f"  {first:<36} {measured * 1000:7.0f} ms ÷ {second:<34} {baseline * 1000:5.0f} ms"
            f" = {ratio:5.2f}×  (goal ≤ {GOALS[name]}×)"
        )
    if with_gunicorn:
        boot, peak = gunicorn_figures(repo)
        figures |= {"worker_boot_s": boot, "worker_peak_mib": peak}
        print(f"  gunicorn worker boot (fork → app loaded)   {boot * 1000:7.0f} ms")
        print(f"  gunicorn worker peak RSS (/healthz, login) {peak:7.0f} MiB")
    return figures


def test_bench_cold_start_ratios() -> None:
    report(REPO, with_gunicorn=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="the quizapp checkout to measure")
    parser.add_argument("--gunicorn", action="store_true", help="also a web worker's boot time and RSS")
    arguments = parser.parse_args()
    report(arguments.repo.resolve(), arguments.gunicorn)
