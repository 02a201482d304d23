"""Quick-run benchmark: grading on one problem (the drill page's Run) against a full submission's grading,
the same drill and code, interleaved in one process, each in a fresh sandbox as the web process does.

Run `.venv/bin/python tests/bench/bench_drill_runs.py [--repeat N] [--drill adam] [--questions-dir DIR]`
(default: the QUESTIONS_DIR setting); it prints the median seconds of both and their ratio (a run holds a
web thread for that long).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quizapp.bank import load_drills
from quizapp.config import questions_dir
from quizapp.grader import grade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--drill", default="adam")
    parser.add_argument("--questions-dir", default=questions_dir())
    args = parser.parse_args()
    spec = load_drills(args.questions_dir)[args.drill]
    code = spec.solution["numpy"]
    first = spec.grading.problems[0]
    full, one = [], []
    for seed in range(args.repeat):
        for times, problems in ((full, None), (one, [first])):
            started = time.perf_counter()
            verdict = grade(spec, code, seed=seed, problems=problems)
            times.append(time.perf_counter() - started)
            assert verdict.verdict == "passed", verdict.message
    full_s, one_s = statistics.median(full), statistics.median(one)
    print(
        f"{args.drill}: full grading {full_s:.3f} s, run on {first} {one_s:.3f} s, ratio {one_s / full_s:.2f}"
    )


if __name__ == "__main__":
    main()
