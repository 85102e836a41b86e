"""Fixtures shared by every test layer."""

pytest_plugins = ["tests.support.postgres", "tests.support.app", "tests.support.live"]
