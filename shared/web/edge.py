"""The edge: serves the web page the way a CDN (CloudFront in the AWS design) would."""

from __future__ import annotations

import gzip
import hashlib
import importlib
import json
import mimetypes
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import Accept

PAGE_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
# CloudFront's own threshold: below ~1 kB the compression framing eats the savings.
MIN_COMPRESS_BYTES = 1000
FINGERPRINT_HEX = 10
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
_COMPRESSIBLE = ("text/", "image/svg+xml", "application/json")
# src="app.js", href="./app.css" or href="/favicon.svg": a bare file name of the static dir.
_REFERENCE = re.compile(r'(?P<attr>\b(?:src|href)=")(?:\./|/)?(?P<name>[^"/?#]+)"')
_PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_ASSET_HEADERS = {"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}

Compressor = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Representation:
    """One encoding of a resource's bytes, with its own strong entity tag (unquoted)."""

    body: bytes
    etag: str
    encoding: str


@dataclass(frozen=True)
class Resource:
    """Everything needed to answer for one URL, computed once at startup."""

    content_type: str
    headers: Mapping[str, str]
    representations: Mapping[str, Representation]

    def negotiate(self, accept: Accept) -> Representation:
        """Pick the encoding the client likes best; identity when it accepts none (or q=0)."""
        encoded = [name for name in self.representations if name != "identity"]
        return self.representations[accept.best_match(encoded) or "identity"]


def _content_type(name: str) -> str:
    """Return the Content-Type for a file name, explicit for the web's own types."""
    suffix = Path(name).suffix.lower()
    return (
        _TYPES.get(suffix)
        or mimetypes.guess_type(name)[0]
        or "application/octet-stream"
    )


def _compressors() -> dict[str, Compressor]:
    """Return the available encoders, preferred first; brotli only when its module is installed."""
    found: dict[str, Compressor] = {}
    try:
        brotli = importlib.import_module("brotli")
    except ImportError:
        pass
    else:
        found["br"] = lambda data: brotli.compress(data, quality=11)
    # mtime=0 keeps the gzip bytes (and so their ETag) identical across restarts.
    found["gzip"] = lambda data: gzip.compress(data, compresslevel=9, mtime=0)
    return found


def _resource(body: bytes, content_type: str, headers: Mapping[str, str]) -> Resource:
    """Precompress a body once; keep an encoding only when it is actually smaller."""
    tag = hashlib.sha256(body).hexdigest()[:20]
    reps = {"identity": Representation(body, tag, "identity")}
    if len(body) >= MIN_COMPRESS_BYTES and content_type.startswith(_COMPRESSIBLE):
        for encoding, compress in _compressors().items():
            packed = compress(body)
            if len(packed) < len(body):
                # A distinct tag per encoding: the bytes differ, so a strong tag must too.
                reps[encoding] = Representation(packed, f"{tag}-{encoding}", encoding)
    ordered = {name: reps[name] for name in ("br", "gzip", "identity") if name in reps}
    return Resource(content_type, dict(headers), ordered)


def _fingerprinted(name: str, body: bytes) -> str:
    """Return app.js -> app.<first 10 hex of sha256>.js."""
    path = Path(name)
    return (
        f"{path.stem}.{hashlib.sha256(body).hexdigest()[:FINGERPRINT_HEX]}{path.suffix}"
    )


def _rewrite(html: str, names: Mapping[str, str]) -> str:
    """Point the page's src/href attributes at the fingerprinted asset URLs."""

    def replace(match: re.Match[str]) -> str:
        fingerprinted = names.get(match["name"])
        if fingerprinted is None:
            return match[0]
        return f'{match["attr"]}/assets/{fingerprinted}"'

    return _REFERENCE.sub(replace, html)


def _load(static_dir: Path) -> tuple[Resource, dict[str, Resource]]:
    """Read the static dir once: the page, and the assets keyed by fingerprinted name."""
    names: dict[str, str] = {}
    assets: dict[str, Resource] = {}
    for path in sorted(static_dir.iterdir()):
        if not path.is_file() or path.name == "index.html" or path.name.startswith("."):
            continue
        body = path.read_bytes()
        names[path.name] = _fingerprinted(path.name, body)
        assets[names[path.name]] = _resource(
            body, _content_type(path.name), _ASSET_HEADERS
        )
    html = _rewrite((static_dir / "index.html").read_text(encoding="utf-8"), names)
    page = _resource(html.encode("utf-8"), _TYPES[".html"], _PAGE_HEADERS)
    return page, assets


def _respond(resource: Resource) -> Response:
    """Answer GET/HEAD with the negotiated representation, or 304 when the client has it."""
    rep = resource.negotiate(request.accept_encodings)
    response = current_app.response_class(rep.body, content_type=resource.content_type)
    response.headers.update(resource.headers)
    if rep.encoding != "identity":
        response.headers["Content-Encoding"] = rep.encoding
    if len(resource.representations) > 1:
        response.vary.add("Accept-Encoding")
    response.set_etag(rep.etag)
    # Werkzeug compares If-None-Match weakly (as RFC 9110 says), turns the answer into
    # a 304 and drops the body; HEAD loses its body later, in the WSGI layer.
    return response.make_conditional(request)


def _not_found() -> Response:
    """Return a problem+json 404 that no cache keeps: the name may be valid after a deploy."""
    problem = {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No such asset. The page may be out of date: reload it.",
    }
    response = current_app.response_class(
        json.dumps(problem), status=404, content_type="application/problem+json"
    )
    response.headers.update(
        {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    )
    return response


def create_edge_blueprint(static_dir: Path | None = None) -> Blueprint:
    """Build the edge blueprint: the page at / and its fingerprinted assets under /assets/."""
    page, assets = _load(static_dir or Path(__file__).with_name("static"))
    edge = Blueprint("edge", __name__)

    @edge.get("/")
    def index() -> Response:
        """Serve the page; it revalidates on every load so new asset names show up at once."""
        return _respond(page)

    @edge.get("/assets/<path:name>")
    def asset(name: str) -> Response:
        """Serve one asset by its fingerprinted name; the lookup is in memory, so no traversal."""
        resource = assets.get(name)
        return _not_found() if resource is None else _respond(resource)

    return edge
