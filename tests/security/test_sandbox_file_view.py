"""A sandbox sees the interpreter, its framework and their shared libraries: nothing else of the host.

The attack adds every folder of installed packages the host has to sys.path before importing: the
folders are not there inside, so only what the job's framework needs can be imported.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig

import pytest

from quizapp.grader import sandbox as sandbox_module
from quizapp.grader.sandbox import Sandbox

pytestmark = pytest.mark.skipif(
    not sandbox_module.bubblewrap_available(), reason="bubblewrap is not installed"
)
HOST_PACKAGE_FOLDERS = sorted(
    {
        *(folder for folder in sys.path if folder.endswith(("site-packages", "dist-packages"))),
        *site.getsitepackages(),
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})["purelib"],
        "/usr/lib/python3/dist-packages",
        f"/usr/local/lib/python{sys.version_info.major}.{sys.version_info.minor}/dist-packages",
        "/usr/lib/python3.11/dist-packages",
    }
)


# Installed beside the base interpreter on these machines (scipy, boto3, awscli came from there before).
BASE_PACKAGES = ["scipy", "boto3", "awscli"]


def importable(modules: list[str], framework: str) -> dict[str, str]:
    code = f"""
import importlib, sys
sys.path.extend({HOST_PACKAGE_FOLDERS!r})
for name in {modules!r}:
    try:
        importlib.import_module(name)
        print(name, "imported")
    except ImportError as error:
        print(name, type(error).__name__)
"""
    result = Sandbox().run({"harness.py": code.encode()}, framework=framework)
    assert result.status == "ok", result
    return dict(line.split() for line in result.stdout.splitlines())


def test_host_packages_are_really_installed_here() -> None:
    """The attack below is meaningful: these packages are installed in the host folders it adds."""
    for name in ("sympy", "flask", "yaml", "sqlalchemy"):
        module = __import__(name)
        assert any(module.__file__.startswith(folder) for folder in HOST_PACKAGE_FOLDERS)
    base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})["purelib"]
    print("in the base interpreter's site-packages:", sorted(set(os.listdir(base)) & set(BASE_PACKAGES)))


def test_numpy_job_imports_numpy_and_nothing_else_installed() -> None:
    others = ["sympy", "flask", "yaml", "torch", *BASE_PACKAGES]
    outcome = importable(["numpy", *others], "numpy")
    assert outcome == {"numpy": "imported", **dict.fromkeys(others, "ModuleNotFoundError")}


def test_torch_job_imports_torch_but_not_the_web_stack() -> None:
    outcome = importable(["torch", "numpy", "flask", "scipy", "sqlalchemy"], "torch")
    assert outcome == {
        "torch": "imported",
        "numpy": "imported",
        **dict.fromkeys(["flask", "scipy", "sqlalchemy"], "ModuleNotFoundError"),
    }


def test_only_the_needed_parts_of_usr_are_there() -> None:
    code = """
import os
print("bin", sorted(os.listdir("/usr/bin")) if os.path.isdir("/usr/bin") else [])
print("share", os.path.exists("/usr/share"))
print("libs", all(name.startswith(("lib", "ld-")) for name in os.listdir("/usr/lib/x86_64-linux-gnu")))
"""
    result = Sandbox().run({"harness.py": code.encode()})
    assert result.status == "ok", result
    lines = result.stdout.splitlines()
    assert set(eval(lines[0].split(" ", 1)[1])) <= {"bwrap", "setpriv"}  # the sandbox's own two tools
    assert lines[1] == "share False"
    if sys.platform == "linux" and sandbox_module.os.path.isdir("/usr/lib/x86_64-linux-gnu"):
        assert lines[2] == "libs True"
