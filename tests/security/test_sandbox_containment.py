"""The whole sandbox is bounded and dies with whatever started it.

Memory and processes are limited per sandbox by a cgroup made for each run (v2 where the host has the
controllers, v1's memory and pids hierarchies on these machines); where no cgroup can be made, new
processes are refused, so one process's limit is the whole budget. Both mechanisms are tested here: the
fallback is forced by replacing `containment()`'s answer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.drills import shipped_drill
from support.submissions import ADAM_CORRECT

import quizapp
from quizapp.grader import sandbox as sandbox_module
from quizapp.grader.sandbox import Containment, Limits, MiB, RunCgroup, Sandbox, kill_leftover_sandboxes

pytestmark = pytest.mark.skipif(
    not sandbox_module.bubblewrap_available(), reason="bubblewrap is not installed"
)
REPOSITORY = Path(quizapp.__file__).resolve().parent.parent
BUDGET = Limits().budget_bytes
# Six children, each touching 900 MiB: 5.3 GiB if nothing bounds the sandbox as a whole.
FORKED_CHILDREN = """
import os, time
fork = getattr(os, "fo" + "rk")
children = []
for _ in range(6):
    pid = fork()
    if pid == 0:
        block = b"\\1" * (900 << 20)
        time.sleep(5)
        os._exit(0)
    children.append(pid)
statuses = [os.waitpid(pid, 0)[1] for pid in children]
print("children", statuses)
"""


@pytest.fixture(params=["host", "rlimit"])
def mechanism(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The host's own mechanism (cgroup here), then the fallback used where cgroups are unavailable."""
    if request.param == "rlimit":
        monkeypatch.setattr(sandbox_module, "_CONTAINMENT", Containment("rlimit"))
    return sandbox_module.containment().mechanism


def test_machine_offers_cgroups_to_root() -> None:
    """On these machines (root, cgroup v1 memory and pids) the cgroup mechanism is the one in force."""
    if os.geteuid() == 0 and Path("/sys/fs/cgroup/memory/cgroup.procs").exists():
        assert sandbox_module.containment().mechanism in {"cgroup-v1", "cgroup-v2"}
    else:
        assert sandbox_module.containment().mechanism in {"cgroup-v2", "rlimit"}


def test_forked_children_cannot_take_more_than_the_budget(mechanism: str) -> None:
    result = Sandbox().run({"harness.py": FORKED_CHILDREN.encode()})
    assert result.containment == mechanism
    if mechanism == "rlimit":
        # No second process can exist, so one process's memory limit is all the sandbox can hold.
        assert result.status == "error"
        assert "PermissionError: [Errno 1] Operation not permitted" in result.stderr
        assert Limits().memory_bytes <= BUDGET
    else:
        # The kernel kills a child for the budget, or (on a loaded machine) holds them there until the
        # wall clock ends the run; either way the message names the budget and the mechanism.
        assert result.status in {"memory", "timeout"}, result
        assert f"limited to {BUDGET // MiB} MiB ({mechanism})" in result.message
        assert result.peak_bytes is not None and result.peak_bytes <= BUDGET


def test_graded_fork_attack_is_not_a_pass(mechanism: str) -> None:
    from quizapp.grader import grade

    verdict = grade(shipped_drill("adam"), FORKED_CHILDREN + ADAM_CORRECT, seed=2)
    assert verdict.verdict in ({"error"} if mechanism == "rlimit" else {"error", "timeout"})
    expected = "Operation not permitted" if mechanism == "rlimit" else f"({mechanism})"
    assert expected in verdict.message


def test_threads_still_work_without_cgroups(mechanism: str) -> None:
    code = "import threading\nt = threading.Thread(target=print, args=('thread ran',))\nt.start(); t.join()"
    result = Sandbox().run({"harness.py": code.encode()})
    assert (result.status, result.stdout.strip()) == ("ok", "thread ran")


def test_cgroup_of_a_run_is_removed_afterwards() -> None:
    where = sandbox_module.containment()
    if where.mechanism == "rlimit":
        pytest.skip("no cgroups on this host; the fallback is tested by the tests above")
    # Only this process's runs: other test workers (pytest-xdist) make and remove their own meanwhile.
    mine = f"run-{os.getpid()}-"

    def runs() -> set[str]:
        return {name for parent in where.parents for name in os.listdir(parent) if name.startswith(mine)}

    before = runs()
    result = Sandbox().run({"harness.py": b"print('hello')"})
    assert result.status == "ok"
    assert runs() <= before


# -- a sandbox dies with whatever started it -----------------------------------------------------------------
GRADE_FOREVER = """
import sys
from quizapp.bank import load_drills
from quizapp.config import REPO_ROOT
from quizapp.grader import grade, sandbox
if sys.argv[1] == "rlimit":
    sandbox._CONTAINMENT = sandbox.Containment("rlimit")
adam = load_drills(REPO_ROOT / "questions")["adam"]
grade(adam, "import time\\ntime.sleep(600)\\n" + sys.stdin.read(), seed=1)
"""


def descendants(root: int) -> dict[int, str]:
    """Every process below `root`, by pid, with its start time (so a reused pid is not mistaken)."""
    parents: dict[int, int] = {}
    starts: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        parents[pid], starts[pid] = int(fields[1]), fields[19]
    found: dict[int, str] = {}
    for pid in parents:
        ancestor = pid
        while ancestor in parents and ancestor not in (0, 1, root):
            ancestor = parents[ancestor]
        if ancestor == root and pid != root:
            found[pid] = starts[pid]
    return found


def alive(processes: dict[int, str]) -> dict[int, str]:
    still = {}
    for pid, start in processes.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[19] == start and fields[0] != "Z":
            still[pid] = start
    return still


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize("mode", ["host", "rlimit"])
def test_sandbox_dies_with_a_killed_grading_process(mode: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", GRADE_FOREVER, mode],
        stdin=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        text=True,
    )
    child.stdin.write(ADAM_CORRECT)
    child.stdin.close()
    try:
        # The payload runs as an unprivileged uid: once one is below the child, the sandbox is up.
        def payload_started() -> bool:
            return any(_uid(pid) not in (None, os.getuid()) for pid in descendants(child.pid))

        assert wait_for(payload_started, timeout=120)
        sandbox = descendants(child.pid)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert wait_for(lambda: not alive(sandbox), timeout=10), alive(sandbox)


def _uid(pid: int) -> int | None:
    try:
        line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("Uid:"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1])


@pytest.fixture
def private_parent(monkeypatch: pytest.MonkeyPatch) -> Iterator[Containment]:
    """This test's run cgroups under a parent folder of its own. A reaper of another process running at the
    same time (a second pytest worker, a `quizapp worker` under test) lists only the real parent's run
    folders, so it never reaps the leftover made below before this test's own reaper does."""
    where = sandbox_module.containment()
    if where.mechanism == "rlimit":
        pytest.skip("no cgroups here: the reaper's cgroup half has nothing to reap")
    parents = tuple(os.path.join(parent, f"test-{os.getpid()}") for parent in where.parents)
    for path in parents:
        os.mkdir(path)
        if where.mechanism == "cgroup-v2":
            Path(path, "cgroup.subtree_control").write_text("+memory +pids")
    monkeypatch.setattr(sandbox_module, "_CONTAINMENT", Containment(where.mechanism, parents))
    yield sandbox_module.containment()
    monkeypatch.undo()
    for path in parents:
        os.rmdir(path)


@pytest.fixture
def leftover_cgroup(private_parent: Containment) -> Iterator[RunCgroup]:
    """A run cgroup whose owner is gone (pid 1's start time is not 0), with a process still inside."""
    where = private_parent
    name = f"run-1-0-{os.getpid()}"
    cgroup = RunCgroup(where.mechanism, tuple(os.path.join(parent, name) for parent in where.parents))
    for path in cgroup.paths:
        os.mkdir(path)
    sleeper = subprocess.Popen([*cgroup.join_prefix(), "sleep", "600"])
    try:
        assert wait_for(lambda: sleeper.pid in cgroup.processes(), timeout=10)
        yield cgroup
    finally:
        sleeper.kill()
        sleeper.wait()
        cgroup.remove()


def test_reaper_kills_leftover_sandboxes_but_not_live_ones(leftover_cgroup: RunCgroup) -> None:
    live = RunCgroup.create(Limits())
    assert live is not None
    keeper = subprocess.Popen([*live.join_prefix(), "sleep", "600"])
    try:
        assert wait_for(lambda: keeper.pid in live.processes(), timeout=10)
        assert kill_leftover_sandboxes() >= 1
        assert leftover_cgroup.processes() == []
        assert not any(os.path.exists(path) for path in leftover_cgroup.paths)
        assert keeper.poll() is None and live.processes() == [keeper.pid]
    finally:
        keeper.kill()
        keeper.wait()
        live.remove()


def test_reaper_kills_a_sandbox_adopted_by_init() -> None:
    """Without cgroups, a leftover is a sandbox's bwrap whose parent died (adopted by init)."""
    marker = sandbox_module._BOOTSTRAP_SOURCE.splitlines()[0]
    launcher = subprocess.run(
        [
            "bash",
            "-c",
            'exec -a /usr/bin/bwrap "$1" -c "import time; time.sleep(600)" "$0" >/dev/null 2>&1 & echo $!',
            marker,
            sys.executable,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    orphan = int(launcher.stdout)
    try:
        assert wait_for(
            lambda: Path(f"/proc/{orphan}/stat").read_text().rsplit(")", 1)[1].split()[1] == "1", 5
        )
        assert kill_leftover_sandboxes() >= 1
        assert wait_for(lambda: not alive({orphan: _start(orphan)}), timeout=5)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(orphan, signal.SIGKILL)


def _start(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except OSError:
        return ""
