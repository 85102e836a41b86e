"""Two Flask apps with nothing in them, for bench_hop.py: the cost of a hop itself, without the product's work.

`create_leaf()` answers GET /v1/items/<item_id> with a small JSON document (the size of an image's metadata).
`create_relay()` answers the same route by fetching the document from the leaf through the product's own
ServiceClient (one pooled httpx.Client per process, timeouts, breaker, retries for safe calls): exactly what the
gateway does on each call, minus the token check, the database and the metrics of the real services.
"""

from __future__ import annotations

import os

from flask import Flask

from shared.http.client import Dependency, ServiceClient, make_http_client

DOCUMENT = {"id": "", "status": "done", "content_type": "image/jpeg", "width": 512, "height": 512,
            "created_at": "2026-11-28T00:00:00Z", "tags": [{"label": "espresso", "confidence": 0.957}]}


def create_leaf() -> Flask:
    """The service end of a hop: a route that answers JSON from memory."""
    app = Flask("twintag-hop-leaf")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/v1/items/<item_id>")
    def item(item_id: str):
        return {**DOCUMENT, "id": item_id}

    return app


def create_relay() -> Flask:
    """The gateway end of a hop: the same route, answered by calling the leaf (TWINTAG_HOP_LEAF_URL)."""
    app = Flask("twintag-hop-relay")
    leaf = ServiceClient(Dependency("leaf", os.environ["TWINTAG_HOP_LEAF_URL"]), make_http_client())

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/v1/items/<item_id>")
    def item(item_id: str):
        return leaf.call("GET", f"/v1/items/{item_id}").json()  # decoded and encoded again, as the gateway does

    return app
