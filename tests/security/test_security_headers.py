"""Every response carries the security headers: pages, JSON, errors, redirects and static files alike."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.accounts import login, make_user
from support.review_cards import make_bank

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _get_paths(app: Flask) -> list[str]:
    """Every GET route of the app, with each URL variable filled in (an unknown value is fine: a 404 must
    carry the headers too)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        # "1" reads as an id and as a slug or topic (one that does not exist: a 404 page).
        paths.append(rule.build(dict.fromkeys(rule.arguments, "1"), append_unknown=False)[1])
    return sorted(set(paths))


def _assert_secured(response, path: str) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (path, name)
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'", path
    assert directives["script-src"].startswith("'self' 'nonce-"), path
    assert "unsafe" not in directives["script-src"], path
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'", path


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_every_get_route_answers_with_the_security_headers(
    app: Flask, client: FlaskClient, logged_in: bool
) -> None:
    make_bank()
    if logged_in:
        login(client, make_user())
    paths = _get_paths(app)
    assert "/healthz" in paths and "/review" in paths and "/api/topics" in paths
    for path in [*paths, "/no-such-page", "/api/no-such-thing", "/static/app.css", "/static/drills.js"]:
        _assert_secured(client.get(path), path)


def test_posts_errors_and_redirects_carry_them_too(client: FlaskClient) -> None:
    for response in (
        client.post("/auth/login", data={"username": "x", "password": "y"}),
        client.post("/auth/logout"),
        client.post("/api/reviews", json={}),
        client.get("/auth/logout"),
    ):
        _assert_secured(response, response.request.path)


def test_the_drill_pages_import_map_carries_the_responses_nonce(app: Flask, client: FlaskClient) -> None:
    app.test_cli_runner().invoke(args=["questions", "load"])
    login(client, make_user())
    response = client.get("/drills/adam")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    page = response.get_data(as_text=True)
    assert f'<script type="importmap" nonce="{nonce}">' in page
    # Every other script is a file from this site or a JSON data block, which browsers never run.
    inline = [tag for tag in re.findall(r"<script[^>]*>", page) if " src=" not in tag]
    assert inline == [
        f'<script type="importmap" nonce="{nonce}">',
        '<script type="application/json" id="drill-starters">',
    ]
