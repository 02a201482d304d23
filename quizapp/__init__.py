"""quizapp: spaced-repetition flashcards and auto-graded optimizer drills for ML interviews.

`create_app` is the only place that wires extensions, blueprints, template helpers, error handlers and CLI
commands together.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    # Flask and the app's modules load here, not at package import: `quizapp grade` and the pure
    # `quizapp.srs` / `quizapp.grader` packages import `quizapp` without ever building an app.
    from flask import Flask

    from quizapp.config import Config

    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(Config(app.instance_path))
    if config:
        app.config.update(config)
    register_monitoring(app)
    register_input_guards(app)
    require_configured_extras(app.config)
    register_extensions(app)
    register_security_headers(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_monitoring(app: Flask) -> None:
    """First, so that its request clock and id wrap every other hook (README, "Operating it")."""
    from quizapp import monitoring

    monitoring.init_app(app)


def register_input_guards(app: Flask) -> None:
    from quizapp import input_guards

    input_guards.init_app(app)


def require_configured_extras(config: Mapping[str, Any]) -> None:
    """A configured service whose client comes with an optional extra that is not installed stops the start
    with a message naming the extra (MissingExtra), rather than failing later inside SQLAlchemy or RQ."""
    from quizapp.extras import require_extra

    if str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        require_extra("postgres")
    if config.get("QUEUE_URL"):
        require_extra("queue")


def register_extensions(app: Flask) -> None:
    from quizapp import models  # noqa: F401  (the tables, before Flask-Migrate looks for them)
    from quizapp.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    watch_idle_connections(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    from quizapp.auth.logins import load_user
    from quizapp.auth.views import unauthorized

    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


def watch_idle_connections(app: Flask) -> None:
    from quizapp.db_connections import ping_idle_connections
    from quizapp.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            ping_idle_connections(engine, float(app.config["DATABASE_PING_IDLE_SECONDS"]))


def register_security_headers(app: Flask) -> None:
    from quizapp import security_headers

    security_headers.init_app(app)


def register_blueprints(app: Flask) -> None:
    from quizapp.pages import bp as pages_bp

    app.register_blueprint(pages_bp)

    from quizapp.auth import bp as auth_bp

    app.register_blueprint(auth_bp)

    from quizapp.api.solutions import bp as solutions_api_bp
    from quizapp.api.submissions import bp as submissions_api_bp
    from quizapp.drills import bp as drills_bp

    app.register_blueprint(drills_bp)
    app.register_blueprint(submissions_api_bp)
    app.register_blueprint(solutions_api_bp)

    from quizapp.progress import bp as progress_bp
    from quizapp.progress.api import bp as progress_api_bp

    app.register_blueprint(progress_bp)
    app.register_blueprint(progress_api_bp)

    from quizapp.api.review import bp as review_api_bp
    from quizapp.review import bp as review_bp

    app.register_blueprint(review_bp)
    app.register_blueprint(review_api_bp)

    from quizapp.api.cards import bp as cards_api_bp
    from quizapp.cards import bp as cards_bp

    app.register_blueprint(cards_bp)
    app.register_blueprint(cards_api_bp)

    from quizapp.api.interviews import bp as interviews_api_bp
    from quizapp.interview import bp as interview_bp

    app.register_blueprint(interview_bp)
    app.register_blueprint(interviews_api_bp)

    from quizapp.api.spec import bp as api_spec_bp

    app.register_blueprint(api_spec_bp)

    if app.config.get("BENCH_FLOOR_ROUTE"):
        from quizapp.api.rating_floor import bp as rating_floor_bp

        app.register_blueprint(rating_floor_bp)


def register_template_helpers(app: Flask) -> None:
    """The filters and globals every template may use: `prose` (card and drill texts through the one
    escaping light-markup renderer), `drl_value` (grader numbers) and `nav_links` (the navigation bar)."""
    from quizapp.grader.verdict import format_value
    from quizapp.pages.views import NAV
    from quizapp.prose import render_prose

    app.add_template_filter(render_prose, "prose")
    app.add_template_filter(functools.partial(format_value, limit=6), "drl_value")  # vectors cut after six
    app.add_template_global(NAV, "nav_links")


def register_errorhandlers(app: Flask) -> None:
    from quizapp.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from quizapp.cli import register

    register(app)
