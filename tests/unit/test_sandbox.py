"""The grading sandbox: what a payload sees inside bubblewrap, the limits it runs under, what comes back.

Every test here starts real sandboxes (bwrap is installed by scripts/install and in CI).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import textwrap

import numpy as np
import pytest

from quizapp.grader import sandbox as sandbox_module
from quizapp.grader.sandbox import Limits, Sandbox, SandboxPool, SandboxUnavailable, classify, encode_frame

needs_bwrap = pytest.mark.skipif(
    not sandbox_module.bubblewrap_available(), reason="bubblewrap is not installed"
)


def run(code: str, limits: Limits | None = None, **files: bytes):
    payload = {"harness.py": textwrap.dedent(code).encode(), **files}
    return Sandbox(limits).run(payload)


@needs_bwrap
def test_payload_sees_no_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIZAPP_TEST_SECRET", "hunter2")
    result = run("import os; print(sorted(os.environ))")
    assert result.status == "ok", result
    assert result.stdout.strip() == "[]"


@needs_bwrap
def test_payload_runs_as_unprivileged_user_without_capabilities() -> None:
    result = run(
        """
        import os
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        fields = [status[name].strip() for name in ("CapEff", "CapBnd", "NoNewPrivs")]
        print(os.getuid(), os.getgid(), *fields)
        """
    )
    assert result.stdout.split() == ["65534", "65534", "0000000000000000", "0000000000000000", "1"]


@needs_bwrap
def test_files_are_readable_at_tmp_in_and_cannot_be_changed() -> None:
    result = run(
        """
        import os
        print(open("/tmp/in/job.json").read())
        try:
            open("/tmp/in/job.json", "w")
        except PermissionError:
            print("read-only")
        """,
        **{"job.json": b'{"drill": "adam"}'},
    )
    assert result.stdout.splitlines() == ['{"drill": "adam"}', "read-only"]


@needs_bwrap
def test_working_directory_is_an_empty_writable_tmp_work() -> None:
    result = run(
        """
        import os
        print(os.getcwd(), os.listdir("."))
        open("scratch.txt", "w").write("ok")
        print(open("scratch.txt").read())
        """
    )
    assert result.stdout.splitlines() == ["/tmp/work []", "ok"]


@needs_bwrap
def test_result_file_comes_back_as_npz_bytes() -> None:
    result = run('import numpy as np; np.savez("/tmp/out/result.npz", x=np.arange(4.0))')
    assert result.status == "ok"
    with np.load(io.BytesIO(result.result), allow_pickle=False) as data:
        assert data["x"].tolist() == [0.0, 1.0, 2.0, 3.0]


@needs_bwrap
def test_missing_result_file_gives_none() -> None:
    result = run("print('no result')")
    assert (result.status, result.result) == ("ok", None)


@needs_bwrap
def test_only_numpy_torch_and_stdlib_are_importable() -> None:
    result = run(
        """
        import json, numpy
        for name in ("quizapp", "flask", "sqlalchemy", "yaml", "scipy"):
            try:
                __import__(name)
                print(name, "imported")
            except ImportError:
                print(name, "missing")
        """
    )
    assert result.stdout.split() == [
        word for name in ("quizapp", "flask", "sqlalchemy", "yaml", "scipy") for word in (name, "missing")
    ]


@needs_bwrap
def test_torch_framework_imports_torch_with_one_thread() -> None:
    result = Sandbox().run(
        {"harness.py": b"import torch; print(torch.ones(3).sum().item(), torch.get_num_threads())"},
        framework="torch",
    )
    assert result.stdout.split() == ["3.0", "1"], result


@needs_bwrap
def test_only_loopback_exists_and_it_is_empty() -> None:
    result = run(
        """
        import os, socket
        print(sorted(os.listdir("/sys/class/net")) if os.path.exists("/sys/class/net") else "no-sys")
        for port in (5432, 6379):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2)
                print(port, "connected")
            except OSError:
                print(port, "refused")
        """
    )
    assert result.stdout.split() == ["no-sys", "5432", "refused", "6379", "refused"]


@needs_bwrap
def test_uncaught_exception_is_an_error_with_its_last_line() -> None:
    result = run("raise ValueError('shapes (2,) and (3,) differ')")
    assert result.status == "error"
    assert "ValueError: shapes (2,) and (3,) differ" in result.message
    assert "Traceback" in result.stderr


@needs_bwrap
def test_output_beyond_the_cap_is_truncated() -> None:
    result = run("import sys; sys.stdout.write('x' * 100_000)", Limits(output_bytes=1000))
    assert result.status == "ok"
    assert result.stdout == "x" * 1000 + "…[truncated]"


@needs_bwrap
def test_cpu_time_limit_stops_a_busy_loop() -> None:
    result = run("while True: pass", Limits(cpu_seconds=1, wall_seconds=20))
    assert result.status == "timeout"
    assert "CPU-time limit of 1 s" in result.message


@needs_bwrap
def test_wall_clock_limit_kills_a_sleeping_payload() -> None:
    result = run("import time; time.sleep(60)", Limits(wall_seconds=1.5))
    assert result.status == "timeout"
    assert result.elapsed_ms < 10_000
    assert "wall-clock limit of 1.5 s" in result.message


@needs_bwrap
def test_memory_limit_stops_a_large_allocation() -> None:
    result = run("import numpy as np; x = np.ones(10**9)", Limits(memory_bytes=512 * sandbox_module.MiB))
    assert result.status == "memory"
    assert "512 MiB" in result.message


@needs_bwrap
def test_process_limit_stops_forking() -> None:
    result = run(
        """
        import os, time
        children = 0
        try:
            for _ in range(200):
                if os.fork() == 0:
                    time.sleep(5)
                    os._exit(0)
                children += 1
        except OSError as error:
            print("stopped", children, error.errno)
        """,
        Limits(max_processes=16),
    )
    words = result.stdout.split()
    assert words[0] == "stopped" and int(words[1]) < 16


@needs_bwrap
def test_file_size_limit_stops_a_large_file() -> None:
    result = run("open('big', 'wb').write(b'0' * 5_000_000)", Limits(file_bytes=1_000_000))
    assert result.status in {"error", "killed"}
    assert "file larger than the limit" in result.message or "File too large" in result.stderr


@needs_bwrap
def test_result_file_over_the_cap_is_ignored() -> None:
    result = run("open('/tmp/out/result.npz', 'wb').write(b'0' * 200_000)", Limits(result_bytes=100_000))
    assert result.result is None
    assert "over 100000 bytes" in result.message


def test_frame_rejects_path_like_file_names() -> None:
    with pytest.raises(ValueError, match="plain name"):
        encode_frame({"../harness.py": b""}, "../harness.py")
    with pytest.raises(ValueError, match="entry"):
        encode_frame({"job.json": b"{}"}, "harness.py")


def test_missing_bubblewrap_raises_sandbox_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_module.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox_module.os, "access", lambda path, mode: False)
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        Sandbox()


def test_unsafe_mode_runs_the_same_payload_without_bubblewrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_module, "_find_bwrap", lambda: pytest.fail("unsafe mode must not need bwrap"))
    code = (
        b"import numpy, pathlib; numpy.savez(pathlib.Path(__file__).parents[1] / 'out' / 'result.npz', x=[1])"
    )
    result = Sandbox(unsafe_no_sandbox=True).run({"harness.py": code})
    assert result.status == "ok", result
    assert result.result is not None and result.result.startswith(b"PK")


@pytest.mark.parametrize(
    ("returncode", "timed_out", "stderr", "status"),
    [
        (0, False, "", "ok"),
        (None, True, "", "timeout"),
        (86, False, "", "memory"),
        (1, False, "Traceback...\nMemoryError\n", "memory"),
        (128 + 24, False, "", "timeout"),
        (128 + 9, False, "", "killed"),
        (1, False, "Traceback...\nKeyError: 'x'\n", "error"),
    ],
)
def test_exit_status_maps_to_a_sandbox_status(returncode, timed_out, stderr, status) -> None:
    assert classify(returncode, timed_out, stderr, Limits())[0] == status


def test_cuda_device_exposes_only_nvidia_device_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    nodes = {"/dev/nvidia*": ["/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm"], "/dev/nvidia-caps/*": []}
    monkeypatch.setattr(sandbox_module.glob, "glob", lambda pattern: nodes.get(pattern, []))
    mounts = sandbox_module._runtime_mounts("torch", "cuda")
    devices = sorted(mount.dest for mount in mounts if mount.device)
    assert devices == ["/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidiactl"]
    assert not any(mount.device for mount in sandbox_module._runtime_mounts("torch", "cpu"))


def test_device_auto_follows_the_gpu_and_cuda_needs_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_module, "_gpu_present", lambda: False)
    assert sandbox_module.resolve_device("auto") == "cpu"
    with pytest.raises(ValueError, match="no NVIDIA GPU"):
        sandbox_module.resolve_device("cuda")
    monkeypatch.setattr(sandbox_module, "_gpu_present", lambda: True)
    assert sandbox_module.resolve_device("auto") == "cuda"
    assert sandbox_module.resolve_device("cuda") == "cuda"


def test_sandbox_binds_no_project_or_instance_path() -> None:
    mounts = sandbox_module._runtime_mounts("torch", "cpu")
    sources = [mount.source for mount in mounts]
    project = str(sandbox_module.Path(sandbox_module.__file__).resolve().parents[2])
    assert not any(source in (project, f"{project}/instance", f"{project}/quizapp") for source in sources)
    assert all(
        mount.dest.startswith(("/usr", "/opt/sandbox/site/")) or mount.dest == mount.source or mount.hidden
        for mount in mounts
    )
    assert not any(mount.source in ("/usr", "/", "/root", "/home", "/etc") for mount in mounts)


@pytest.mark.cuda
@pytest.mark.skipif(not sandbox_module._gpu_present(), reason="no NVIDIA GPU on this machine")
def test_cuda_is_usable_inside_the_sandbox() -> None:
    code = b"import torch; print(torch.cuda.is_available(), torch.ones(3, device='cuda').sum().item())"
    result = Sandbox(device="cuda").run({"harness.py": code}, framework="torch")
    assert result.stdout.split() == ["True", "3.0"], result


@needs_bwrap
def test_pool_hands_out_fresh_single_use_sandboxes() -> None:
    code = b"import os; print(os.listdir('/tmp/work')); open('/tmp/work/left-behind', 'w').write('x')"
    with SandboxPool(size=1, frameworks=("numpy",)) as pool:
        assert pool.wait_until_full(timeout=60)
        first = pool.run({"harness.py": code})
        second = pool.run({"harness.py": code})
        assert pool.wait_until_full(timeout=60)
        assert pool.ready("numpy") == 1
    assert (first.stdout, second.stdout) == ("[]\n", "[]\n")
    assert pool.ready("numpy") == 0


@needs_bwrap
def test_pooled_torch_sandbox_has_torch_and_its_optimizer_machinery_imported() -> None:
    code = b"import sys; print('torch' in sys.modules, 'torch._dynamo' in sys.modules)"
    with SandboxPool(size=1, frameworks=("torch",)) as pool:
        assert pool.wait_until_full(timeout=120)
        result = pool.run({"harness.py": code}, framework="torch")
    assert result.stdout.split() == ["True", "True"], result


@needs_bwrap
def test_pool_close_kills_idle_sandboxes() -> None:
    pool = SandboxPool(size=2, frameworks=("numpy",))
    assert pool.wait_until_full(timeout=60)
    idle = list(pool._idle["numpy"])
    pool.close()
    assert all(process.popen.returncode is not None for process in idle)


@pytest.mark.skipif(shutil.which("ldd") is None, reason="ldd (libc-bin) is not installed")
def test_libraries_read_from_elf_headers_cover_what_ldd_finds() -> None:
    """The sandbox's own ELF reading finds every library the system's ldd resolves for the interpreter."""
    interpreter = sandbox_module._interpreter()
    output = subprocess.run(["ldd", interpreter], capture_output=True, text=True, check=True).stdout
    resolved = {os.path.realpath(path) for path in re.findall(r"(/\S+) \(0x", output)}
    found = {os.path.realpath(path) for path in sandbox_module._needed_libraries([interpreter])}
    assert resolved and resolved <= found
