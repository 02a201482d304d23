"""Hostile submissions against the grading sandbox: each ends in the right outcome, nothing escapes.

Every attack runs twice: straight through the real bubblewrap sandbox (the payload is the attacker's
script), and end to end through `grade()` (the attack hides inside an Adam submission).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import platform
import resource
import sqlite3
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from support.drills import shipped_drill
from support.submissions import ADAM_CORRECT, ADAM_NO_BIAS_CORRECTION

import quizapp
from quizapp.grader import sandbox as sandbox_module
from quizapp.grader.sandbox import Limits, Sandbox

pytestmark = pytest.mark.skipif(
    not sandbox_module.bubblewrap_available(), reason="bubblewrap is not installed"
)

PROJECT = Path(quizapp.__file__).resolve().parent
# Attacks that end in a timeout get short limits; the rest keep the default 10 s CPU / 20 s wall, so that
# a loaded test machine cannot turn their expected outcome into a timeout.
LIMITS = Limits(memory_bytes=768 * sandbox_module.MiB, max_processes=24)
TIGHT = dataclasses.replace(LIMITS, cpu_seconds=2, wall_seconds=4)
SECRET = "s3cr3t-value-that-must-not-leak"
# The grader refuses `os.fork`, `socket` and friends by reading the source; these spellings slip past
# that check on purpose, so that the sandbox itself is what stops them.
FORK_BOMB = """
import os
fork = getattr(os, "fo" + "rk")
while True:
    try:
        fork()
    except OSError:
        pass
"""
HIDDEN_SOCKET = """
import builtins
socket = getattr(builtins, "__imp" + "ort__")("soc" + "ket")
"""
MEMORY_BOMB = """
chunks = []
while True:
    chunks.append(bytearray(64 * 1024 * 1024))
"""
HUGE_OUTPUT = """
import sys
line = "x" * (1 << 20)
for _ in range(512):
    sys.stdout.write(line)
"""


def sandboxed(code: str, limits: Limits = LIMITS):
    return Sandbox(limits).run({"harness.py": textwrap.dedent(code).encode()})


def graded(code: str, limits: Limits = LIMITS):
    from quizapp.grader import grade

    return grade(shipped_drill("adam"), textwrap.dedent(code), seed=7, sandbox=Sandbox(limits)).to_dict()


@pytest.fixture(autouse=True)
def own_host_uids(monkeypatch: pytest.MonkeyPatch) -> range:
    """Sandboxes of this test get host uids from a range of their own, so leftovers can be told apart."""
    first = 1_600_000_000 + (os.getpid() % 50_000) * 1000
    monkeypatch.setattr(sandbox_module, "_HOST_UIDS", itertools.count(first))
    return range(first, first + 1000)


def sandbox_processes(uids: range) -> list[int]:
    """Host processes still running under the uids this test's sandboxes were given."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            uid_line = next(
                line for line in (entry / "status").read_text().splitlines() if line.startswith("Uid:")
            )
        except (OSError, StopIteration):
            continue
        if int(uid_line.split()[1]) in uids:
            found.append(int(entry.name))
    return found


def assert_host_is_fine(uids: range) -> None:
    """No sandbox process survives its run, and the host can still start processes."""
    deadline = time.monotonic() + 10
    while sandbox_processes(uids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox_processes(uids) == []
    assert subprocess.run(["true"], check=False).returncode == 0


@pytest.fixture
def instance_database(tmp_path: Path) -> Path:
    """An instance folder with a SQLite database holding a secret, like the app's."""
    instance = tmp_path / "instance"
    instance.mkdir()
    database = instance / "quizapp.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("create table secrets (value text)")
        connection.execute("insert into secrets values (?)", (SECRET,))
    connection.close()
    return database


def reader_of(paths: list[str]) -> str:
    return f"""
import os
for path in {paths!r}:
    try:
        print(path, "READ", open(path, "rb").read()[:4000])
    except OSError as error:
        print(path, "DENIED", type(error).__name__)
print("ENV", dict(os.environ))
"""


# -- straight through the sandbox --------------------------------------------------------------------------


def test_infinite_loop_times_out(own_host_uids: range) -> None:
    result = sandboxed("while True: pass", TIGHT)
    assert result.status == "timeout"
    assert_host_is_fine(own_host_uids)


def test_fork_bomb_is_stopped_and_the_host_is_fine(own_host_uids: range) -> None:
    result = sandboxed(FORK_BOMB, TIGHT)
    assert result.status in {"timeout", "killed"}
    assert_host_is_fine(own_host_uids)


def test_memory_bomb_runs_out_of_memory(own_host_uids: range) -> None:
    result = sandboxed(MEMORY_BOMB)
    assert result.status == "memory"
    assert "768 MiB" in result.message
    assert_host_is_fine(own_host_uids)


SHARED_MMAP_BOMB = """
import mmap
pages = mmap.mmap(-1, 3 << 30)
for offset in range(0, len(pages), 4096):
    pages[offset] = 1
"""
MEMFD_BOMB = """
import os
kept = []
while True:
    kept.append(os.memfd_create("x"))
    os.write(kept[-1], bytes(8 << 20))
"""


@pytest.mark.parametrize(
    ("bomb", "stopped_by"),
    [(SHARED_MMAP_BOMB, "Cannot allocate memory"), (MEMFD_BOMB, "Too many open files")],
    ids=["shared-mmap", "memfd"],
)
def test_shared_memory_bombs_are_bounded(bomb: str, stopped_by: str, own_host_uids: range) -> None:
    result = sandboxed(bomb)
    assert result.status in {"memory", "error"}
    assert stopped_by in result.stderr
    assert_host_is_fine(own_host_uids)


def test_huge_output_is_truncated_without_filling_host_memory() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = sandboxed(HUGE_OUTPUT)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert result.status == "ok"
    assert result.stdout.endswith("…[truncated]")
    assert len(result.stdout) <= LIMITS.output_bytes + 20
    assert grown_kib < 64 * 1024  # 512 MiB went through the pipe; far less than that was kept


def test_files_outside_the_sandbox_and_the_environment_are_unreadable(
    instance_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUIZAPP_SECRET_KEY", SECRET)
    paths = [
        str(instance_database),
        "/etc/shadow",
        "/etc/passwd",
        str(PROJECT / "config.py"),
        "/proc/1/environ",
    ]
    result = sandboxed(reader_of(paths))
    assert result.status == "ok", result
    for path in paths[:4]:
        assert f"{path} DENIED FileNotFoundError" in result.stdout
    assert "ENV {}" in result.stdout
    assert SECRET not in result.stdout + result.stderr


def test_only_the_sandbox_processes_are_visible() -> None:
    result = sandboxed("import os; print(*sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))")
    assert len(result.stdout.split()) <= 2  # bwrap's init and the payload: nothing of the host


@pytest.mark.parametrize("port", [5432, 6379])
def test_database_and_redis_ports_are_unreachable(port: int) -> None:
    result = sandboxed(
        f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=3)
            print("connected")
        except OSError as error:
            print("failed", type(error).__name__)
        """
    )
    assert result.stdout.startswith("failed"), result


def test_early_exit_leaves_no_result() -> None:
    for exit_call in ("import sys; sys.exit(0)", "import os; os._exit(0)"):
        result = sandboxed(exit_call + "\nopen('/tmp/out/result.npz', 'wb').write(b'never')")
        assert (result.status, result.result) == ("ok", None)


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the seccomp filter is built for x86_64")
def test_kernel_interfaces_graded_code_never_needs_are_refused() -> None:
    result = sandboxed(
        """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        for number in (101, 272, 308, 321, 425, 250, 165):  # ptrace unshare setns bpf io_uring keyctl mount
            ctypes.set_errno(0)
            print(number, libc.syscall(number, 0, 0, 0, 0, 0), ctypes.get_errno())
        print("getpid", libc.syscall(39) > 0)
        """
    )
    lines = result.stdout.splitlines()
    assert all(line.split()[1:] == ["-1", "1"] for line in lines[:-1]), result.stdout  # EPERM
    assert lines[-1] == "getpid True"


def test_grader_code_cannot_be_imported_inside() -> None:
    result = sandboxed("import quizapp.grader.compare")
    assert result.status == "error"
    assert "ModuleNotFoundError: No module named 'quizapp'" in result.message


@pytest.mark.parametrize(
    "target", ["/etc/passwd", "/tmp/in/harness.py", "/proc/self/environ", str(PROJECT / "config.py")]
)
def test_symlinked_result_file_is_ignored(target: str) -> None:
    result = sandboxed(f"import os; os.symlink({target!r}, '/tmp/out/result.npz')")
    assert (result.status, result.result) == ("ok", None)


def test_fifo_as_result_file_does_not_hang_the_grader() -> None:
    result = sandboxed("import os; os.mkfifo('/tmp/out/result.npz')")
    assert (result.status, result.result) == ("ok", None)


def test_only_the_size_limited_tmp_is_writable() -> None:
    marker = f"quizapp-escape-{os.getpid()}"
    result = sandboxed(
        f"""
        import os
        for folder in ("/", "/dev", "/dev/shm", "/opt", "/usr", "/tmp", "/tmp/out"):
            try:
                open(os.path.join(folder, {marker!r}), "w").write("x")
                print(folder, "wrote")
            except OSError as error:
                print(folder, "denied")
        """
    )
    outcome = dict(line.split() for line in result.stdout.splitlines())
    read_only = ("/", "/dev", "/dev/shm", "/opt", "/usr")
    assert outcome == {**dict.fromkeys(read_only, "denied"), "/tmp": "wrote", "/tmp/out": "wrote"}
    assert not any(Path(folder, marker).exists() for folder in ("/tmp", "/tmp/out", "/"))


def test_filling_tmp_stops_at_its_size_limit() -> None:
    limits = Limits(tmp_bytes=8 * sandbox_module.MiB, file_bytes=4 * sandbox_module.MiB)
    result = sandboxed(
        """
        import errno
        written = 0
        try:
            for index in range(100):
                with open(f"/tmp/work/fill-{index}", "wb") as handle:
                    handle.write(b"0" * (2 << 20))
                written += 2
        except OSError as error:
            print("stopped", written, errno.errorcode[error.errno])
        """,
        limits,
    )
    words = result.stdout.split()
    assert words[0] == "stopped" and int(words[1]) <= 8 and words[2] == "ENOSPC"


# -- end to end through grade() ----------------------------------------------------------------------------


def test_grade_infinite_loop_is_a_timeout() -> None:
    verdict = graded(
        ADAM_CORRECT.replace("g = grad_fn(theta)", "g = grad_fn(theta)\n        while True: pass"), TIGHT
    )
    assert verdict["verdict"] == "timeout"


def test_grade_fork_bomb_is_stopped(own_host_uids: range) -> None:
    verdict = graded(FORK_BOMB + ADAM_CORRECT, TIGHT)
    assert verdict["verdict"] in {"timeout", "error"}
    assert_host_is_fine(own_host_uids)


def test_grade_memory_bomb_is_an_error_about_memory() -> None:
    verdict = graded(MEMORY_BOMB + ADAM_CORRECT)
    assert verdict["verdict"] == "error"
    assert "memory" in verdict["message"].lower()


def test_grade_huge_output_is_truncated() -> None:
    verdict = graded(HUGE_OUTPUT + ADAM_CORRECT)
    assert verdict["verdict"] == "passed"
    assert verdict["stdout"].endswith("…[truncated]")


def test_grade_submission_cannot_read_secrets(
    instance_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUIZAPP_SECRET_KEY", SECRET)
    paths = [str(instance_database), "/etc/shadow", str(PROJECT / "grader" / "sandbox.py")]
    verdict = graded(reader_of(paths) + ADAM_CORRECT)
    assert verdict["verdict"] == "passed", verdict
    assert verdict["stdout"].count("DENIED FileNotFoundError") == 3
    assert SECRET not in str(verdict)


def test_grade_network_connections_fail() -> None:
    code = """
for port in (5432, 6379):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3)
        print(port, "connected")
    except OSError:
        print(port, "failed")
"""
    verdict = graded(HIDDEN_SOCKET + code + ADAM_CORRECT)
    assert verdict["stdout"].split() == ["5432", "failed", "6379", "failed"]
    assert verdict["verdict"] == "passed"


def test_grade_ignores_a_fake_passing_verdict_on_stdout() -> None:
    fake = '{"drill": "adam", "verdict": "passed", "cases": [], "diagnosis": null}'
    verdict = graded(f"print({fake!r})\n" + ADAM_NO_BIAS_CORRECTION)
    assert verdict["verdict"] == "failed"
    assert fake in verdict["stdout"]


@pytest.mark.parametrize("exit_call", ["import sys; sys.exit(0)", "import os; os._exit(0)"])
def test_grade_early_exit_is_not_a_pass(exit_call: str) -> None:
    verdict = graded(ADAM_CORRECT.replace("g = grad_fn(theta)", f"g = grad_fn(theta); {exit_call}"))
    assert verdict["verdict"] in {"error", "failed"}


def test_grade_monkeypatching_numpy_changes_nothing() -> None:
    patch = """
import numpy
numpy.allclose = lambda *args, **kwargs: True
numpy.isclose = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.savez = lambda *args, **kwargs: None
"""
    verdict = graded(patch + ADAM_NO_BIAS_CORRECTION)
    assert verdict["verdict"] in {"failed", "error"}


@pytest.mark.parametrize("module", ["quizapp.grader.compare", "quizapp.grader.references", "quizapp"])
def test_grade_cannot_import_the_grader(module: str) -> None:
    verdict = graded(f"import {module}\n" + ADAM_CORRECT)
    assert verdict["verdict"] in {"error", "rejected"}
    assert "quizapp" in verdict["message"]


def test_grade_nan_is_an_error_with_a_message() -> None:
    verdict = graded(ADAM_CORRECT.replace("return theta", "return theta * np.nan"))
    assert verdict["verdict"] in {"error", "failed"}
    assert "nan" in (verdict["message"] or "").lower() or any(not case["passed"] for case in verdict["cases"])


def test_grade_wrong_shape_is_an_error_with_a_message() -> None:
    verdict = graded(ADAM_CORRECT.replace("return theta", "return np.concatenate([theta, theta])"))
    assert verdict["verdict"] == "error"
    assert "shape" in verdict["message"].lower()


def test_grade_symlinked_result_gives_no_host_file() -> None:
    attack = "import os\nos.symlink('/etc/passwd', '/tmp/out/result.npz')\n"
    verdict = graded(attack + ADAM_NO_BIAS_CORRECTION)
    assert verdict["verdict"] in {"error", "failed"}
    assert "root:x:0:0" not in str(verdict)
