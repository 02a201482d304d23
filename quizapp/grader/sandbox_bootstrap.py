"""Trusted start-up code that runs first inside every grading sandbox (stdlib only, never imports quizapp).

It pre-imports the framework, waits for one frame of files on stdin, then runs the entry file as __main__.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import stat
import struct
import sys
import traceback
from typing import BinaryIO

SITE_DIR = "/opt/sandbox/site"
MEMORY_EXIT_CODE = 86
READY = b"R"
CHUNK = 1 << 16
# One math thread per sandbox: the test problems are tiny and many sandboxes share few cores.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def preload(framework: str, warm: bool) -> None:
    """Import the framework now, so that the payload's own import is free."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    if os.path.isdir(SITE_DIR):
        sys.path.insert(0, SITE_DIR)
    import numpy  # noqa: F401

    if framework == "torch":
        import torch

        if warm:
            # Optimizer subclasses import torch._dynamo on first use; a pooled sandbox pays that early.
            import torch._dynamo
        del torch
    # The payload sees no environment variables at all (unsetenv too, via os.environ).
    os.environ.clear()


def read_exact(stream: BinaryIO, size: int) -> bytes:
    """Read exactly `size` bytes or fail: a short frame means the trusted side went away."""
    parts, missing = [], size
    while missing:
        part = stream.read(min(missing, CHUNK))
        if not part:
            raise SystemExit("sandbox: the job frame ended early")
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def receive_files(in_dir: str) -> str:
    """Write the framed files under `in_dir` (read-only afterwards); returns the entry file's path."""
    stdin = sys.stdin.buffer
    (length,) = struct.unpack(">I", read_exact(stdin, 4))
    manifest = json.loads(read_exact(stdin, length))
    for name, size in manifest["files"]:
        path = os.path.join(in_dir, os.path.basename(name))
        with open(path, "xb") as handle:
            handle.write(read_exact(stdin, size))
        os.chmod(path, 0o444)
    os.chmod(in_dir, 0o555)
    return os.path.join(in_dir, os.path.basename(manifest["entry"]))


def send_result(result_path: str, result_fd: int) -> None:
    """Copy the payload's result file to the trusted side; never follow a link or open a device/FIFO."""
    try:
        handle = os.open(result_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return
    with os.fdopen(handle, "rb") as result:
        if not stat.S_ISREG(os.fstat(result.fileno()).st_mode):
            return
        while chunk := result.read(CHUNK):
            os.write(result_fd, chunk)


def run_entry(entry: str) -> int:
    """Run the entry as __main__ and return the exit status Python itself would give."""
    try:
        runpy.run_path(entry, run_name="__main__")
    except MemoryError:
        sys.stderr.write("MemoryError: the submission ran out of memory\n")
        return MEMORY_EXIT_CODE
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        sys.stderr.write(f"{stop.code}\n")
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def main() -> None:
    framework, result_fd, root, warm = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "warm"
    preload(framework, warm)
    os.write(result_fd, READY)  # tells a pool that this sandbox is warm; the trusted side drops it
    entry = receive_files(os.path.join(root, "in"))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.argv = [entry]
    status = run_entry(entry)
    send_result(os.path.join(root, "out", "result.npz"), result_fd)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # the payload may have replaced or closed them
            stream.flush()
    # Skip interpreter teardown: unloading torch takes longer than the whole job.
    os._exit(status)


if __name__ == "__main__":
    main()
