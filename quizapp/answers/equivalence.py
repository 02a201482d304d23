"""Decide whether two expressions are equal, under a wall-clock limit, in a separate worker process.

simplify() cannot be interrupted from Python: a thread left running after a timeout keeps burning CPU, and
signal alarms only work in the main thread (not in a web server's worker threads). So the decision runs in
a long-lived child (`python -m quizapp.answers.worker`, started by subprocess on first use, SymPy
already imported) that is killed when it runs out of time and restarted on the next call. Random real
points are tried first: a clear numeric difference refuses at once; agreement is then confirmed by
`simplify(a - b) == 0`, and when simplify cannot show zero in time the agreement at the points decides.

Checks never queue up behind each other: at most CHECKS_AT_ONCE run on the whole host (a slot is an
exclusive lock on a file, so it holds across server processes and threads and is freed if its holder
dies), and a check that finds no free slot within QUEUE_WAIT_S is answered "busy" (CheckerBusy) at once.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

Outcome = Literal["equal", "different", "timeout"]
DEFAULT_TIME_LIMIT_S = 3.0
WORKER_START_LIMIT_S = 30.0
# SymPy is CPU-bound: more checks at once than half the cores would only slow every request on the host.
CHECKS_AT_ONCE = max(1, (os.cpu_count() or 2) // 2)
QUEUE_WAIT_S = 0.25
SLOTS_DIR = Path(tempfile.gettempdir()) / f"quizapp-answer-checks-{os.getuid()}"
_SLOT_POLL_S = 0.02


class CheckerUnavailable(RuntimeError):
    """The worker process could not be started or answered garbage."""


class CheckerBusy(CheckerUnavailable):
    """Every checking slot stayed taken for QUEUE_WAIT_S: the person should try again in a moment."""


def equivalent(
    expected: str,
    typed: str,
    symbols: Sequence[str],
    assumptions: Mapping[str, str] | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> Outcome:
    """Compare two expression texts (already screened by parse_expression) in `symbols`, whose declared
    `assumptions` (symbol -> positive | nonnegative | nonzero) restrict the points tried; raises
    CheckerBusy when no checking slot frees up within QUEUE_WAIT_S."""
    request = {
        "expected": expected,
        "typed": typed,
        "symbols": list(symbols),
        "assumptions": dict(assumptions or {}),
    }
    # A caller that grants more time than a page's check (the bank's batch check) waits as long for a slot:
    # it has no person waiting, and "busy" would be a false failure.
    wait_s = QUEUE_WAIT_S if time_limit_s <= DEFAULT_TIME_LIMIT_S else time_limit_s
    with checking_slot(wait_s=wait_s):
        return _WORKER.decide(request, time_limit_s)


@contextlib.contextmanager
def checking_slot(slots: int | None = None, wait_s: float | None = None) -> Iterator[int]:
    """Hold one of the host's `slots` (default CHECKS_AT_ONCE) checking slots for the `with` block."""
    slots = CHECKS_AT_ONCE if slots is None else slots
    deadline = time.monotonic() + (QUEUE_WAIT_S if wait_s is None else wait_s)
    SLOTS_DIR.mkdir(mode=0o700, exist_ok=True)
    while True:
        for index in range(slots):
            descriptor = os.open(SLOTS_DIR / f"slot-{index}", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            try:
                yield index
            finally:
                os.close(descriptor)  # closing the descriptor releases the lock
            return
        if time.monotonic() >= deadline:
            raise CheckerBusy("every expression-checking slot is busy")
        time.sleep(_SLOT_POLL_S)


class _Worker:
    """One child process at a time per server process; calls are serialised by a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._owner_pid = 0
        self._buffer = b""
        self._ready = False

    def decide(self, request: dict[str, Any], time_limit_s: float) -> Outcome:
        if not self._lock.acquire(timeout=QUEUE_WAIT_S):
            raise CheckerBusy("this process's expression checker is busy")
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
                # Its successor imports SymPy now, while nobody waits, rather than in the next check.
                self.stop()
                self._spawn()
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
        alive = self._process is not None and self._owner_pid == os.getpid() and self._process.poll() is None
        if not alive:
            self.stop()
            self._spawn()
        if not self._ready:
            ready = self._read_message(time.monotonic() + WORKER_START_LIMIT_S)
            if not ready or ready.get("stage") != "ready":
                self.stop()
                raise ValueError("the expression checker did not start")
            self._ready = True
        assert self._process is not None
        return self._process

    def _spawn(self) -> None:
        """Start a child without waiting for it: it says "ready" once SymPy is imported."""
        self._process = subprocess.Popen(
            [sys.executable, "-m", "quizapp.answers.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._owner_pid = os.getpid()
        self._buffer = b""
        self._ready = False

    def stop(self) -> None:
        """Kill the child (if this process started it) and close its pipes."""
        process, self._process = self._process, None
        self._buffer = b""
        self._ready = False
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
