"""The multiprocess metrics folder at a gunicorn start: files of ended processes go, live ones stay."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from quizapp.monitoring.multiprocess import prepare_folder


def _ended_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_prepare_folder_drops_ended_processes_files_and_keeps_live_ones(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    live = folder / f"counter_{os.getpid()}.db"
    ended = folder / f"histogram_{_ended_pid()}.db"
    unrelated = folder / "notes.txt"
    for path in (live, ended, unrelated):
        path.write_bytes(b"x")
    assert prepare_folder(str(folder)) == [ended]
    assert live.exists() and unrelated.exists() and not ended.exists()


def test_prepare_folder_creates_a_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "metrics"
    assert prepare_folder(str(folder)) == []
    assert folder.is_dir()
