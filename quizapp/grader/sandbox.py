"""Runs untrusted Python in a fresh bubblewrap sandbox per call, with resource limits and bounded output.

`Sandbox` starts one sandbox per run; `SandboxPool` keeps pre-started, single-use sandboxes waiting.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import itertools
import json
import mmap
import os
import random
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import IO, Literal

from quizapp.grader import sandbox_bootstrap
from quizapp.grader.seccomp import seccomp_program

Status = Literal["ok", "error", "timeout", "memory", "killed"]

MiB = 1 << 20
SANDBOX_ROOT = "/tmp"  # inside the sandbox: /tmp/in (files), /tmp/work (cwd), /tmp/out (result)
SANDBOX_UID = 65534  # "nobody" as seen from inside the sandbox
FRAMEWORK_PACKAGES = {
    "numpy": ("numpy",),
    "torch": ("numpy", "torch", "torchgen", "typing_extensions", "sympy", "mpmath"),
}
CUDA_PACKAGES = ("nvidia", "triton")  # shipped only with CUDA builds of torch
SANDBOX_TOOLS = ("bwrap", "setpriv")  # run inside the outer stage as root: the inner bwrap and the uid drop
THIRD_PARTY_FOLDERS = ("site-packages", "dist-packages")  # hidden inside the mounted standard library
GPU_DRIVER_LIBRARIES = tuple(
    f"{folder}/{name}"
    for folder in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/aarch64-linux-gnu")
    for name in ("libcuda.so*", "libnvidia-*.so*", "libnvrtc*.so*")
)
ROOT_LINK_CANDIDATES = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
TRUNCATED = "…[truncated]"
REPORT_BYTES = 4096
WARM_UP_SECONDS = 120.0  # a pooled sandbox that takes longer to import its framework is discarded
MEMORY_MARKERS = ("MemoryError", "can't allocate memory", "std::bad_alloc", "Cannot allocate memory")
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_BOOTSTRAP_SOURCE = Path(sandbox_bootstrap.__file__).read_text(encoding="utf-8")
# Each sandbox runs as its own host uid when we are root, so process limits are never shared between runs.
_HOST_UIDS = itertools.count(1_700_000_000 + random.randrange(50_000_000))
_HOST_UID_LOCK = threading.Lock()


class SandboxUnavailable(RuntimeError):
    """Raised when untrusted code cannot be isolated (bubblewrap is missing or unusable)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run (memory counts the framework's own ~300 MiB for torch)."""

    cpu_seconds: int = 10
    wall_seconds: float = 20.0
    memory_bytes: int = 1024 * MiB
    address_space_bytes: int = 2048 * MiB  # every mapping, shared memory too (data counts only private)
    max_processes: int = 32
    file_bytes: int = 16 * MiB
    output_bytes: int = 64 * 1024
    result_bytes: int = 32 * MiB
    open_files: int = 64  # with file_bytes, bounds what memfd files can hold
    tmp_bytes: int = 64 * MiB
    # The whole sandbox (every process, its /tmp, the framework) under a cgroup; see containment().
    budget_bytes: int = 1024 * MiB


@dataclass
class SandboxResult:
    """What came back from one run: outcome, captured (truncated) output and the result file's bytes."""

    status: Status
    returncode: int | None
    stdout: str
    stderr: str
    result: bytes | None
    elapsed_ms: int
    message: str
    library_calls: str = ""  # the library optimizer code the payload called (the bootstrap reports it)
    containment: str = ""  # how the whole sandbox was bounded: cgroup-v2, cgroup-v1 or rlimit
    peak_bytes: int | None = None  # the sandbox's peak memory as its cgroup counted it


@dataclass(frozen=True)
class _Mount:
    source: str  # path on the host
    dest: str  # path inside the sandbox
    device: bool = False
    hidden: bool = False  # an empty read-only tmpfs over dest (hides what the bind above it holds)


class _BoundedReader(threading.Thread):
    """Drains a pipe to its end, keeping only the first `limit` bytes so output cannot exhaust memory."""

    def __init__(self, stream: IO[bytes] | int, limit: int, skip: int = 0) -> None:
        super().__init__(daemon=True)
        self._fd = stream if isinstance(stream, int) else stream.fileno()
        self._limit = limit
        self._skip = skip
        self._chunks: list[bytes] = []
        self.kept = 0
        self.total = 0
        self.start()

    def run(self) -> None:
        try:
            while chunk := os.read(self._fd, 1 << 16):
                if self._skip:
                    chunk, self._skip = chunk[self._skip :], max(0, self._skip - len(chunk))
                self.total += len(chunk)
                if self.kept < self._limit:
                    piece = chunk[: self._limit - self.kept]
                    self._chunks.append(piece)
                    self.kept += len(piece)
        except OSError:
            return

    @property
    def truncated(self) -> bool:
        return self.total > self._limit

    def data(self) -> bytes:
        return b"".join(self._chunks)

    def text(self) -> str:
        text = self.data().decode("utf-8", errors="replace")
        return text + TRUNCATED if self.truncated else text


class _SandboxProcess:
    """One started sandbox: the bootstrap inside waits for its job frame on stdin."""

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        result_fd: int,
        report_fd: int,
        workdir: str | None,
        cgroup: RunCgroup | None,
    ) -> None:
        self.popen = popen
        self.cgroup = cgroup  # every process of this sandbox, created before the sandbox started
        self.result_fd = result_fd
        self.report_fd = report_fd  # the bootstrap reports each use of the library's optimizers here
        self.workdir = workdir  # host folder of an unsafe run, removed afterwards
        self.warm = False  # the bootstrap's ready byte has been read
        self.killed = False

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_until_warm(self, timeout: float) -> bool:
        """Wait for the bootstrap's ready byte: the framework is imported and the job can come."""
        readable, _, _ = select.select([self.result_fd], [], [], timeout)
        self.warm = bool(readable) and os.read(self.result_fd, 1) == sandbox_bootstrap.READY
        return self.warm

    def kill(self) -> None:
        """Kill the whole process group (bwrap's pid namespace takes every process inside with it)."""
        self.killed = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        if self.cgroup is not None:
            self.cgroup.kill()
        self.popen.wait()

    def close(self) -> None:
        """Release our ends of the pipes (only once nothing reads them: fd numbers get reused)."""
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()
        for fd in (self.result_fd, self.report_fd):
            if fd >= 0:
                os.close(fd)
        self.result_fd = self.report_fd = -1
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        if self.cgroup is not None:
            self.cgroup.remove()


class Sandbox:
    """Runs one payload per call in a fresh bubblewrap sandbox (or, explicitly unsafe, a plain subprocess)."""

    def __init__(
        self, limits: Limits | None = None, device: str = "cpu", unsafe_no_sandbox: bool = False
    ) -> None:
        self.limits = limits or Limits()
        self.device = resolve_device(device)
        self.unsafe_no_sandbox = unsafe_no_sandbox
        self._bwrap = None if unsafe_no_sandbox else _find_bwrap()

    def run(
        self, files: Mapping[str, bytes], *, entry: str = "harness.py", framework: str = "numpy"
    ) -> SandboxResult:
        """Run `/tmp/in/<entry>` with `files` beside it; never raises for anything the payload does."""
        frame = encode_frame(files, entry)
        return self._execute(self._start(framework, warm=False), frame)

    # -- starting -------------------------------------------------------------------------------------
    def _start(self, framework: str, *, warm: bool) -> _SandboxProcess:
        if framework not in FRAMEWORK_PACKAGES:
            raise ValueError(f"unknown framework {framework!r}; expected one of {sorted(FRAMEWORK_PACKAGES)}")
        read_fd, write_fd = os.pipe()
        report_read_fd, report_write_fd = os.pipe()
        workdir = tempfile.mkdtemp(prefix="quizapp-unsafe-") if self.unsafe_no_sandbox else None
        cgroup = RunCgroup.create(self.limits) if not self.unsafe_no_sandbox else None
        # Without a cgroup, one process is all a sandbox may have: its memory limit is then the budget.
        filter_fd = None if self.unsafe_no_sandbox else _seccomp_fd(deny_new_processes=cgroup is None)
        command = self._command(framework, (write_fd, report_write_fd), workdir, warm, filter_fd)
        if cgroup is not None:
            command = cgroup.join_prefix() + command
        passed = (write_fd, report_write_fd) + (() if filter_fd is None else (filter_fd,))
        try:
            popen = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=passed,
                start_new_session=True,
                env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
                cwd=os.path.join(workdir, "work") if workdir else "/",
            )
        except OSError as error:
            os.close(read_fd)
            os.close(report_read_fd)
            if cgroup is not None:
                cgroup.remove()
            raise SandboxUnavailable(f"could not start the sandbox: {error}") from error
        finally:
            for fd in passed:
                os.close(fd)
        return _SandboxProcess(popen, read_fd, report_read_fd, workdir, cgroup)

    def _command(
        self, framework: str, fds: tuple[int, int], workdir: str | None, warm: bool, filter_fd: int | None
    ) -> list[str]:
        limits = _limits_prefix(self.limits, self.device)
        result_fd, report_fd = fds
        arguments = [framework, str(result_fd), str(report_fd), workdir or SANDBOX_ROOT]
        arguments.append("warm" if warm else "cold")
        if workdir is not None:
            for name in ("in", "work", "out"):
                os.mkdir(os.path.join(workdir, name))
            return [*limits, sys.executable, "-I", "-c", _BOOTSTRAP_SOURCE, *arguments]
        payload = [_interpreter(), "-I", "-S", "-c", _BOOTSTRAP_SOURCE, *arguments]
        mounts = _runtime_mounts(framework, self.device)
        as_root = os.geteuid() == 0
        inner = _inner_bwrap(self._bwrap, mounts, self.limits, from_dest=as_root)
        if filter_fd is not None:
            inner += ["--seccomp", str(filter_fd)]
        # As root, an outer bwrap builds the file view (root may read /root/...), then drops to a fresh uid.
        outer = _outer_bwrap(self._bwrap, mounts) if as_root else []
        return [*limits, *outer, *inner, *payload]

    # -- running --------------------------------------------------------------------------------------
    def _execute(self, process: _SandboxProcess, frame: bytes) -> SandboxResult:
        limits = self.limits
        started = time.monotonic()
        stdout = _BoundedReader(process.popen.stdout, limits.output_bytes)
        stderr = _BoundedReader(process.popen.stderr, limits.output_bytes)
        ready_byte = 0 if process.warm else len(sandbox_bootstrap.READY)
        result = _BoundedReader(process.result_fd, limits.result_bytes, skip=ready_byte)
        reports = _BoundedReader(process.report_fd, REPORT_BYTES)
        threading.Thread(target=_write_frame, args=(process.popen.stdin, frame), daemon=True).start()
        # A timer rather than wait(timeout): Popen polls with sleeps then, adding up to 50 ms per run.
        timer = threading.Timer(limits.wall_seconds, process.kill)
        timer.start()
        returncode = process.popen.wait()
        timer.cancel()
        timed_out = process.killed
        elapsed_ms = int((time.monotonic() - started) * 1000)
        readers = (stdout, stderr, result, reports)
        cgroup = process.cgroup
        if cgroup is not None:
            cgroup.kill()  # whatever the payload left running (a forked child) ends with the run
        for reader in readers:
            reader.join(timeout=5)
        status, message = classify(returncode, timed_out, stderr.text(), limits)
        peak = cgroup.peak_bytes() if cgroup is not None else None
        budget = f"the sandbox as a whole is limited to {limits.budget_bytes // MiB} MiB"
        if cgroup is not None and cgroup.out_of_memory() and status != "timeout":
            status, message = "memory", f"ran out of memory: {budget} ({cgroup.mechanism})"
        elif cgroup is not None and status == "timeout" and (peak or 0) >= limits.budget_bytes:
            message = f"{message}, held at its memory budget: {budget} ({cgroup.mechanism})"
        if not any(reader.is_alive() for reader in readers):
            process.close()
        if result.truncated:
            message = _join(message, f"the result file is over {limits.result_bytes} bytes and was ignored")
        payload = result.data() if result.kept and not result.truncated else None
        library_calls = reports.text() if reports.total else ""
        mechanism = cgroup.mechanism if cgroup is not None else "rlimit"
        return SandboxResult(
            status,
            returncode,
            stdout.text(),
            stderr.text(),
            payload,
            elapsed_ms,
            message,
            library_calls,
            "none (unsafe)" if self.unsafe_no_sandbox else mechanism,
            peak,
        )


class SandboxPool(Sandbox):
    """A Sandbox that keeps `size` pre-started sandboxes per framework; each is used once, then refilled."""

    def __init__(
        self,
        limits: Limits | None = None,
        device: str = "cpu",
        unsafe_no_sandbox: bool = False,
        *,
        size: int = 2,
        frameworks: tuple[str, ...] = ("numpy", "torch"),
    ) -> None:
        super().__init__(limits, device, unsafe_no_sandbox)
        unknown = set(frameworks) - set(FRAMEWORK_PACKAGES)
        if unknown or size < 1:
            raise ValueError(f"a pool needs size ≥ 1 and frameworks among {sorted(FRAMEWORK_PACKAGES)}")
        self.size = size
        self._idle: dict[str, deque[_SandboxProcess]] = {framework: deque() for framework in frameworks}
        self._changed = threading.Condition()
        self._closed = False
        self._refiller = threading.Thread(target=self._refill, daemon=True, name="sandbox-pool-refill")
        self._refiller.start()
        atexit.register(self.close)

    def run(
        self, files: Mapping[str, bytes], *, entry: str = "harness.py", framework: str = "numpy"
    ) -> SandboxResult:
        frame = encode_frame(files, entry)
        process = self._take(framework) or self._start(framework, warm=False)
        return self._execute(process, frame)

    def ready(self, framework: str) -> int:
        """How many started sandboxes wait for `framework` jobs right now."""
        with self._changed:
            return len(self._idle.get(framework, ()))

    def wait_until_full(self, timeout: float = 60.0) -> bool:
        """Block until every framework has `size` sandboxes waiting (benchmarks and tests use this)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._missing() is not None and not self._closed:
                if not self._changed.wait(timeout=max(0.0, deadline - time.monotonic())):
                    return False
            return not self._closed

    def close(self) -> None:
        """Kill every idle sandbox and stop refilling (also runs at interpreter exit)."""
        with self._changed:
            self._closed = True
            idle = [process for queue in self._idle.values() for process in queue]
            for queue in self._idle.values():
                queue.clear()
            self._changed.notify_all()
        for process in idle:
            process.kill()
            process.close()
        if self._refiller is not threading.current_thread():
            self._refiller.join(timeout=10)
        atexit.unregister(self.close)

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _take(self, framework: str) -> _SandboxProcess | None:
        with self._changed:
            queue = self._idle.get(framework, deque())
            while queue:
                process = queue.popleft()
                self._changed.notify_all()
                if process.alive():
                    return process
                process.close()
        return None

    def _start_warm(self, framework: str) -> _SandboxProcess | None:
        try:
            process = self._start(framework, warm=True)
        except (SandboxUnavailable, OSError):
            return None
        if process.wait_until_warm(timeout=WARM_UP_SECONDS):
            return process
        process.kill()
        process.close()
        return None

    def _missing(self) -> str | None:
        for framework, queue in self._idle.items():
            if len(queue) < self.size:
                return framework
        return None

    def _refill(self) -> None:
        while True:
            with self._changed:
                while not self._closed and self._missing() is None:
                    self._changed.wait()
                if self._closed:
                    return
                framework = self._missing()
            process = self._start_warm(framework)
            if process is None:
                with self._changed:
                    self._changed.wait(timeout=1.0)  # keep trying, without spinning, while starts fail
                continue
            with self._changed:
                if self._closed:
                    process.kill()
                    process.close()
                    return
                self._idle[framework].append(process)
                self._changed.notify_all()


class PrestartedSandbox(Sandbox):
    """A Sandbox for one run whose sandbox starts at construction, so that its interpreter and framework
    import overlap the caller's own start-up (`quizapp grade` builds the job meanwhile)."""

    def __init__(
        self,
        limits: Limits | None = None,
        device: str = "cpu",
        unsafe_no_sandbox: bool = False,
        *,
        framework: str = "numpy",
    ) -> None:
        super().__init__(limits, device, unsafe_no_sandbox)
        self.framework = framework
        self._waiting: _SandboxProcess | None = self._start(framework, warm=False)

    def run(
        self, files: Mapping[str, bytes], *, entry: str = "harness.py", framework: str = "numpy"
    ) -> SandboxResult:
        frame = encode_frame(files, entry)
        process, self._waiting = self._waiting, None
        if process is not None and (framework != self.framework or not process.alive()):
            process.kill()
            process.close()
            process = None
        return self._execute(process or self._start(framework, warm=False), frame)

    def close(self) -> None:
        """Kill the started sandbox if no run took it."""
        process, self._waiting = self._waiting, None
        if process is not None:
            process.kill()
            process.close()

    def __enter__(self) -> PrestartedSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def encode_frame(files: Mapping[str, bytes], entry: str) -> bytes:
    """The bootstrap's input: 4-byte length, a JSON manifest [(name, size)], then the files' bytes."""
    for name in files:
        if not FILE_NAME.fullmatch(name) or name in (".", ".."):
            raise ValueError(f"file name {name!r} must be a plain name of letters, digits, '_', '.' or '-'")
    if entry not in files:
        raise ValueError(f"entry {entry!r} is not among the files {sorted(files)}")
    manifest = json.dumps({"entry": entry, "files": [[name, len(data)] for name, data in files.items()]})
    header = manifest.encode("utf-8")
    return struct.pack(">I", len(header)) + header + b"".join(bytes(data) for data in files.values())


def classify(returncode: int | None, timed_out: bool, stderr: str, limits: Limits) -> tuple[Status, str]:
    """Map how the sandbox ended to a status and a sentence a person can act on."""
    if timed_out:
        return "timeout", f"stopped after the wall-clock limit of {limits.wall_seconds:g} s"
    if returncode == 0:
        return "ok", ""
    memory_limit = f"ran out of memory (limit {limits.memory_bytes // MiB} MiB)"
    out_of_memory = any(mark in stderr[-2000:] for mark in MEMORY_MARKERS)
    if returncode == sandbox_bootstrap.MEMORY_EXIT_CODE or out_of_memory:
        return "memory", memory_limit
    signal_number = _signal_of(returncode)
    if signal_number == signal.SIGXCPU:
        return "timeout", f"used more than the CPU-time limit of {limits.cpu_seconds} s"
    if signal_number == signal.SIGXFSZ:
        return "error", f"wrote a file larger than the limit of {limits.file_bytes} bytes"
    if signal_number is not None:
        return "killed", f"killed by {signal.Signals(signal_number).name} (a resource limit or a crash)"
    last_line = next((line for line in reversed(stderr.splitlines()) if line.strip()), "")
    return "error", _join(f"exited with status {returncode}", last_line)


def resolve_device(device: str) -> str:
    """Turn "auto" into "cuda" where NVIDIA device nodes exist, else "cpu"."""
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, not {device!r}")
    if device == "auto":
        return "cuda" if _gpu_present() else "cpu"
    if device == "cuda" and not _gpu_present():
        raise ValueError("device cuda was asked for, but this machine has no NVIDIA GPU (/dev/nvidiactl)")
    return device


def bubblewrap_available() -> bool:
    """True when untrusted code can be isolated on this machine."""
    try:
        _find_bwrap()
    except SandboxUnavailable:
        return False
    return True


def _signal_of(returncode: int | None) -> int | None:
    """bwrap reports a child killed by signal N as exit status 128+N; Popen reports -N for bwrap itself."""
    if returncode is None:
        return None
    number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else None
    if number is None:
        return None
    try:
        return signal.Signals(number)
    except ValueError:
        return None


def _join(first: str, second: str) -> str:
    return f"{first}: {second}" if first and second else first or second


def _write_frame(stdin: IO[bytes] | None, frame: bytes) -> None:
    if stdin is None:
        return
    try:
        stdin.write(frame)
        stdin.close()
    except (BrokenPipeError, ValueError, OSError):
        pass  # the sandbox died before reading its job; the exit status says why


def _find_bwrap() -> str:
    path = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None)
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so submitted code cannot be isolated; install the Debian "
            "package 'bubblewrap' (apt-get install bubblewrap), or pass --unsafe-no-sandbox for a local "
            "experiment with your own code"
        )
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        raise SandboxUnavailable("running as root needs setpriv (util-linux) to drop to an unprivileged uid")
    if shutil.which("prlimit") is None:
        raise SandboxUnavailable("prlimit (util-linux) is needed to set the sandbox's resource limits")
    return path


def _seccomp_fd(deny_new_processes: bool) -> int | None:
    """A pipe holding the seccomp program, one per sandbox (bwrap reads it to the end)."""
    program = seccomp_program(deny_new_processes=deny_new_processes)
    if program is None:
        return None
    read_fd, write_fd = os.pipe()
    os.write(write_fd, program)  # a few hundred bytes: far below the pipe's buffer
    os.close(write_fd)
    return read_fd


def _limits_prefix(limits: Limits, device: str) -> list[str]:
    """prlimit sets the limits before exec, so they hold for bwrap and every process inside it."""
    # Address space must leave room above the data limit for the libraries' code and thread stacks.
    address_space = max(limits.address_space_bytes, limits.memory_bytes + 1024 * MiB)
    memory = [f"--data={limits.memory_bytes}", f"--as={address_space}"]
    if device == "cuda":
        # The CUDA context reserves tens of GiB of address space; only runaway private memory is capped.
        memory = [f"--data={max(limits.memory_bytes, 32 * 1024 * MiB)}"]
    processes = limits.max_processes
    if os.geteuid() != 0:
        # Unprivileged, the sandbox keeps our uid, and the kernel also checks the uid's host-wide task count
        # against the limit, so the sandbox's budget comes on top of the tasks we already have.
        processes += _tasks_of_current_user()
    return [
        shutil.which("prlimit") or "prlimit",
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        *memory,
        f"--nproc={processes}",
        f"--fsize={limits.file_bytes}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--",
    ]


def _tasks_of_current_user() -> int:
    uid, tasks = os.getuid(), 0
    for status in glob.glob("/proc/[0-9]*/status"):
        with contextlib.suppress(OSError, StopIteration, ValueError):
            fields = dict(line.split(":", 1) for line in Path(status).read_text().splitlines() if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                tasks += int(fields["Threads"])
    return tasks


def _interpreter() -> str:
    """The real interpreter binary (a venv's python is a link into the base installation)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path(sys.base_prefix) / "bin" / version, Path(sys.base_prefix) / "bin" / "python3"):
        if candidate.exists():
            return os.path.realpath(candidate)
    return os.path.realpath(sys.executable)


def _package_path(name: str) -> str | None:
    spec = find_spec(name)
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return os.path.realpath(next(iter(spec.submodule_search_locations)))
    return os.path.realpath(spec.origin) if spec.origin else None


def _runtime_mounts(framework: str, device: str) -> list[_Mount]:
    """Read-only binds of exactly what a job runs on: the interpreter and its standard library (without
    site-packages), the framework's packages, and the shared libraries all of these load."""
    packages = _package_mounts(framework, device)
    tools = [os.path.realpath(path) for path in map(shutil.which, SANDBOX_TOOLS) if path]
    mounts = [*_interpreter_mounts(), *packages, *(_Mount(tool, tool) for tool in tools)]
    mounts += [_Mount(path, path) for path in ROOT_LINK_CANDIDATES if _is_real_dir(path)]
    skip = tuple(mount.source + "/" for mount in mounts if not mount.hidden)
    mounts += [
        library for library in _shared_libraries(framework, device) if not library.source.startswith(skip)
    ]
    if device == "cuda":
        mounts += _gpu_mounts()
    return mounts


def _package_mounts(framework: str, device: str) -> list[_Mount]:
    mounts = []
    names = FRAMEWORK_PACKAGES[framework] + (CUDA_PACKAGES if device == "cuda" else ())
    for name in names:
        path = _package_path(name)
        if path is None:
            continue
        site = sandbox_bootstrap.SITE_DIR
        mounts.append(_Mount(path, f"{site}/{os.path.basename(path)}"))
        libs = f"{path}.libs"  # auditwheel's vendored shared libraries (numpy.libs)
        if os.path.isdir(libs):
            mounts.append(_Mount(libs, f"{site}/{os.path.basename(libs)}"))
    return mounts


def _standard_library() -> str:
    return os.path.realpath(sysconfig.get_paths(vars={"installed_base": sys.base_prefix})["stdlib"])


def _interpreter_mounts() -> list[_Mount]:
    """The interpreter binary and its standard library, with every folder of third-party packages hidden."""
    interpreter, stdlib = _interpreter(), _standard_library()
    mounts = [_Mount(interpreter, interpreter), _Mount(stdlib, stdlib)]
    for name in THIRD_PARTY_FOLDERS:
        if os.path.isdir(os.path.join(stdlib, name)):
            mounts.append(_Mount("", os.path.join(stdlib, name), hidden=True))
    return mounts


@functools.lru_cache(maxsize=4)
def _shared_libraries(framework: str, device: str) -> tuple[_Mount, ...]:
    """The shared libraries the interpreter, its extension modules, the framework and the sandbox's own
    tools (bwrap, setpriv) load, found as the loader inside finds them (see `_needed_libraries`)."""
    binaries = [_interpreter(), *(shutil.which(tool) or "" for tool in SANDBOX_TOOLS)]
    extensions = os.path.join(_standard_library(), "lib-dynload")
    if os.path.isdir(extensions):
        binaries += [entry.path for entry in os.scandir(extensions) if entry.name.endswith(".so")]
    for mount in _package_mounts(framework, device):
        for folder, _, names in os.walk(mount.source):
            binaries += [os.path.join(folder, name) for name in names if ".so" in name]
    libraries = {}
    for path in sorted(_needed_libraries([path for path in binaries if path])):
        dest = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        libraries[dest] = _Mount(os.path.realpath(path), dest)
    return tuple(libraries.values())


def _needed_libraries(binaries: list[str]) -> set[str]:
    """Every library the binaries load, transitively: each ELF file's DT_NEEDED names, looked up in its
    RPATH/RUNPATH (with $ORIGIN) and then the loader's default folders, plus the ELF interpreter."""
    multiarch = sysconfig.get_config_var("MULTIARCH") or f"{os.uname().machine}-linux-gnu"
    defaults = [f"/lib/{multiarch}", f"/usr/lib/{multiarch}", "/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    found: set[str] = set()
    pending, seen = list(binaries), set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        elf = _read_elf(path)
        if elf is None:
            continue
        interpreter, needed, search = elf
        origin = os.path.dirname(os.path.realpath(path))
        folders = [folder.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for folder in search]
        for name in needed:
            library = next(
                (
                    os.path.join(d, name)
                    for d in [*folders, *defaults]
                    if os.path.exists(os.path.join(d, name))
                ),
                None,
            )
            if library is not None:
                found.add(library)
                pending.append(library)
        if interpreter:
            found.add(interpreter)
    return found


def _read_elf(path: str) -> tuple[str, list[str], list[str]] | None:
    """A 64-bit little-endian ELF file's interpreter, DT_NEEDED names and RPATH/RUNPATH folders."""
    try:
        with open(path, "rb") as handle:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)  # pages are read on demand
    except (OSError, ValueError):  # unreadable, or empty
        return None
    with data:
        if data[:6] != b"\x7fELF\x02\x01":
            return None
        return _elf_dynamic_section(data)


def _elf_dynamic_section(data: mmap.mmap) -> tuple[str, list[str], list[str]]:
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    segments = [struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize) for i in range(phnum)]
    interpreter, dynamic = "", None
    for kind, _, offset, _, _, size in segments:
        if kind == 3:  # PT_INTERP
            interpreter = data[offset : offset + size].rstrip(b"\0").decode()
        elif kind == 2:  # PT_DYNAMIC
            dynamic = (offset, size)
    if dynamic is None:
        return interpreter, [], []
    entries = [struct.unpack_from("<qQ", data, dynamic[0] + i) for i in range(0, dynamic[1], 16)]
    table = next((value for tag, value in entries if tag == 5), None)  # DT_STRTAB, an address
    loads = [(vaddr, offset, size) for kind, _, offset, vaddr, _, size in segments if kind == 1]
    strings = next(
        (table - vaddr + offset for vaddr, offset, size in loads if vaddr <= (table or -1) < vaddr + size),
        None,
    )
    if strings is None:
        return interpreter, [], []

    def text(index: int) -> str:
        return data[strings + index : data.find(b"\0", strings + index)].decode(errors="replace")

    needed = [text(value) for tag, value in entries if tag == 1]  # DT_NEEDED
    search = [folder for tag, value in entries if tag in (15, 29) for folder in text(value).split(":")]
    return interpreter, needed, search


def _gpu_mounts() -> list[_Mount]:
    """The NVIDIA device nodes, the loader cache and the driver's libraries, which torch loads by name."""
    nodes = sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/nvidia-caps/*"))
    mounts = [_Mount(node, node, device=True) for node in nodes if not os.path.isdir(node)]
    if os.path.exists("/etc/ld.so.cache"):
        mounts.append(_Mount("/etc/ld.so.cache", "/etc/ld.so.cache"))
    for pattern in GPU_DRIVER_LIBRARIES:
        for path in sorted(glob.glob(pattern)):
            dest = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
            mounts.append(_Mount(os.path.realpath(path), dest))
    return mounts


def _gpu_present() -> bool:
    return os.path.exists("/dev/nvidiactl")


def _is_real_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


def _root_links() -> list[str]:
    """Recreate merged-/usr links such as /lib -> usr/lib."""
    args: list[str] = []
    for path in ROOT_LINK_CANDIDATES:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
    return args


def _parent_dirs(mounts: list[_Mount]) -> list[str]:
    """Directories bwrap must create for the mount points, world-searchable (it would make them 0700)."""
    parents: set[str] = set()
    for mount in mounts:
        parent = os.path.dirname(mount.dest)
        while parent not in ("/", "/dev", "") and not any(parent.startswith(m.dest + "/") for m in mounts):
            parents.add(parent)
            parent = os.path.dirname(parent)
    args: list[str] = []
    for parent in sorted(parents, key=lambda path: (path.count("/"), path)):
        args += ["--perms", "0755", "--dir", parent]
    return args


def _mount_args(mounts: list[_Mount], *, from_dest: bool) -> list[str]:
    args = _parent_dirs(mounts)
    for mount in sorted(mounts, key=lambda mount: mount.dest.count("/")):
        if mount.hidden:
            args += ["--perms", "0555", "--tmpfs", mount.dest, "--remount-ro", mount.dest]
            continue
        source = mount.dest if from_dest else mount.source
        args += ["--dev-bind" if mount.device else "--ro-bind", source, mount.dest]
    return args + _root_links()


def _outer_bwrap(bwrap: str, mounts: list[_Mount]) -> list[str]:
    """Stage 1 (root only): the minimal file view, then setpriv to a fresh, unprivileged host uid."""
    with _HOST_UID_LOCK:
        host_uid = next(_HOST_UIDS)
    return [
        bwrap,
        "--die-with-parent",
        "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
        "--dev", "/dev",
        # A pid namespace of its own: when this bwrap goes, every process below it goes too, even one that
        # was between setpriv's uid change and its parent-death signal at that moment.
        "--unshare-pid",
        "--bind", "/proc", "/proc",  # the inner bwrap may only mount a new /proc over a fully visible one
        "--tmpfs", "/tmp",
        *_mount_args(mounts, from_dest=False),
        shutil.which("setpriv") or "setpriv",
        # Changing uid clears the parent-death signal; set it again so the inner bwrap dies with us.
        f"--reuid={host_uid}", f"--regid={host_uid}", "--clear-groups", "--pdeathsig=SIGKILL", "--",
    ]  # fmt: skip


def _inner_bwrap(bwrap: str, mounts: list[_Mount], limits: Limits, *, from_dest: bool) -> list[str]:
    """Stage 2: every namespace new, no capabilities, no environment, an empty size-limited /tmp."""
    return [
        bwrap,
        "--unshare-all", "--unshare-user", "--disable-userns",
        "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--hostname", "sandbox",
        "--die-with-parent", "--new-session", "--clearenv", "--cap-drop", "ALL",
        "--proc", "/proc", "--dev", "/dev",
        *_mount_args(mounts, from_dest=from_dest),
        "--size", str(limits.tmp_bytes), "--tmpfs", SANDBOX_ROOT,
        "--dir", f"{SANDBOX_ROOT}/in", "--dir", f"{SANDBOX_ROOT}/work", "--dir", f"{SANDBOX_ROOT}/out",
        # Only the size-limited /tmp stays writable: files elsewhere would be unbounded host memory.
        "--remount-ro", "/dev", "--remount-ro", "/",
        "--chdir", f"{SANDBOX_ROOT}/work",
    ]  # fmt: skip


# -- bounding the whole sandbox: one cgroup per run ----------------------------------------------------------
CGROUP_PARENT = "quizapp-sandboxes"  # created under each hierarchy's root; one child per run
_CGROUP_NAME = re.compile(r"run-(\d+)-(\d+)-(\d+)")  # owner pid, owner start time, counter
_CGROUP_COUNTER = itertools.count()
_JOIN_SCRIPT = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


@dataclass(frozen=True)
class Containment:
    """Which mechanism bounds a whole sandbox here, and the cgroup folders runs are created in."""

    mechanism: Literal["cgroup-v2", "cgroup-v1", "rlimit"]
    parents: tuple[str, ...] = ()  # v2: one folder; v1: the memory and the pids folder


def containment() -> Containment:
    """cgroup v2 where it has the memory and pids controllers, else v1's memory and pids hierarchies, else
    per-process rlimits with new processes refused (we must be root to create cgroups)."""
    global _CONTAINMENT
    if _CONTAINMENT is None:
        _CONTAINMENT = _detect_containment()
    return _CONTAINMENT


_CONTAINMENT: Containment | None = None


def _detect_containment() -> Containment:
    if os.geteuid() != 0:
        return Containment("rlimit")
    mounts = _cgroup_mounts()
    for path in mounts.get("cgroup2", []):
        controllers = _read(os.path.join(path, "cgroup.controllers")).split()
        if {"memory", "pids"} <= set(controllers) and _prepare_parent(path, v2=True):
            return Containment("cgroup-v2", (os.path.join(path, CGROUP_PARENT),))
    memory, pids = mounts.get("memory", []), mounts.get("pids", [])
    if memory and pids and _prepare_parent(memory[0]) and _prepare_parent(pids[0]):
        return Containment("cgroup-v1", (f"{memory[0]}/{CGROUP_PARENT}", f"{pids[0]}/{CGROUP_PARENT}"))
    return Containment("rlimit")


def _cgroup_mounts() -> dict[str, list[str]]:
    """Mount points by kind: "cgroup2", and for v1 each controller ("memory", "pids") of a hierarchy."""
    found: dict[str, list[str]] = {}
    for line in _read("/proc/self/mounts").splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        if fields[2] == "cgroup2":
            found.setdefault("cgroup2", []).append(fields[1])
        elif fields[2] == "cgroup":
            for option in fields[3].split(","):
                found.setdefault(option, []).append(fields[1])
    return found


def _prepare_parent(root: str, v2: bool = False) -> bool:
    parent = os.path.join(root, CGROUP_PARENT)
    try:
        if v2:
            _write(os.path.join(root, "cgroup.subtree_control"), "+memory +pids")
        os.makedirs(parent, exist_ok=True)
        if v2:
            _write(os.path.join(parent, "cgroup.subtree_control"), "+memory +pids")
    except OSError:
        return False
    return os.access(parent, os.W_OK)


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return ""


def _write(path: str, value: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(value)


def _start_time(pid: int) -> int | None:
    """A process's start time in clock ticks (with the pid, it names one process even after pid reuse)."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


class RunCgroup:
    """The cgroup of one sandbox: memory (no swap) and pids limits for all its processes together."""

    def __init__(self, mechanism: str, paths: tuple[str, ...]) -> None:
        self.mechanism = mechanism
        self.paths = paths

    @classmethod
    def create(cls, limits: Limits) -> RunCgroup | None:
        """A fresh cgroup for one run, or None where the host offers none (the rlimit fallback)."""
        where = containment()
        if where.mechanism == "rlimit":
            return None
        name = f"run-{os.getpid()}-{_start_time(os.getpid())}-{next(_CGROUP_COUNTER)}"
        cgroup = cls(where.mechanism, tuple(os.path.join(parent, name) for parent in where.parents))
        try:
            for path in cgroup.paths:
                os.mkdir(path)
            cgroup._limit(limits)
        except OSError as error:
            cgroup.remove()
            raise SandboxUnavailable(f"could not set up the sandbox's cgroup: {error}") from error
        return cgroup

    def _limit(self, limits: Limits) -> None:
        budget, processes = str(limits.budget_bytes), str(limits.max_processes)
        if self.mechanism == "cgroup-v2":
            (path,) = self.paths
            for name, value in (("memory.max", budget), ("memory.swap.max", "0"), ("pids.max", processes)):
                if name != "memory.swap.max" or os.path.exists(os.path.join(path, name)):
                    _write(os.path.join(path, name), value)
            return
        memory, pids = self.paths
        _write(os.path.join(memory, "memory.limit_in_bytes"), budget)
        if os.path.exists(os.path.join(memory, "memory.memsw.limit_in_bytes")):
            _write(os.path.join(memory, "memory.memsw.limit_in_bytes"), budget)  # no swapping past it
        _write(os.path.join(pids, "pids.max"), processes)

    def join_prefix(self) -> list[str]:
        """A command prefix that moves the starting process into the cgroup before anything else runs."""
        targets = [os.path.join(path, "cgroup.procs") for path in self.paths]
        return ["/bin/sh", "-c", _JOIN_SCRIPT, "sh", *targets, "--"]

    def processes(self) -> list[int]:
        pids: set[int] = set()
        for path in self.paths:
            pids.update(int(pid) for pid in _read(os.path.join(path, "cgroup.procs")).split())
        return sorted(pids)

    def kill(self) -> None:
        """SIGKILL every process in the cgroup, until none is left (a fork racing the kill is caught too)."""
        kill_file = os.path.join(self.paths[0], "cgroup.kill")
        for _ in range(100):
            pids = self.processes()
            if not pids:
                return
            if self.mechanism == "cgroup-v2" and os.path.exists(kill_file):
                with contextlib.suppress(OSError):
                    _write(kill_file, "1")
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def peak_bytes(self) -> int | None:
        name = "memory.peak" if self.mechanism == "cgroup-v2" else "memory.max_usage_in_bytes"
        value = _read(os.path.join(self.paths[0], name)).strip()
        return int(value) if value.isdigit() else None

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a process of this sandbox for going over the budget."""
        name = "memory.events" if self.mechanism == "cgroup-v2" else "memory.oom_control"
        fields = dict(line.split() for line in _read(os.path.join(self.paths[0], name)).splitlines())
        return int(fields.get("oom_kill", "0")) > 0

    def remove(self) -> None:
        self.kill()
        for path in self.paths:
            for _ in range(50):  # a killed process leaves its cgroup a moment after the signal
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def kill_leftover_sandboxes() -> int:
    """Kill sandboxes whose grading process is gone (a SIGKILLed worker); returns how many were ended.

    Run cgroups name their owner (pid and start time), so a live worker's sandboxes are never touched.
    Without cgroups, a sandbox's bwrap adopted by init (parent pid 1) is a leftover.
    """
    ended = 0
    where = containment()
    for parent in where.parents:
        with contextlib.suppress(OSError):
            for name in os.listdir(parent):
                match = _CGROUP_NAME.fullmatch(name)
                if match is None or _start_time(int(match[1])) == int(match[2]):
                    continue
                paths = tuple(os.path.join(other, name) for other in where.parents)
                cgroup = RunCgroup(where.mechanism, tuple(p for p in paths if os.path.isdir(p)))
                ended += bool(cgroup.processes())
                cgroup.remove()
    return ended + _kill_orphaned_bwraps()


def _kill_orphaned_bwraps() -> int:
    if os.getpid() == 1:
        return 0  # our own sandboxes have parent pid 1 then: orphans cannot be told apart
    marker = _BOOTSTRAP_SOURCE.splitlines()[0].encode()
    ended = 0
    for status in glob.glob("/proc/[0-9]*/stat"):
        pid = int(status.split("/")[2])
        fields = _read(status).rsplit(")", 1)
        if len(fields) != 2 or fields[1].split()[1] != "1":
            continue
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if command.split(b"\0", 1)[0].endswith(b"bwrap") and marker in command:
                os.kill(pid, signal.SIGKILL)  # its pid namespace, and every process in it, goes with it
                ended += 1
    return ended
