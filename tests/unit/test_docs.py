"""The README stays one page and says true things; the documentation site in docs/ lists every page.

`scripts/test` also builds the site with `mkdocs build --strict`, which checks its links and anchors. These
checks cover what MkDocs does not see: the README itself, and claims the pages make about the code (which
variables are read from the environment, which API paths and commands exist).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from quizapp.cli import PROJECT_COMMANDS

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = REPO / "docs"
PACKAGE = REPO / "quizapp"
README_MAX_LINES = 200
SETUP_COMMANDS = ["./scripts/run", "./scripts/test"]
# The one module that reads settings from the environment, and the grader's cache folder, read by the grader
# itself because `quizapp grade` runs without the app (configuration.md says so).
CONFIG = PACKAGE / "config.py"
GRADER_CACHE = PACKAGE / "grader" / "problems.py"
GRADER_CACHE_VARIABLES = {"QUIZAPP_CACHE_DIR", "XDG_CACHE_HOME"}
# Writes the sandbox's own environment (thread counts, then clears it); reads nothing.
SANDBOX_BOOTSTRAP = PACKAGE / "grader" / "sandbox_bootstrap.py"
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def test_readme_fits_on_a_page() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines; keep it to {README_MAX_LINES} and move reference text to docs/"
    )


def test_readme_gives_exactly_the_two_setup_commands() -> None:
    code = [line.strip() for line in readme_section("Set up").splitlines() if line.startswith("    ")]
    assert code == SETUP_COMMANDS
    for command in SETUP_COMMANDS:
        script = REPO / command
        assert script.is_file() and script.stat().st_mode & 0o111, f"{command} is not an executable script"


def test_readme_links_point_at_files_that_exist() -> None:
    targets = MARKDOWN_LINK.findall(README.read_text(encoding="utf-8"))
    local = [target for target in targets if not re.match(r"[a-z]+:", target)]
    assert local, "the README links to the documentation"
    missing = [target for target in local if not (REPO / target.split("#")[0]).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def nav_pages(entries: list[object]) -> list[str]:
    """Every page named in mkdocs.yml's nav, sections included."""
    pages = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages.extend(nav_pages(value) if isinstance(value, list) else [str(value)])
    return pages


def test_every_page_of_the_site_is_in_the_navigation_and_every_entry_exists() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = nav_pages(config["nav"])
    on_disk = sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))
    assert sorted(set(listed)) == on_disk
    assert len(listed) == len(set(listed)), "a page is listed twice"
    assert config["docs_dir"] == "docs" and not (REPO / config["site_dir"]).is_relative_to(DOCS)


def environment_reads(path: Path) -> list[tuple[int, str | None]]:
    """(line, variable or None when unknown) for each read of os.environ or os.getenv in a module.

    Writes (`os.environ[name] = ...`, `os.environ.clear()`) are not reads.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            reads += [(node.lineno, None) for alias in node.names if alias.name in {"environ", "getenv"}]
        if not _is_os_environment(node):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store):
            continue
        if isinstance(parent, ast.Attribute) and parent.attr == "clear":
            continue
        reads.append((node.lineno, _variable_read(node, parents)))
    return sorted(reads, key=lambda read: read[0])


def _is_os_environment(node: ast.AST) -> bool:
    """`os.environ` or `os.getenv`."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
        and node.attr in {"environ", "getenv"}
    )


def _variable_read(node: ast.Attribute, parents: dict[ast.AST, ast.AST]) -> str | None:
    """The literal name in `os.getenv("X")`, `os.environ.get("X")` or `os.environ["X"]`, else None."""
    parent = parents.get(node)
    call = parents.get(parent) if isinstance(parent, ast.Attribute) and parent.attr == "get" else parent
    if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Constant):
        return str(call.args[0].value)
    if isinstance(parent, ast.Subscript) and isinstance(parent.slice, ast.Constant):
        return str(parent.slice.value)
    return None


def config_variables() -> set[str]:
    """The variables config.py reads: `env.get("X")` on `env = os.environ`, and os.environ.get("X")."""
    tree = ast.parse(CONFIG.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.isupper()
        ):
            names.add(node.args[0].value)
    return names


def test_only_config_reads_the_environment() -> None:
    """The README's claim: config.py is the one place that reads settings; the grader's cache folder aside."""
    offending = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == CONFIG:
            continue
        for line, variable in environment_reads(path):
            if path == GRADER_CACHE and variable in GRADER_CACHE_VARIABLES:
                continue
            offending.append(f"{path.relative_to(REPO)}:{line} reads {variable or 'the environment'}")
    assert not offending, offending


def test_the_environment_check_sees_reads_and_ignores_writes(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "import os\nfrom os import getenv\n"
        'os.environ["A"] = "1"\nos.environ.clear()\n'
        'a = os.environ.get("B")\nb = os.getenv("C")\nc = os.environ["D"]\nd = dict(os.environ)\n'
    )
    assert environment_reads(module) == [(2, None), (5, "B"), (6, "C"), (7, "D"), (8, None)]


def test_every_environment_variable_is_documented() -> None:
    variables = config_variables() | GRADER_CACHE_VARIABLES
    assert {"SECRET_KEY", "DATABASE_URL", "QUEUE_URL"} <= variables
    table = readme_section("Configuration")
    reference = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert not [name for name in variables if name not in table], "README.md's configuration table"
    assert not [name for name in variables if name not in reference], "docs/configuration.md"
    assert sorted(name for name in config_variables() if f"| `{name}`" not in reference) == []


def test_every_command_is_in_the_readme() -> None:
    table = readme_section("Command line (`.venv/bin/quizapp`)")
    missing = [name for name in PROJECT_COMMANDS if f"`quizapp {name}" not in table]
    assert not missing, f"commands missing from the README's table: {missing}"


def test_every_api_path_is_documented() -> None:
    spec = yaml.safe_load((PACKAGE / "api" / "openapi.yaml").read_text(encoding="utf-8"))
    page = re.sub(r"<[^<>/`]+>", "{}", (DOCS / "api.md").read_text(encoding="utf-8"))
    paths = [re.sub(r"\{[^}]+\}", "{}", path) for path in spec["paths"]]
    assert len(paths) > 20
    missing = [path for path in paths if not re.search(re.escape(path) + r"[`?\s]", page)]
    assert not missing, f"docs/api.md does not mention: {missing}"
