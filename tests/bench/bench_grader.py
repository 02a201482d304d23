"""Grader benchmark: end-to-end grading time against a bare sandboxed import, with and without the pool.

Run `.venv/bin/python tests/bench/bench_grader.py [--repeat N] [--concurrent N]`; it prints ratios (goals:
≤1.5× cold, ≤0.5× pooled) and checks that N submissions at once on 2 cores all get the right verdict.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.drills import shipped_drill
from support.submissions import ADAM_CORRECT, ADAM_NO_BIAS_CORRECTION, ADAM_TORCH_CORRECT

from quizapp.grader import grade
from quizapp.grader.sandbox import Sandbox, SandboxPool

CORRECT = {"numpy": ADAM_CORRECT, "torch": ADAM_TORCH_CORRECT}
WRONG_NUMPY = ADAM_NO_BIAS_CORRECTION


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bare_import(framework: str, sandbox: Sandbox) -> None:
    result = sandbox.run({"harness.py": f"import {framework}".encode()}, framework=framework)
    assert result.status == "ok", result


def graded(framework: str, sandbox: Sandbox, seed: int = 1) -> None:
    adam = shipped_drill("adam")
    verdict = grade(adam, CORRECT[framework], framework=framework, seed=seed, device="cpu", sandbox=sandbox)
    assert verdict.to_dict()["verdict"] == "passed", verdict.to_dict()


def compare_framework(framework: str, repeat: int) -> dict[str, float]:
    """Median times of a bare import, a grading in a fresh sandbox and one in a warm pool.

    The three are interleaved in every repetition, so that load from other processes hits them alike.
    """
    sandbox = Sandbox()
    graded(framework, sandbox)  # warm the host side (SymPy problems, file caches) once
    times: dict[str, list[float]] = {"bare": [], "cold": [], "pooled": []}
    with SandboxPool(size=1, frameworks=(framework,)) as pool:
        for _ in range(repeat):
            times["bare"].append(seconds(lambda: bare_import(framework, sandbox)))
            times["cold"].append(seconds(lambda: graded(framework, sandbox)))
            pool.wait_until_full()
            times["pooled"].append(seconds(lambda: graded(framework, pool)))
    return {name: statistics.median(values) for name, values in times.items()}


def concurrent_submissions(count: int) -> tuple[float, int]:
    """`count` submissions at once (half correct, half missing bias correction); returns (seconds, right)."""
    jobs = [
        (CORRECT["numpy"], "passed") if index % 2 == 0 else (WRONG_NUMPY, "failed") for index in range(count)
    ]
    sandbox, adam = Sandbox(), shipped_drill("adam")
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=count) as executor:
        verdicts = [
            verdict.to_dict()
            for verdict in executor.map(lambda job: grade(adam, job[0], seed=3, sandbox=sandbox), jobs)
        ]
    elapsed = time.perf_counter() - started
    right = sum(verdict["verdict"] == expected for verdict, (_, expected) in zip(verdicts, jobs, strict=True))
    for verdict, (_, expected) in zip(verdicts, jobs, strict=True):
        if verdict["verdict"] != expected:
            print(f"  unexpected: {verdict['verdict']} (wanted {expected}): {verdict.get('message')}")
    return elapsed, right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--cores", type=int, default=2, help="CPU cores to pin the benchmark to")
    options = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))[: options.cores]
    os.sched_setaffinity(0, cores)  # sandboxes inherit the affinity
    print(f"cores: {len(cores)}; repeat: {options.repeat}")
    for framework in ("numpy", "torch"):
        times = compare_framework(framework, options.repeat)
        bare, cold, pooled = times["bare"], times["cold"], times["pooled"]
        print(f"{framework}: bare sandboxed import {bare * 1000:.0f} ms")
        print(f"  graded, fresh sandbox: {cold * 1000:.0f} ms = {cold / bare:.2f}× bare (goal ≤1.5×)")
        print(f"  graded, pooled sandbox: {pooled * 1000:.0f} ms = {pooled / bare:.2f}× bare (goal ≤0.5×)")
    count = options.concurrent
    elapsed, right = concurrent_submissions(count)
    print(f"{count} submissions at once: all done in {elapsed:.1f} s, {right}/{count} right verdicts")


if __name__ == "__main__":
    main()
