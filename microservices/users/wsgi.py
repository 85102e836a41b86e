"""gunicorn calls `microservices.users.wsgi:create_app()` in each worker; nothing is built on import."""

from microservices.users.app import create_app

__all__ = ["create_app"]
