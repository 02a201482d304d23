"""`quizapp cards reports [--open] [--resolve ID]`: read the problems learners reported, and close them.

Each report is listed with the card's current text, so a maintainer can judge it without opening the YAML.
"""

from __future__ import annotations

import textwrap

import click
from flask.cli import AppGroup

from quizapp.models import CardReport


@click.group("cards", cls=AppGroup)
def cards_group() -> None:
    """Cards in the database: learners' problem reports."""


@cards_group.command("reports")
@click.option("--open", "open_only", is_flag=True, help="Only reports not resolved yet.")
@click.option(
    "--resolve",
    "resolve_id",
    # An id fits the column: a larger one is a usage error, not an OverflowError from the driver.
    type=click.IntRange(1, 2**31 - 1),
    default=None,
    metavar="ID",
    help="Close report ID.",
)
def reports_command(open_only: bool, resolve_id: int | None) -> None:
    """List problem reports with their card's text, or close one with --resolve ID (exit 2 if unknown)."""
    from quizapp.extensions import unit_of_work
    from quizapp.services.card_reports import card_version, list_reports, resolve_report
    from quizapp.services.errors import ServiceError

    if resolve_id is not None:
        try:
            with unit_of_work():
                report, changed = resolve_report(resolve_id)
        except ServiceError as error:
            click.echo(f"{error.message} List them with `quizapp cards reports`.", err=True)
            raise SystemExit(2) from None
        click.echo(
            f"Report #{report.id} on {report.card_slug} "
            + ("resolved." if changed else "was already resolved.")
        )
        return
    reports = list_reports(open_only=open_only)
    for report in reports:
        click.echo(_describe(report, card_version(report.card)))
    what = "open reports" if open_only else "reports"
    click.echo(f"{len(reports)} {what}." if reports else f"No {what}.")


def _describe(report: CardReport, current_version: str) -> str:
    card = report.card
    changed = "" if report.card_version == current_version else " (the card has changed since)"
    lines = [
        f"#{report.id} [{report.status}] {card.slug} by {report.user.username}, "
        f"{report.created_at:%Y-%m-%d %H:%M} UTC, version {report.card_version}{changed}",
        "  reason: " + _indented(report.reason),
        "  front:  " + _indented(card.front),
        "  back:   " + _indented(card.back),
        f"  source: {card.source_seed} — {card.source_section}",
        "",
    ]
    return "\n".join(lines)


def _indented(text: str) -> str:
    return textwrap.indent(text.strip(), " " * 10).lstrip()
