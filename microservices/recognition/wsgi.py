"""gunicorn calls `microservices.recognition.wsgi:create_app()` in each worker; nothing is built on import."""

from microservices.recognition.app import create_app

__all__ = ["create_app"]
