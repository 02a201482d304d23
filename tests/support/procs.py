"""Processes the benchmarks start and watch: waiting for a server's port, and the CPU of every process."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server the benchmark starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    process: subprocess.Popen[bytes],
    port: int,
    seconds: float,
    name: str = "gunicorn",
    log: Path | None = None,
) -> str:
    """`127.0.0.1:<port>` once `process` accepts connections there; exits the benchmark (after killing the
    process) if it ends first or does not listen within `seconds`, with the last lines of its `log`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return f"127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited while starting{_tail(log)}") from None
            time.sleep(0.1)  # polling the port with a bounded deadline
    process.kill()
    raise SystemExit(f"{name} did not start within {seconds:g} s{_tail(log)}")


def _tail(log: Path | None, lines: int = 20) -> str:
    if log is None:
        return ""
    return ":\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def process_table() -> dict[int, tuple[int, int, bytes]]:
    """pid → (parent pid, CPU ticks of it and its reaped children, command line), for every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # the process ended meanwhile
            continue
        # fields[1] parent pid; [11] utime, [12] stime, [13] cutime, [14] cstime (RQ's forked work horses)
        found[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]), cmdline)
    return found


def server_cpu_seconds(gunicorn_pid: int, database: str) -> float:
    """CPU (user + system) used so far by the workers of the gunicorn master `gunicorn_pid` and by every
    PostgreSQL backend of `database`: what requests cost, whatever else runs on a shared machine."""
    ticks = 0
    for pid, (parent, _, cmdline) in process_table().items():
        is_worker = parent == gunicorn_pid
        is_backend = cmdline.startswith(b"postgres: ") and f" {database} ".encode() in cmdline
        if is_worker or is_backend:
            ticks += _own_ticks(pid)
    return ticks / os.sysconf("SC_CLK_TCK")


def _own_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the process ended meanwhile
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime, without reaped children
