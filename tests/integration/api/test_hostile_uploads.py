"""Rows 21-25 of RELIABILITY.md: oversize bodies, bombs, disguised files, hostile names, EXIF."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from monolith.app import create_app
from monolith.bootstrap import prepare
from shared.service.app import MULTIPART_OVERHEAD
from tests.integration.api.test_images import upload
from tests.support.app import AuthActions
from tests.support.images import encode, solid


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_declared_size(width: int, height: int) -> bytes:
    """A PNG whose header claims huge dimensions while its data is tiny."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 16)) + \
        _chunk(b"IEND", b"")


def png_with_text_bomb() -> bytes:
    """A small PNG carrying a zTXt chunk that inflates to 64 MB."""
    plain = encode(Image.new("RGB", (8, 8)), "PNG")
    ztxt = _chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"\0" * (64 * 1024 * 1024), 9))
    return plain[:33] + ztxt + plain[33:]


def gif_with_declared_size(width: int, height: int) -> bytes:
    """A GIF whose logical screen and frame claim huge dimensions."""
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return header + frame + b";"


@pytest.mark.parametrize(("name", "data"), [
    ("huge_png_dimensions", png_with_declared_size(100_000, 100_000)),
    ("png_text_chunk_bomb", png_with_text_bomb()),
    ("huge_gif_dimensions", gif_with_declared_size(65_000, 65_000)),
    ("truncated_jpeg", solid(size=(300, 300))[:400]),
])
def test_decompression_bombs_and_broken_images_are_422(client, auth, name, data):
    response = upload(client, auth.headers(), data, name="bomb.png")
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["type"].endswith("unprocessable_image")


@pytest.mark.parametrize(("name", "data"), [
    ("page.png", b"<!doctype html><script>alert(1)</script>"),
    ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("archive.jpg", b"PK\x03\x04" + b"\0" * 100),
    ("empty.jpg", b""),
])
def test_files_that_are_not_images_are_415_or_422(client, auth, name, data):
    response = upload(client, auth.headers(), data, name=name)
    assert response.status_code in (415, 422)
    assert response.mimetype == "application/problem+json"


def test_a_png_with_a_zip_appended_is_stored_re_encoded_without_it(client, auth):
    headers = auth.headers()
    polyglot = solid(fmt="PNG") + b"PK\x03\x04" + b"payload" * 100
    image = upload(client, headers, polyglot).get_json()
    stored = client.get(f"/api/v1/images/{image['id']}/content", headers=headers).data
    assert b"PK\x03\x04" not in stored and stored.startswith(b"\x89PNG")


def test_a_body_over_the_limit_is_413(settings, tmp_path):
    small = settings.for_tests(max_upload_bytes=50_000)
    prepare(small)
    app = create_app(small)
    client = app.test_client()
    big = encode(Image.effect_noise((300, 300), 64).convert("RGB"), "PNG")
    assert len(big) > 50_000 + MULTIPART_OVERHEAD
    response = upload(client, AuthActions(client).headers(), big)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"].endswith("/payload_too_large")
    assert "at most 50000 bytes" in response.get_json()["detail"]
    app.extensions["twintag.monolith"].engine.dispose()


def test_an_image_between_the_limit_and_the_multipart_allowance_is_413(settings):
    small = settings.for_tests(max_upload_bytes=20_000)
    prepare(small)
    app = create_app(small)
    client = app.test_client()
    image = encode(Image.effect_noise((120, 120), 64).convert("RGB"), "PNG")
    assert 20_000 < len(image) < 20_000 + MULTIPART_OVERHEAD
    assert upload(client, AuthActions(client).headers(), image).status_code == 413
    app.extensions["twintag.monolith"].engine.dispose()


def test_thousands_of_form_parts_are_refused_with_413(client, auth):
    # The body is built by hand: the test client would spool a form this large to a temporary file.
    parts = b"".join(b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i for i in range(5000))
    response = client.post("/api/v1/images", headers=auth.headers(), data=parts + b"--b--\r\n",
                           content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413


@pytest.mark.parametrize("filename", ["../../etc/passwd", "a\x00b.jpg", "x" * 1024 + ".jpg", "..\\..\\win.ini"])
def test_hostile_filenames_are_display_only_and_nothing_is_written_outside_the_store(client, auth, settings,
                                                                                   filename):
    headers = auth.headers()
    before = {p for p in settings.data_dir.parent.rglob("*") if settings.object_store_dir not in p.parents}
    image = upload(client, headers, solid(), name=filename).get_json()
    after = {p for p in settings.data_dir.parent.rglob("*") if settings.object_store_dir not in p.parents}
    assert {p.name for p in after - before} <= {"monolith.db-wal", "monolith.db-shm"}
    assert "/" not in image["filename"] and "\x00" not in image["filename"] and len(image["filename"]) <= 255
    assert (settings.object_store_dir / "images" / image["id"]).is_file()


def test_jpeg_orientation_is_applied_and_exif_with_gps_is_removed(client, auth):
    headers = auth.headers()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS latitude
    raw = encode(Image.new("RGB", (120, 40), "green"), "JPEG", exif=exif)
    image = upload(client, headers, raw).get_json()
    assert (image["width"], image["height"]) == (40, 120)
    served = Image.open(io.BytesIO(client.get(f"/api/v1/images/{image['id']}/content", headers=headers).data))
    assert served.size == (40, 120)
    assert dict(served.getexif()) == {}


def test_static_path_traversal_is_404(client):
    for path in ("/assets/../monolith.db", "/assets/..%2f..%2fetc%2fpasswd", "/static/../secret"):
        assert client.get(path).status_code == 404


def test_a_photo_with_a_corrupt_exif_block_is_kept_without_its_exif(client, auth):
    raw = encode(Image.new("RGB", (60, 40), "teal"), "JPEG", exif=b"Exif\x00\x00II*\x00" + b"\xff" * 40)
    response = upload(client, auth.headers(), raw)
    assert response.status_code == 202
    assert (response.get_json()["width"], response.get_json()["height"]) == (60, 40)


def test_a_long_thin_canvas_is_422_even_under_the_pixel_limit(client, auth):
    response = upload(client, auth.headers(), png_with_declared_size(1, 20_000))
    assert response.status_code == 422
    assert "per side" in response.get_json()["detail"]
