"""Static checks on submitted source before it runs: size, syntax, forbidden imports and calls, and the
five-lines count for the Adam drill. Everything here reads the AST; nothing executes the code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

MAX_CODE_BYTES = 20_000
FORBIDDEN_MODULES = frozenset(
    {
        "subprocess",
        "socket",
        "ctypes",
        "cffi",
        "multiprocessing",
        "pty",
        "signal",
        "asyncio",
        "urllib",
        "http",
        "ftplib",
        "smtplib",
        "telnetlib",
        "ssl",
        "importlib",
        "shutil",
        "mmap",
        "resource",
        "select",
        "selectors",
    }
)
FORBIDDEN_CALLS = frozenset(
    {
        "os.system",
        "os.popen",
        "os.fork",
        "os.forkpty",
        "os.kill",
        "os.killpg",
        "os.execv",
        "os.execve",
        "os.execl",
        "os.execle",
        "os.execlp",
        "os.execlpe",
        "os.execvp",
        "os.execvpe",
        "os.spawnl",
        "os.spawnle",
        "os.spawnv",
        "os.spawnve",
        "os.posix_spawn",
        "os.posix_spawnp",
        "__import__",
    }
)


@dataclass(frozen=True)
class SourceProblem:
    """Why a submission is refused before running: `outcome` is rejected or error, with the line."""

    outcome: str
    message: str
    line: int | None = None


def check_source(
    code: str, *, forbidden: tuple[str, ...], max_lines: int
) -> tuple[ast.Module | None, SourceProblem | None]:
    """Parse `code` and refuse it if it is too long, does not parse, or imports/calls something forbidden."""
    size = len(code.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        return None, SourceProblem(
            "rejected", f"the code is {size} bytes long; the limit is {MAX_CODE_BYTES}"
        )
    lines = len(code.splitlines())
    if lines > max_lines:
        return None, SourceProblem("rejected", f"the code has {lines} lines; this drill allows {max_lines}")
    try:
        tree = ast.parse(code, filename="submission.py")
    except SyntaxError as exc:
        return None, SourceProblem("error", f"SyntaxError: {exc.msg} (line {exc.lineno})", exc.lineno)
    return tree, _forbidden_use(tree, forbidden)


def _forbidden_use(tree: ast.Module, forbidden: tuple[str, ...]) -> SourceProblem | None:
    aliases = _import_aliases(tree)
    for node in ast.walk(tree):
        problem = _forbidden_import(node) or _forbidden_name(node, aliases, forbidden)
        if problem is not None:
            return problem
    return None


def _forbidden_import(node: ast.AST) -> SourceProblem | None:
    modules: list[str] = []
    if isinstance(node, ast.Import):
        modules = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module:
        modules = [node.module]
    for module in modules:
        if module.split(".")[0] in FORBIDDEN_MODULES:
            return SourceProblem(
                "rejected",
                f"line {node.lineno}: importing {module!r} is not allowed in a "
                "submission (no processes, sockets or native code)",
                node.lineno,
            )
    return None


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name → full dotted name of everything imported (`import torch.optim as o`: o → torch.optim)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _forbidden_name(
    node: ast.AST, aliases: dict[str, str], forbidden: tuple[str, ...]
) -> SourceProblem | None:
    if isinstance(node, ast.ImportFrom) and node.module:
        names = [f"{node.module}.{alias.name}" for alias in node.names]
    elif isinstance(node, ast.Attribute | ast.Name):
        names = [_dotted(node, aliases) or ""]
    else:
        return None
    for name in names:
        if any(name == f or name.startswith(f + ".") for f in forbidden):
            return SourceProblem(
                "rejected",
                f"line {node.lineno}: {name} is the library's own implementation of "
                "this drill; write the update yourself",
                node.lineno,
            )
        if name in FORBIDDEN_CALLS or (name.startswith("os.exec") or name.startswith("os.spawn")):
            return SourceProblem(
                "rejected", f"line {node.lineno}: {name} is not allowed in a submission", node.lineno
            )
    return None


# ----------------------------------------------------------------------------------------- five lines
def update_line_count(tree: ast.Module) -> int | None:
    """Statements in the Adam update body, or None when no update body is found.

    The body is the loop inside the function that calls the gradient function, or the `step` method.
    Fetching the gradient, bumping the step counter, lazy state set-up and a bare return do not count.
    """
    body = _update_body(tree)
    return None if body is None else sum(_count(statement) for statement in body)


def _update_body(tree: ast.Module) -> list[ast.stmt] | None:
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            step = next((f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "step"), None)
            if step is not None:
                return step.body
        if isinstance(node, ast.FunctionDef):
            loop = next((n for n in ast.walk(node) if isinstance(n, ast.For)), None)
            if loop is not None:
                return loop.body
            return node.body
    return None


def _count(statement: ast.stmt) -> int:
    if isinstance(statement, ast.For):
        return sum(_count(s) for s in statement.body)
    if _is_bookkeeping(statement):
        return 0
    return 1


def _is_bookkeeping(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return True  # docstring
    if isinstance(statement, ast.Pass) or (
        isinstance(statement, ast.Return)
        and (statement.value is None or isinstance(statement.value, ast.Name))
    ):
        return True
    if isinstance(statement, ast.AugAssign) and isinstance(statement.value, ast.Constant):
        return True  # t += 1
    if isinstance(statement, ast.If) and "None" in ast.unparse(statement.test):
        return True  # lazy state initialisation
    if isinstance(statement, ast.Assign):
        source = ast.unparse(statement.value)
        return source.endswith(".grad") or "grad_fn(" in source or source.startswith(("grad(", "gradient("))
    return False
