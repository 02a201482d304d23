"""The `quizapp` console script: Flask's own commands (run, shell, db ...) plus the project's.

Each room adds its commands in its own module; `register` attaches them to the app's CLI.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def _create_app() -> Flask:
    from quizapp import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, help="quizapp: flashcards and optimizer drills.")
def cli() -> None:
    """Entry point of the `quizapp` console script."""


def register(app: Flask) -> None:
    """Attach the project's command groups to `app.cli` (so both `quizapp` and `flask` see them)."""
    for command in _commands():
        app.cli.add_command(command)


def _commands() -> list[click.Command]:
    # Each room's command group is imported here, lazily, so `quizapp --help` stays fast.
    from quizapp.cards.cli import cards_group
    from quizapp.grader.cli import drills_group, grade_command
    from quizapp.jobs.cli import worker_command
    from quizapp.progress.cli import export_command, import_command
    from quizapp.questions.cli import questions_group

    return [
        worker_command,
        export_command,
        import_command,
        grade_command,
        drills_group,
        questions_group,
        cards_group,
    ]
