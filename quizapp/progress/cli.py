"""`quizapp export` and `quizapp import`: a person's history as JSON, or the deck as an Anki package.

Both run the same services as the progress pages (quizapp.services.history).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext

from quizapp.extensions import unit_of_work
from quizapp.models import User


def _find_user(username: str) -> User:
    """The account named `username`, found as the login form finds it (case-insensitive)."""
    from quizapp.services import accounts

    user = accounts.find_user(username)
    if user is None:
        raise click.UsageError(
            f"No user called {username!r}. `quizapp users list` lists them; "
            "`quizapp users create NAME` creates one."
        )
    return user


@click.command("export")
@click.option("--user", "username", help="Whose history (JSON) or progress tags (apkg). Required for json.")
@click.option("--format", "fmt", type=click.Choice(["json", "apkg"]), default="json", show_default=True)
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (json: stdout)."
)
@with_appcontext
def export_command(username: str | None, fmt: str, output: Path | None) -> None:
    """Export a person's history as JSON, or the question bank as an Anki .apkg deck."""
    from quizapp.services import history

    user = _find_user(username) if username else None
    if fmt == "json":
        if user is None:
            raise click.UsageError("--user is required for --format json.")
        text = json.dumps(history.export_history(user), indent=1, ensure_ascii=False) + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            with _writing(output):
                output.write_text(text, encoding="utf-8")
            click.echo(f"wrote {output}", err=True)
        return
    path = output or Path(f"quizapp-{username or 'deck'}.apkg")
    with _writing(path):
        count = history.write_apkg(path, user)
    click.echo(f"wrote {path} ({count} notes)", err=True)


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A file that cannot be written (no such folder, no permission, a full disk) is one line, exit 1."""
    try:
        yield
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None


@click.command("import")
@click.option("--user", "username", required=True, help="The (fresh) account that receives the history.")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def import_command(username: str, file: click.utils.LazyFile) -> None:
    """Import a JSON history made by `quizapp export` into a fresh account (all or nothing)."""
    from quizapp.services import history

    user = _find_user(username)
    try:
        # Bounded (/dev/zero, a huge file): one byte past the limit is enough for the refusal.
        data = history.read_history_file(file.read(history.IMPORT_MAX_BYTES + 1))
        with unit_of_work():
            counts = history.import_history(user, data)
    except history.HistoryImportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(history.import_summary(counts))
