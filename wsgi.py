"""WSGI entry point for production servers: `gunicorn wsgi:app` (configuration comes from the environment)."""

from quizapp import create_app

app = create_app()
