"""`quizapp users create NAME` and `quizapp users list`: accounts from the command line.

An account made here is the same as one made on the registration page: the same accounts service checks
the name and the password by the same rules. `quizapp export --user` and `quizapp import --user` need one.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from quizapp.services.accounts import PASSWORD_MAX

# Read at most this much from standard input: enough to see that a password is too long, and no more.
STDIN_LIMIT = PASSWORD_MAX + 3


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Accounts: create one (e.g. for `quizapp export`), list them."""


@users_group.command("create")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (one line) instead of asking for it twice.",
)
def create_command(username: str, password_stdin: bool) -> None:
    """Create the account USERNAME with the registration page's rules; exit 1 if the name is taken or the
    name or password is refused. The password is asked for twice, never shown."""
    from quizapp.extensions import db
    from quizapp.services import accounts

    password = _stdin_password() if password_stdin else _prompted_password()
    try:
        user = accounts.register_user(username, password)
    except accounts.AccountError as refused:
        problems = "".join(f"\n  {field}: {message}" for field, message in refused.errors.items())
        raise click.ClickException(f"The account was not created:{problems}") from None
    db.session.commit()
    click.echo(f"Created the account {user.username!r}; it logs in at /auth/login.")


def _prompted_password() -> str:
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def _stdin_password() -> str:
    """The password alone on one line of standard input (its line ending dropped); more lines are refused."""
    text = sys.stdin.read(STDIN_LIMIT)
    password = text.removesuffix("\n").removesuffix("\r")
    if "\n" in password or "\r" in password:
        raise click.UsageError("--password-stdin reads one line: send the password alone on it.")
    return password


@users_group.command("list")
def list_command() -> None:
    """List the accounts: username and the day each was created (UTC)."""
    from quizapp.services import accounts

    users = accounts.list_users()
    for user in users:
        click.echo(f"{user.username}\t{user.created_at:%Y-%m-%d}")
    if not users:
        click.echo("No accounts yet; `quizapp users create NAME` creates one.", err=True)
