"""gunicorn calls `microservices.gateway.wsgi:create_app()` in each worker; nothing is built on import."""

from microservices.gateway.app import create_app

__all__ = ["create_app"]
