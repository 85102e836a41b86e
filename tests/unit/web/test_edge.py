"""The edge serves the page like a CDN: fingerprinted immutable assets, a revalidated page."""

from __future__ import annotations

import gzip
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shared.web.edge import PAGE_CSP, create_edge_blueprint

FINGERPRINTED = re.compile(
    r"^/assets/(?P<stem>[\w-]+)\.(?P<hash>[0-9a-f]{10})\.(?P<ext>\w+)$"
)
BIG_CSS = "body { color: #123456; }\n" * 200


class _References(HTMLParser):
    """Collects every src/href the page points at."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [
            value for name, value in attrs if name in ("src", "href") and value
        ]


def _client(static_dir: Path | None = None) -> FlaskClient:
    """Return a client for an app holding only the edge blueprint."""
    app = Flask(__name__)
    app.register_blueprint(create_edge_blueprint(static_dir))
    return app.test_client()


def _asset_urls(client: FlaskClient) -> list[str]:
    """Return the asset URLs the served page references."""
    parser = _References()
    parser.feed(client.get("/").get_data(as_text=True))
    return [url for url in parser.urls if url.startswith("/assets/")]


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    """An app serving the real page."""
    return _client()


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    """A small static dir: a big stylesheet (compressible) and a tiny script."""
    (tmp_path / "index.html").write_text(
        '<link rel="stylesheet" href="app.css"><script src="./app.js"></script>'
        '<a href="https://example.org/app.css">elsewhere</a>',
        encoding="utf-8",
    )
    (tmp_path / "app.css").write_text(BIG_CSS, encoding="utf-8")
    (tmp_path / "app.js").write_text("console.log(1);\n", encoding="utf-8")
    return tmp_path


def test_page_references_only_fingerprinted_assets_that_exist(
    client: FlaskClient,
) -> None:
    parser = _References()
    parser.feed(client.get("/").get_data(as_text=True))
    local = [url for url in parser.urls if not url.startswith(("#", "https:", "http:"))]
    served = set()
    for url in local:
        match = FINGERPRINTED.match(url)
        assert match, f"not fingerprinted: {url}"
        served.add(f"{match['stem']}.{match['ext']}")
        response = client.get(url)
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest()[:10] == match["hash"]
    assert {"app.js", "app.css"} <= served


def test_rewriting_leaves_other_urls_alone(site: Path) -> None:
    html = _client(site).get("/").get_data(as_text=True)
    assert 'href="https://example.org/app.css"' in html
    assert re.search(r'src="/assets/app\.[0-9a-f]{10}\.js"', html)


@pytest.mark.parametrize(
    ("ext", "content_type"),
    [("js", "text/javascript"), ("css", "text/css"), ("svg", "image/svg+xml")],
)
def test_assets_are_immutable_and_typed(
    client: FlaskClient, ext: str, content_type: str
) -> None:
    (url,) = [u for u in _asset_urls(client) if u.endswith("." + ext)][:1]
    response = client.get(url)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.mimetype == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    etag, weak = response.get_etag()
    assert etag and not weak


def test_page_revalidates_with_etag(client: FlaskClient) -> None:
    first = client.get("/")
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-cache"
    etag, weak = first.get_etag()
    assert etag and not weak
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    other = client.get("/", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_asset_answers_304_too(client: FlaskClient) -> None:
    url = _asset_urls(client)[0]
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_gzip_when_asked(client: FlaskClient) -> None:
    plain = client.get("/")
    packed = client.get("/", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] != plain.headers["ETag"]
    # The identity tag must not validate the gzip representation, nor the reverse.
    revalidate = {"Accept-Encoding": "gzip", "If-None-Match": plain.headers["ETag"]}
    assert client.get("/", headers=revalidate).status_code == 200


@pytest.mark.parametrize("accept", [None, "gzip;q=0", "identity", "gzip;q=0, br;q=0"])
def test_identity_when_compression_not_accepted(
    client: FlaskClient, accept: str | None
) -> None:
    headers = {"Accept-Encoding": accept} if accept else {}
    response = client.get("/", headers=headers)
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.data.lstrip().startswith(b"<!doctype html>")


def test_brotli_preferred_when_available(client: FlaskClient) -> None:
    brotli = pytest.importorskip("brotli")
    response = client.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.data) == client.get("/").data


def test_tiny_bodies_are_not_compressed(site: Path) -> None:
    client = _client(site)
    urls = _asset_urls(client)
    (js,) = [u for u in urls if u.endswith(".js")]
    (css,) = [u for u in urls if u.endswith(".css")]
    assert (
        "Content-Encoding"
        not in client.get(js, headers={"Accept-Encoding": "gzip"}).headers
    )
    big = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert big.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(big.data).decode() == BIG_CSS


@pytest.mark.parametrize(
    "path",
    [
        "/assets/../edge.py",
        "/assets/%2e%2e/edge.py",
        "/assets/..%2fedge.py",
        "/assets/app.js",
        "/assets/app.0123456789.js",
        "/assets/nope.css",
        "/assets/",
    ],
)
def test_unknown_or_escaping_paths_are_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert b"import" not in response.data  # nothing of a Python file leaks


def test_asset_404_is_problem_json(client: FlaskClient) -> None:
    response = client.get("/assets/nope.0123456789.css")
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert {key: body[key] for key in ("type", "title", "status")} == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
    }


def test_old_fingerprint_is_404_after_a_change(site: Path) -> None:
    old_url = next(u for u in _asset_urls(_client(site)) if u.endswith(".js"))
    (site / "app.js").write_text("console.log(2);\n", encoding="utf-8")
    client = _client(site)
    new_url = next(u for u in _asset_urls(client) if u.endswith(".js"))
    assert new_url != old_url
    assert client.get(old_url).status_code == 404
    assert client.get(new_url).status_code == 200


def test_files_are_read_once_at_creation(site: Path) -> None:
    client = _client(site)
    before = client.get("/").data
    (site / "index.html").write_text("changed", encoding="utf-8")
    assert client.get("/").data == before


def test_page_security_headers(client: FlaskClient) -> None:
    headers = client.get("/").headers
    assert headers["Content-Security-Policy"] == PAGE_CSP
    assert "script-src 'self'" in PAGE_CSP and "frame-ancestors 'none'" in PAGE_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_head_has_headers_but_no_body(
    client: FlaskClient, encoding: str | None
) -> None:
    headers = {"Accept-Encoding": encoding} if encoding else {}
    for url in ["/", _asset_urls(client)[0]]:
        get, head = client.get(url, headers=headers), client.head(url, headers=headers)
        assert head.status_code == 200 and head.data == b""
        assert head.headers["ETag"] == get.headers["ETag"]
        assert head.headers["Content-Length"] == str(len(get.data))


def test_page_has_no_inline_script_or_style(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), (
        "inline <script> would break the CSP"
    )
    assert (
        "<style" not in html
        and " style=" not in html
        and not re.search(r"\son\w+=", html)
    )
