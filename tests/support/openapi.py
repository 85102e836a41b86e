"""What the schemathesis tests of tests/contracts/ share: configuration, late-bound apps, route listings."""

from __future__ import annotations

import re

import schemathesis

from tests.support.image_strategies import FORMATS, MEDIA_TYPES, valid_images

VERBS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Shared by every schemathesis test (the public API and each service): fixed seed, deterministic generation,
# no generated Authorization (the tests send real tokens), and these statuses count as rejecting bad input.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
CONFIG = schemathesis.Config.from_dict({
    "seed": 20240601,
    "generation": {"deterministic": True, "with-security-parameters": False, "allow-extra-parameters": False},
    "checks": {"negative_data_rejection": {"expected-statuses": REJECTED}},
})


def register_image_media_types() -> None:
    """Upload bodies name these types in their `encoding`: send real images of each, not random bytes."""
    for fmt in FORMATS:
        schemathesis.openapi.media_type(MEDIA_TYPES[fmt], valid_images(fmt))


class LateApp:
    """A WSGI app forwarding to a service app that a module fixture builds later in a temp dir."""

    def __init__(self):
        self.target = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


def map_query(context, query):
    """JSON Schema counts 5.0 as an integer, but a query string spells that limit 5."""
    limit = (query or {}).get("limit")
    return {**query, "limit": int(limit)} if isinstance(limit, float) and limit.is_integer() else query


def flask_routes(app) -> set[tuple[str, str]]:
    """(method, /path/{param}) for every Flask rule, HEAD and OPTIONS left out."""
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(method.lower(), path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def documented(document: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items() for method in item if method in VERBS}
