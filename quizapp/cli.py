"""The `quizapp` console script: Flask's own commands (run, shell, db ...) plus the project's.

Commands load when they run, and the app is created only by a command that needs it: `quizapp --help`,
`quizapp grade` and `quizapp drills list` never build the Flask app nor import the database layer.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from flask import Flask
    from flask.cli import FlaskGroup

# Each room's commands, as "module:attribute", imported only when the command is looked up. The app-free
# ones run without Flask: their modules import neither Flask nor the database layer.
APP_FREE_COMMANDS = {
    "drills": "quizapp.grader.cli:drills_group",
    "grade": "quizapp.grader.cli:grade_command",
}
PROJECT_COMMANDS = APP_FREE_COMMANDS | {
    "export": "quizapp.progress.cli:export_command",
    "import": "quizapp.progress.cli:import_command",
    "questions": "quizapp.questions.cli:questions_group",
    "cards": "quizapp.cards.cli:cards_group",
    "worker": "quizapp.jobs.cli:worker_command",
    "users": "quizapp.auth.cli:users_group",
}
# Commands that the app's extensions register on `app.cli`: found through the app, listed without it.
APP_EXTENSION_COMMANDS = {"db": "flask_migrate.cli:db"}


def _create_app() -> Flask:
    from quizapp import create_app
    from quizapp.extras import MissingExtra

    try:
        return create_app()
    except MissingExtra as error:  # a message to act on, not a traceback
        raise click.ClickException(str(error)) from error


class QuizappCLI(click.Group):
    """`quizapp`: an app-free command named first runs straight away, without importing Flask; anything
    else (help, options, app commands) goes to `flask_cli()`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(APP_FREE_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return project_command(name) if name in APP_FREE_COMMANDS else None

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any) -> Any:
        arguments = list(sys.argv[1:] if args is None else args)
        if arguments and arguments[0] in APP_FREE_COMMANDS:
            return super().main(arguments, prog_name, **extra)
        return flask_cli().main(arguments, prog_name, **extra)


@click.group(cls=QuizappCLI)
def cli() -> None:
    """Entry point of the `quizapp` console script."""


def flask_cli() -> FlaskGroup:
    """Flask's group (run, shell, routes, db, options such as --app) with every project command."""
    from flask.cli import FlaskGroup

    class QuizappFlaskGroup(FlaskGroup):
        """A FlaskGroup that finds the project's commands without creating the app.

        FlaskGroup builds the app to list or find any command; here only the commands that the app itself
        registers (db, extension plugins) take that path, and the help lists them without building it.
        """

        def list_commands(self, ctx: click.Context) -> list[str]:
            return sorted({*self.commands, *PROJECT_COMMANDS, *APP_EXTENSION_COMMANDS})

        def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
            if name in PROJECT_COMMANDS:
                return project_command(name)
            return super().get_command(ctx, name)

        def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
            """List every command; commands not yet loaded show their docstring's summary, read unimported."""
            names = self.list_commands(ctx)
            limit = formatter.width - 6 - max(len(name) for name in names)
            targets = PROJECT_COMMANDS | APP_EXTENSION_COMMANDS
            rows = [
                (name, command_summary(targets[name], limit))
                if name in targets
                else (name, self.commands[name].get_short_help_str(limit))
                for name in names
            ]
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    return QuizappFlaskGroup(create_app=_create_app, help="quizapp: flashcards and optimizer drills.")


def project_command(name: str) -> click.Command:
    module_name, attribute = PROJECT_COMMANDS[name].split(":")
    return getattr(import_module(module_name), attribute)


def command_summary(target: str, limit: int) -> str:
    """The one-line help click would show for `target` ("module:function"), from the source's docstring.

    Reading the docstring with `ast` lists a command without importing its module, whose room may pull in
    the database layer or the app's extensions.
    """
    module_name, function_name = target.split(":")
    top, *rest = module_name.split(".")
    spec = find_spec(top)  # a top-level package: found without importing it
    if spec is None or not spec.submodule_search_locations:
        return ""
    folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder.joinpath(*rest[:-1], f"{rest[-1]}.py") if rest else folder / "__init__.py"
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return ""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function_name:
            # The same text click derives from the docstring once the real command is loaded.
            return click.Command(function_name, help=ast.get_docstring(node)).get_short_help_str(limit)
    return ""


def register(app: Flask) -> None:
    """Attach the project's command groups to `app.cli`, so that `flask --app quizapp ...` sees them too."""
    for name in PROJECT_COMMANDS:
        app.cli.add_command(project_command(name), name)
