"""Account pages. Each view parses its form, calls one function of `quizapp.services.accounts`, renders."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_url
from werkzeug.wrappers import Response as BaseResponse

from quizapp.auth import bp
from quizapp.auth.forms import LoginForm, PasswordForm, RegisterForm, SettingsForm, show_errors
from quizapp.auth.logins import begin_login, end_login
from quizapp.auth.redirects import safe_next_path
from quizapp.errors import NOT_LOGGED_IN, error_response, wants_json
from quizapp.extensions import limiter, unit_of_work
from quizapp.services import accounts

# Per client address: enough for typos, too few for guessing passwords.
LOGIN_RATE_LIMIT = "10 per minute"
REGISTER_RATE_LIMIT = "20 per hour"
TOO_MANY_LOGINS = "Too many login attempts from your address. Wait a minute, then try again."
TOO_MANY_REGISTRATIONS = "Too many new accounts from your address. Try again in an hour."


def unauthorized() -> BaseResponse | tuple[object, int]:
    """Flask-Login's answer to an anonymous request for a page that needs a login (the app factory installs
    it): JSON 401 when JSON is wanted; else the login page, which comes back here afterwards."""
    if wants_json():
        return error_response(401, NOT_LOGGED_IN)
    flash("Please log in to open that page.", "info")
    # After logging in we can only replay a GET; a form POST would arrive as a GET and fail.
    next_url = request.url if request.method == "GET" else None
    return redirect(login_url("auth.login", next_url=next_url))


def _home() -> str:
    return url_for("pages.index")  # the Today page once signed in


def _after_login() -> BaseResponse:
    return redirect(safe_next_path(request.args.get("next")) or _home())


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(REGISTER_RATE_LIMIT, methods=["POST"], error_message=TOO_MANY_REGISTRATIONS)
def register() -> str | BaseResponse:
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user = accounts.register_user(
                    form.username.data, form.password.data, timezone=form.timezone.data
                )
                begin_login(user)
        except accounts.AccountError as error:
            show_errors(form, error)
        else:
            flash(f"Welcome, {user.username}! Your account is ready.", "success")
            return redirect(url_for("pages.onboarding"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_RATE_LIMIT, methods=["POST"], error_message=TOO_MANY_LOGINS)
def login() -> str | BaseResponse:
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is not None:
            with unit_of_work():
                begin_login(user, remember=bool(form.remember.data))
            flash(f"Logged in as {user.username}.", "success")
            return _after_login()
        form.password.errors = ["Wrong username or password."]
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> BaseResponse:
    if current_user.is_authenticated:
        with unit_of_work():
            end_login(current_user)
        flash("You are logged out.", "info")
    return redirect(url_for("pages.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> str | BaseResponse:
    form = SettingsForm(obj=current_user)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                accounts.update_settings(current_user, form.to_settings())
        except accounts.AccountError as error:
            show_errors(form, error)
        else:
            flash("Settings saved.", "success")
            return redirect(url_for("auth.settings"))
    return _settings_page(form, PasswordForm(formdata=None))


@bp.post("/password")
@login_required
def change_password() -> str | BaseResponse:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                accounts.change_password(current_user, form.current.data, form.password.data)
        except accounts.AccountError as error:
            show_errors(form, error)
        else:
            flash("Password changed.", "success")
            return redirect(url_for("auth.settings"))
    return _settings_page(SettingsForm(obj=current_user, formdata=None), form)


def _settings_page(settings_form: SettingsForm, password_form: PasswordForm) -> str:
    return render_template(
        "auth/settings.html",
        form=settings_form,
        password_form=password_form,
        timezone_names=accounts.timezone_names(),
    )
