"""gunicorn calls `microservices.results.wsgi:create_app()` in each worker; nothing is built on import."""

from microservices.results.app import create_app

__all__ = ["create_app"]
