"""The production entry point: ``gunicorn wsgi:app`` (SHOUHU_ENV=production); ``flask --app wsgi`` elsewhere."""

from app import create_app

app = create_app()
