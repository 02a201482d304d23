"""`quizapp grade DRILL FILE` and `quizapp drills list`: the grader from a terminal, no database needed.

Both read the drills of the question bank in QUESTIONS_DIR (as the web app does) or in `--questions-dir`.
Exit status of `grade`: 0 passed, 1 failed/error/timeout/rejected, 2 the command itself could not run.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from quizapp.grader.verdict import format_value

if TYPE_CHECKING:
    from quizapp.bank.model import DrillSpec

QUESTIONS_DIR_OPTION = click.option(
    "--questions-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The question bank whose drills are meant (default: the QUESTIONS_DIR setting, else questions/).",
)
FRAMEWORK_IMPORT = re.compile(r"^\s*(import|from)\s+torch\b", re.MULTILINE)
SHOWN_OUTPUT_LINES = 20


@click.command("grade")
@click.argument("drill")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print exactly the verdict JSON.")
@click.option("--seed", type=int, default=None, help="Seed of the random problem instances.")
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="auto",
    show_default=True,
    help="Where torch submissions run; auto picks cuda when a GPU is present.",
)
@click.option(
    "--framework",
    type=click.Choice(["numpy", "torch"]),
    default=None,
    help="numpy or torch (default: torch when the file imports torch, else numpy).",
)
@click.option(
    "--unsafe-no-sandbox",
    is_flag=True,
    help="Run WITHOUT bubblewrap, as a plain subprocess with limits. Only for your own code.",
)
@QUESTIONS_DIR_OPTION
def grade_command(
    drill: str,
    file: Path,
    as_json: bool,
    seed: int | None,
    device: str,
    framework: str | None,
    unsafe_no_sandbox: bool,
    questions_dir: Path | None,
) -> None:
    """Grade the optimizer in FILE against DRILL (see `quizapp drills list`)."""
    from quizapp.grader.sandbox import PrestartedSandbox, SandboxUnavailable

    code = _read_source(file)
    chosen_framework = framework or ("torch" if FRAMEWORK_IMPORT.search(code) else "numpy")
    try:
        # The sandbox starts first, so its interpreter and framework load while this process imports the
        # grader, reads the drill and builds the job.
        with PrestartedSandbox(
            device=device if chosen_framework == "torch" else "cpu",
            unsafe_no_sandbox=unsafe_no_sandbox,
            framework=chosen_framework,
        ) as sandbox:
            from quizapp.grader import grade

            spec = drill_spec(drill, questions_dir)
            verdict = grade(spec, code, framework=chosen_framework, seed=seed, device=device, sandbox=sandbox)
    except click.ClickException:
        raise
    except SandboxUnavailable as error:
        raise click.UsageError(str(error)) from error
    except ValueError as error:  # e.g. a framework the drill does not offer
        raise click.UsageError(str(error)) from error
    except Exception as error:  # the grader's own failure: one line, never a traceback
        raise CommandFailed(f"the grader failed: {type(error).__name__}: {error}") from error
    result = verdict.to_dict()
    click.echo(json.dumps(result, indent=2) if as_json else render_verdict(result))
    raise SystemExit(0 if result["verdict"] == "passed" else 1)


@click.group("drills")
def drills_group() -> None:
    """Browse the optimizer drills."""


@drills_group.command("list")
@QUESTIONS_DIR_OPTION
def list_drills_command(questions_dir: Path | None) -> None:
    """List every drill: slug, topic, title and the frameworks it accepts."""
    rows = [(s.slug, s.topic, s.title, ", ".join(s.frameworks)) for s in bank_drills(questions_dir).values()]
    click.echo(_table(("slug", "topic", "title", "frameworks"), rows))


def bank_drills(questions_dir: Path | None) -> dict[str, DrillSpec]:
    """The drills of the bank in `questions_dir` (default: the QUESTIONS_DIR setting); a bank whose drill
    files have errors is a one-line error pointing at `quizapp questions check`."""
    from quizapp.bank import DrillFileError, load_drills
    from quizapp.config import questions_dir as configured_questions_dir

    folder = questions_dir or Path(configured_questions_dir())
    try:
        return load_drills(folder)
    except DrillFileError as error:
        count = len(error.errors)
        raise CommandFailed(
            f"the drills in {folder} have {count} error(s), the first: {error.errors[0]}; "
            "run `quizapp questions check` for all"
        ) from error


def drill_spec(slug: str, questions_dir: Path | None) -> DrillSpec:
    """The drill named `slug` in the bank, or a usage error that says where to look."""
    drills = bank_drills(questions_dir)
    if slug not in drills:
        raise click.UsageError(
            f"There is no drill named {slug!r}. Run `quizapp drills list` to see the drills."
        )
    return drills[slug]


class CommandFailed(click.ClickException):
    """A one-line `Error: ...` with exit status 2: the command could not run on this input."""

    exit_code = 2


def _read_source(file: Path) -> str:
    """The file's text, reading at most one byte past the grader's size limit (so /dev/zero is fine too)."""
    from quizapp.grader.source_checks import MAX_CODE_BYTES

    try:
        with open(file, "rb") as handle:
            data = handle.read(MAX_CODE_BYTES + 1)
    except FileNotFoundError as error:
        raise CommandFailed(f"{file} does not exist") from error
    except IsADirectoryError as error:
        raise CommandFailed(f"{file} is a directory, not a Python file") from error
    except OSError as error:
        raise CommandFailed(f"cannot read {file}: {error.strerror or error}") from error
    if len(data) > MAX_CODE_BYTES:
        raise CommandFailed(f"{file} is over {MAX_CODE_BYTES} bytes, the most the grader accepts")
    if b"\0" in data:
        raise CommandFailed(f"{file} holds NUL bytes: it is a binary file, not Python source")
    try:
        return data.decode("utf-8-sig")  # a byte-order mark, as some editors write, is not code
    except UnicodeDecodeError as error:
        raise CommandFailed(f"{file} is not UTF-8 text") from error


def render_verdict(result: dict[str, Any]) -> str:
    """The verdict for a person: headline, per-case table, diagnosis with its card, output."""
    lines = [_headline(result)]
    if result.get("message"):
        lines.append(f"message: {result['message']}")
    if result.get("five_lines") is not None:
        lines.append(f"five lines: {'yes' if result['five_lines'] else 'no'}")
    cases = result.get("cases") or []
    if cases:
        lines += ["", _table(("case", "steps", "max rel err", "result"), [_case_row(c) for c in cases])]
        lines += [_divergence(case) for case in cases if case.get("first_divergence")]
    lines += _diagnosis(result.get("diagnosis"))
    for stream in ("stdout", "stderr"):
        lines += _output(stream, result.get(stream) or "")
    return "\n".join(lines)


def _headline(result: dict[str, Any]) -> str:
    verdict = str(result.get("verdict", "error")).upper()
    details = [f"convention: {result['convention']}"] if result.get("convention") else []
    details += [f"{result.get('framework')} on {result.get('device')}", f"seed {result.get('seed')}"]
    details.append(f"{result.get('elapsed_ms', 0) / 1000:.2f} s")
    return f"{result.get('drill')}: {verdict}  ({', '.join(details)})"


def _case_row(case: dict[str, Any]) -> tuple[str, ...]:
    error = case.get("max_rel_err")
    shown_error = "-" if error is None else f"{error:.2e}"
    outcome = "ok" if case.get("passed") else "FAIL"
    return (str(case.get("problem")), str(case.get("steps")), shown_error, outcome)


def _divergence(case: dict[str, Any]) -> str:
    point = case["first_divergence"]
    return (
        f"{case.get('problem')}: first divergence at step {point.get('step')}: "
        f"expected {_short(point.get('expected'))}, got {_short(point.get('got'))}"
    )


def _diagnosis(diagnosis: dict[str, Any] | None) -> list[str]:
    if not diagnosis:
        return []
    lines = ["", f"diagnosis: {diagnosis.get('title')} [{diagnosis.get('id')}]"]
    explanation = str(diagnosis.get("explanation", ""))
    lines += textwrap.wrap(explanation, width=100, initial_indent="  ", subsequent_indent="  ")
    if diagnosis.get("card"):
        lines.append(f"  review card: {diagnosis['card']}")
    return lines


def _output(stream: str, text: str) -> list[str]:
    if not text.strip():
        return []
    shown = text.rstrip("\n").splitlines()
    more = len(shown) - SHOWN_OUTPUT_LINES
    body = [f"  {line}" for line in shown[:SHOWN_OUTPUT_LINES]]
    return ["", f"{stream}:", *body, *([f"  … {more} more lines"] if more > 0 else [])]


def _short(value: Any, limit: int = 80) -> str:
    text = format_value(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )
