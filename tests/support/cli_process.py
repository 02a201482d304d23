"""`quizapp ARGS...` in a fresh interpreter, optionally with some packages made unimportable (as on a node
installed without an extra), reporting its exit status, output and every top-level package it imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MARKER = "@@modules "
# sys.modules[name] = None is how Python marks a module unimportable: `import` raises ImportError and
# importlib.util.find_spec answers None, exactly as if the package were not installed.
RUN_COMMAND = f"""
import json, sys
for name in sys.argv[1].split(","):
    if name:
        sys.modules[name] = None
from quizapp.cli import cli
try:
    cli(sys.argv[2:])
    status = 0
except SystemExit as stop:
    status = stop.code
imported = sorted(name for name, module in sys.modules.items() if module is not None)
print({MARKER!r} + json.dumps({{"status": status, "modules": imported}}))
"""


@dataclass
class CommandRun:
    status: int | str | None
    stdout: str
    stderr: str
    imported: set[str]  # top-level packages


def run_quizapp(*args: str, env: dict[str, str] | None = None, without: tuple[str, ...] = ()) -> CommandRun:
    done = subprocess.run(
        [sys.executable, "-c", RUN_COMMAND, ",".join(without), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        cwd=REPO,
        check=False,
        timeout=120,
    )
    output, _, report = done.stdout.rpartition(MARKER)
    assert report, done.stderr
    loaded = json.loads(report)
    imported = {name.split(".")[0] for name in loaded["modules"]}
    return CommandRun(loaded["status"], output, done.stderr, imported)
