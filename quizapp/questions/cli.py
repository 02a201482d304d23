"""`quizapp questions check` and `quizapp questions load`: validate the bank, and sync it into the database.

`check` needs no database: exit 0 with counts per topic and kind, or exit 1 listing `file:line: message`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from quizapp.bank.model import CARD_KINDS, Bank

DIR = click.Path(exists=True, file_okay=False, path_type=Path)


@click.group("questions", cls=AppGroup)
def questions_group() -> None:
    """Check the question bank in questions/ and load it into the database."""


@questions_group.command("check")
@click.option("--questions-dir", type=DIR, default=None, help="Default: the QUESTIONS_DIR setting.")
@click.option("--seeds-dir", type=DIR, default=None, help="Default: the SEEDS_DIR setting.")
@click.option(
    "--strict",
    is_flag=True,
    help="Fail when the seed sources cannot be verified because the seeds folder is missing (for CI).",
)
def check_command(questions_dir: Path | None, seeds_dir: Path | None, strict: bool) -> None:
    """Validate schema, slugs, sources, LaTeX, answers, drills and coverage; exit 1 on any error."""
    from quizapp.bank import checked_bank

    bank, problems = checked_bank(*_folders(questions_dir, seeds_dir), require_seeds=strict)
    for problem in problems:
        click.echo(str(problem), err=problem.is_error)
    errors = sum(problem.is_error for problem in problems)
    if errors:
        click.echo(f"{errors} error(s) in the question bank.", err=True)
        raise SystemExit(1)
    click.echo(_summary(bank))


@questions_group.command("load")
@click.option("--questions-dir", type=DIR, default=None, help="Default: the QUESTIONS_DIR setting.")
@click.option("--seeds-dir", type=DIR, default=None, help="Default: the SEEDS_DIR setting.")
def load_command(questions_dir: Path | None, seeds_dir: Path | None) -> None:
    """Check the bank, then create/update topics, cards and drills by slug; retire the ones removed."""
    from quizapp.extensions import unit_of_work
    from quizapp.services.bank_sync import BankCheckFailed, load_bank

    try:
        with unit_of_work():
            report = load_bank(*_folders(questions_dir, seeds_dir))
    except BankCheckFailed as failure:
        for error in failure.errors:
            click.echo(str(error), err=True)
        click.echo(f"{len(failure.errors)} error(s): nothing was loaded.", err=True)
        raise SystemExit(1) from None
    except SQLAlchemyError as error:
        reason = str(error.orig if getattr(error, "orig", None) else error).splitlines()[0]
        click.echo(f"The database refused the load ({reason}); run `quizapp db upgrade` first.", err=True)
        raise SystemExit(1) from None
    for warning in report.warnings:
        click.echo(str(warning), err=True)
    for line in report.lines():
        click.echo(line)
    click.echo("Question bank loaded." if report.changed else "Question bank already up to date.")


def _folders(questions_dir: Path | None, seeds_dir: Path | None) -> tuple[Path, Path]:
    config = current_app.config
    return questions_dir or Path(config["QUESTIONS_DIR"]), seeds_dir or Path(config["SEEDS_DIR"])


def _summary(bank: Bank) -> str:
    """A table: one row per topic with its cards per kind, then the totals."""
    topics = bank.topics
    width = max((len(topic.slug) for topic in topics), default=5)
    header = f"{'topic':<{width}}  " + "  ".join(f"{kind:>8}" for kind in CARD_KINDS) + "     total"
    rows = [header]
    totals: Counter[str] = Counter()
    for topic in topics:
        kinds = Counter(card.kind for card in topic.cards)
        totals.update(kinds)
        cells = "  ".join(f"{kinds[kind]:>8}" for kind in CARD_KINDS)
        rows.append(f"{topic.slug:<{width}}  {cells}  {sum(kinds.values()):>8}")
    cells = "  ".join(f"{totals[kind]:>8}" for kind in CARD_KINDS)
    rows.append(f"{'total':<{width}}  {cells}  {sum(totals.values()):>8}")
    rows.append(
        f"{len(bank.drills)} drills, {len(bank.coverage)} coverage items. The question bank is valid."
    )
    return "\n".join(rows)
