"""gunicorn calls `microservices.uploads.wsgi:create_app()` in each worker; nothing is built on import."""

from microservices.uploads.app import create_app

__all__ = ["create_app"]
