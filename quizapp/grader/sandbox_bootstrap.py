"""Trusted start-up code that runs first inside every grading sandbox (stdlib only, never imports quizapp).

It pre-imports the framework, waits for one frame of files on stdin, then runs the entry file as __main__.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pkgutil
import runpy
import stat
import struct
import sys
import traceback
import types
import warnings
from collections.abc import Iterator
from typing import Any, BinaryIO

SITE_DIR = "/opt/sandbox/site"
MEMORY_EXIT_CODE = 86
READY = b"R"
CHUNK = 1 << 16
# One math thread per sandbox: the test problems are tiny and many sandboxes share few cores.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


# The library's own optimizers, schedules and clipping: code in these modules must not run for a submission.
LIBRARY_OPTIMIZER_MODULES = ("torch.optim.", "torch.nn.utils.clip_grad")
LIBRARY_BASE_MODULES = ("torch.optim.optimizer",)  # Optimizer itself: a submission may subclass it
KERNEL_PREFIXES = ("aten::_foreach_", "aten::_fused_")  # multi-tensor and fused optimizer kernels
REFUSAL_TEMPLATE = """
def _outer():
{cells}
    def refused(*args, **kwargs):
{uses}
        try:
            __import__("os").write({fd}, {report!r})
        finally:
            raise PermissionError({message!r})
    return refused
"""


def refusal_message(what: str) -> str:
    return (
        f"{what} is the library's own optimizer, schedule or clipping code, which graded code may not use; "
        "write the update yourself"
    )


def report_and_refuse(report_fd: int, what: str) -> None:
    """Tell the trusted side, on a pipe only the bootstrap was given, then stop the call."""
    try:
        os.write(report_fd, f"{what}\n".encode())
    finally:
        raise PermissionError(refusal_message(what))


def _refusal_code(function: Any, what: str, report_fd: int) -> Any:
    """A code object with the same free variables as `function` whose body reports and raises."""
    free = function.__code__.co_freevars
    source = REFUSAL_TEMPLATE.format(
        cells="".join(f"    {name} = None\n" for name in free) or "    pass\n",
        uses="".join(f"        {name}\n" for name in free),
        fd=report_fd,
        report=f"{what}\n".encode(),
        message=refusal_message(what),
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, "<sandbox: refused library code>", "exec"), namespace)
    return namespace["_outer"]().__code__


def _library_functions(value: Any, filename: str, seen: set[int]) -> Iterator[Any]:
    """Every Python function behind `value` that is defined in `filename`: wrappers, wrapped, closures."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, staticmethod | classmethod):
        yield from _library_functions(value.__func__, filename, seen)
    elif isinstance(value, property):
        for accessor in (value.fget, value.fset, value.fdel):
            yield from _library_functions(accessor, filename, seen)
    elif isinstance(value, types.FunctionType):
        if value.__code__.co_filename == filename:
            yield value
        yield from _library_functions(getattr(value, "__wrapped__", None), filename, seen)
        for cell in value.__closure__ or ():
            with contextlib.suppress(ValueError):  # an empty cell
                yield from _library_functions(cell.cell_contents, filename, seen)


def _module_functions(module: Any) -> Iterator[tuple[str, Any]]:
    filename, seen = getattr(module, "__file__", None), set()
    for name, value in list(vars(module).items()):
        own_class = isinstance(value, type) and value.__module__ == module.__name__
        members = vars(value).items() if own_class else ()
        for member_name, member in members:
            for function in _library_functions(member, filename, seen):
                yield f"{module.__name__}.{name}.{member_name}", function
        if not members:
            for function in _library_functions(value, filename, seen):
                yield f"{module.__name__}.{function.__qualname__}", function


def disable_library_optimizers(torch: Any, report_fd: int) -> int:
    """Make the library's optimizers, schedules, clipping and fused/foreach kernels fail when called.

    Each function's code is replaced in place, so every reference (the class, the functional form,
    `Optimizer.__subclasses__()`, a reference kept anywhere) reaches the refusal; the kernels are overridden
    in the dispatcher, whichever route calls them. Each use is written to `report_fd` before it raises.
    Returns how many functions and kernels were disabled.
    """
    for found in pkgutil.walk_packages(torch.optim.__path__, "torch.optim."):  # none may be left to import
        with contextlib.suppress(Exception):
            importlib.import_module(found.name)
    disabled = 0
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith(LIBRARY_OPTIMIZER_MODULES) or module_name in LIBRARY_BASE_MODULES:
            continue
        for what, function in _module_functions(module):
            function.__code__ = _refusal_code(function, what, report_fd)
            disabled += 1
    return disabled + _disable_kernels(torch, report_fd)


def _disable_kernels(torch: Any, report_fd: int) -> int:
    import ctypes

    library = torch._C._dispatch_library("IMPL", "aten", "", "<sandbox>", 0)
    keys = ("CPU", "CUDA") if torch.cuda.is_available() else ("CPU",)
    disabled = 0
    for schema in torch._C._jit_get_all_schemas():
        if not schema.name.startswith(KERNEL_PREFIXES):
            continue
        name = schema.name.split("::", 1)[1] + (f".{schema.overload_name}" if schema.overload_name else "")

        def refused(*args: Any, _what: str = f"torch.ops.aten.{name}", **kwargs: Any) -> None:
            report_and_refuse(report_fd, _what)

        for key in keys:
            library.impl(name, key, refused, False)
        disabled += 1
    # Keep the registration alive with no Python reference to it, so graded code cannot find and undo it.
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(library))
    return disabled


def preload(framework: str, warm: bool, report_fd: int) -> None:
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the kernel overrides each warn that they replace a kernel
            disable_library_optimizers(torch, report_fd)
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
    framework, result_fd, report_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    root, warm = sys.argv[4], sys.argv[5] == "warm"
    preload(framework, warm, report_fd)
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
