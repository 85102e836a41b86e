"""The pooled client every service calls others with, over real HTTP on loopback."""

from __future__ import annotations

from flask import Flask, request

from shared.http.client import Dependency, ServiceClient, make_http_client
from tests.support.loopback import LoopbackServer


def cookie_setting_app() -> Flask:
    """Answers each call with a Set-Cookie and the Cookie header it received."""
    app = Flask("cookie-setter")

    @app.get("/whoami/<user>")
    def whoami(user: str):
        response = app.make_response({"cookie_received": request.headers.get("Cookie")})
        response.set_cookie("session", user)
        return response

    return app


def test_a_cookie_set_on_one_call_never_travels_with_the_next():
    server = LoopbackServer(cookie_setting_app())
    try:
        with make_http_client() as http:
            client = ServiceClient(Dependency("uploads", server.url), http)
            first = client.call("GET", "/whoami/alice")
            second = client.call("GET", "/whoami/bob")
    finally:
        server.close()

    assert first.headers["Set-Cookie"].startswith("session=alice")  # the server did set one
    assert second.json() == {"cookie_received": None}
    assert not http.cookies
