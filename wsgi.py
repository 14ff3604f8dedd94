"""WSGI entry point: `gunicorn wsgi:app` and `flask --app wsgi ...`."""
from app import create_app, settle_process

app = create_app()
settle_process()
