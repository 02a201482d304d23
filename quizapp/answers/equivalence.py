"""Decide whether two expressions are equal, under a wall-clock limit, in a separate worker process.

simplify() cannot be interrupted from Python: a thread left running after a timeout keeps burning CPU, and
signal alarms only work in the main thread (not in a web server's worker threads). So the decision runs in
a long-lived child (`python -m quizapp.answers.worker`, started by subprocess on first use, SymPy
already imported) that is killed when it runs out of time and restarted on the next call. Random real
points are tried first: a clear numeric difference refuses at once; agreement is then confirmed by
`simplify(a - b) == 0`, and when simplify cannot show zero in time the agreement at the points decides.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

Outcome = Literal["equal", "different", "timeout"]
DEFAULT_TIME_LIMIT_S = 3.0
WORKER_START_LIMIT_S = 30.0


class CheckerUnavailable(RuntimeError):
    """The worker process could not be started or answered garbage."""


def equivalent(
    expected: str,
    typed: str,
    symbols: Sequence[str],
    assumptions: Mapping[str, str] | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> Outcome:
    """Compare two expression texts (already screened by parse_expression) in `symbols`, whose declared
    `assumptions` (symbol -> positive | nonnegative | nonzero) restrict the points tried."""
    request = {
        "expected": expected,
        "typed": typed,
        "symbols": list(symbols),
        "assumptions": dict(assumptions or {}),
    }
    return _WORKER.decide(request, time_limit_s)


class _Worker:
    """One child process at a time per server process; calls are serialised by a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._owner_pid = 0
        self._buffer = b""

    def decide(self, request: dict[str, Any], time_limit_s: float) -> Outcome:
        if not self._lock.acquire(timeout=time_limit_s + WORKER_START_LIMIT_S):
            return "timeout"
        try:
            return self._ask(request, time_limit_s)
        except OSError:
            # A worker that died since the last call (killed, out of memory): one fresh start.
            self.stop()
            return self._ask(request, time_limit_s)
        finally:
            self._lock.release()

    def _ask(self, request: dict[str, Any], time_limit_s: float) -> Outcome:
        try:
            process = self._ensure_started()
            assert process.stdin is not None
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
            return self._collect(time_limit_s)
        except ValueError as error:
            self.stop()
            raise CheckerUnavailable(str(error)) from error

    def _collect(self, time_limit_s: float) -> Outcome:
        deadline = time.monotonic() + time_limit_s
        numeric: bool | None = None
        while True:
            message = self._read_message(deadline)
            if message is None:
                # Out of time: the child is still simplifying, so it goes; the points decide if they agreed.
                self.stop()
                return "equal" if numeric else "timeout"
            if message.get("error"):
                raise ValueError(message["error"])
            if message["stage"] == "numeric":
                if message["result"] is False:
                    return "different"
                numeric = message["result"]
            else:
                return "equal" if message["result"] or numeric else "different"

    def _read_message(self, deadline: float) -> dict[str, Any] | None:
        process = self._process
        assert process is not None and process.stdout is not None
        descriptor = process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(descriptor, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    return None
                chunk = os.read(descriptor, 65536)
                if not chunk:
                    raise BrokenPipeError("the expression checker stopped unexpectedly")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def _ensure_started(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._owner_pid == os.getpid() and self._process.poll() is None:
            return self._process
        self.stop()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "quizapp.answers.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._owner_pid = os.getpid()
        self._buffer = b""
        ready = self._read_message(time.monotonic() + WORKER_START_LIMIT_S)
        if not ready or ready.get("stage") != "ready":
            self.stop()
            raise ValueError("the expression checker did not start")
        return self._process

    def stop(self) -> None:
        """Kill the child (if this process started it) and close its pipes."""
        process, self._process = self._process, None
        self._buffer = b""
        if process is None:
            return
        if self._owner_pid == os.getpid():
            if process.poll() is None:
                process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


_WORKER = _Worker()
atexit.register(_WORKER.stop)
