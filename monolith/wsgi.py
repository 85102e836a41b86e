"""The WSGI entry point: gunicorn calls `monolith.wsgi:create_app()` in each worker; nothing is built on import."""

from monolith.app import create_app

__all__ = ["create_app"]
