"""prometheus_client's multiprocess folder kept tidy: files of processes that have ended are dropped at a
server start (their counts then reset, which Prometheus' rate() expects); live processes' files are kept,
so a web restart never erases a running `quizapp worker`'s numbers. Builds no app: gunicorn's master
runs it."""

from __future__ import annotations

import os
import re
from pathlib import Path

from prometheus_client import multiprocess

_PID_IN_NAME = re.compile(r"_(\d+)\.db$")


def prepare_folder(folder: str) -> list[Path]:
    """Create `folder` if need be and remove the metric files of processes no longer alive."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    removed = []
    for file in path.glob("*.db"):
        match = _PID_IN_NAME.search(file.name)
        if match and not _alive(int(match.group(1))):
            file.unlink(missing_ok=True)
            removed.append(file)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def process_ended(folder: str, pid: int) -> None:
    """A worker process exited: let prometheus_client drop its live gauges (gunicorn's child_exit)."""
    multiprocess.mark_process_dead(pid, folder)
