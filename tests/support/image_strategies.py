"""Hypothesis strategies for upload bodies: small valid JPEG/PNG/GIF/WebP files, and hostile mutations of them."""

from __future__ import annotations

import functools
import io
import random

from hypothesis import strategies as st
from PIL import Image

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
MAGIC = {"JPEG": b"\xff\xd8\xff", "PNG": b"\x89PNG\r\n\x1a\n", "GIF": b"GIF89a", "WEBP": b"RIFF\0\0\0\0WEBP"}
_MODES = {"JPEG": ("RGB", "L", "CMYK"), "PNG": ("RGB", "RGBA", "L", "LA", "P", "1", "I;16"),
          "GIF": ("P", "L", "RGB"), "WEBP": ("RGB", "RGBA")}
POOL_SIZE = 48


def _encode(rng: random.Random, fmt: str) -> bytes:
    """One small noisy image, sometimes with EXIF orientation (even invalid), progressive or animated."""
    mode, size = rng.choice(_MODES[fmt]), (rng.randint(1, 40), rng.randint(1, 40))
    image = Image.frombytes("RGBA", size, rng.randbytes(size[0] * size[1] * 4))
    image = image.convert("I").convert("I;16") if mode == "I;16" else image.convert(mode)
    params: dict = {}
    if fmt != "GIF" and rng.random() < 0.5:
        exif = Image.Exif()
        exif[0x0112] = rng.randint(0, 9)  # Orientation; 0 and 9 are out of range
        params["exif"] = exif.tobytes()
    if fmt == "JPEG":
        params.update(quality=rng.randint(5, 95), progressive=rng.random() < 0.5)
    elif rng.random() < 0.4:
        params.update(save_all=True, append_images=[image.transpose(Image.Transpose.ROTATE_180)], duration=50)
    if fmt == "WEBP":
        params["lossless"] = rng.random() < 0.5
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


@functools.cache
def seed_pool(fmt: str) -> tuple[bytes, ...]:
    """POOL_SIZE valid encodings of one format, the same on every run."""
    rng = random.Random(f"twintag-{fmt}")
    return tuple(_encode(rng, fmt) for _ in range(POOL_SIZE))


def valid_images(fmt: str | None = None) -> st.SearchStrategy[bytes]:
    """A valid image from the pool of one format, or of any."""
    return st.sampled_from([data for f in ([fmt] if fmt else FORMATS) for data in seed_pool(f)])


def _flip(rng: random.Random, data: bytes, magic: bytes) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        buffer[rng.randrange(min(len(magic), len(buffer) - 1), len(buffer))] ^= rng.randint(1, 255)
    return bytes(buffer)


def _truncate(rng: random.Random, data: bytes, magic: bytes) -> bytes:
    return data[:rng.randrange(len(data))]


def _duplicate(rng: random.Random, data: bytes, magic: bytes) -> bytes:
    start = rng.randrange(len(data))
    end = rng.randint(start + 1, min(len(data), start + 512))
    at = rng.randint(min(len(magic), len(data)), len(data))
    return data[:at] + data[start:end] * rng.randint(1, 3) + data[at:]


def _header(rng: random.Random, data: bytes, magic: bytes) -> bytes:
    """Overwrite bytes just after the magic number, where sizes, depths and chunk lengths live."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(min(len(magic), len(buffer) - 1), min(len(buffer) - 1, len(magic) + 40))
        buffer[at] = rng.choice([0x00, 0x01, 0x7F, 0x80, 0xFF, rng.randrange(256)])
    return bytes(buffer)


def _size_fields(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of the width and height each format declares up front."""
    if data.startswith(MAGIC["PNG"]):
        return [(16, 4), (20, 4)]  # IHDR
    if data.startswith(b"GIF"):
        return [(6, 2), (8, 2)]  # logical screen
    if data.startswith(b"RIFF"):
        return {b"VP8X": [(24, 3), (27, 3)], b"VP8 ": [(26, 2), (28, 2)]}.get(data[12:16], [(21, 4)])
    frame = max(data.find(b"\xff\xc0"), data.find(b"\xff\xc2"))  # JPEG baseline or progressive SOF
    return [(frame + 5, 2), (frame + 7, 2)] if frame > 0 else []


def _dimensions(rng: random.Random, data: bytes, magic: bytes) -> bytes:
    """Declare another width or height: zero, the maximum, or anything."""
    buffer = bytearray(data)
    for at, size in _size_fields(data):
        if at + size <= len(buffer) and rng.random() < 0.7:
            buffer[at:at + size] = rng.choice([bytes(size), b"\xff" * size, rng.randbytes(size)])
    return bytes(buffer)


def _garbage_after_magic(rng: random.Random, data: bytes, magic: bytes) -> bytes:
    return magic + rng.randbytes(rng.randint(0, 600))


def _append(rng: random.Random, data: bytes, magic: bytes) -> bytes:
    return data + rng.randbytes(rng.randint(1, 200))


MUTATIONS = (_flip, _truncate, _duplicate, _header, _dimensions, _garbage_after_magic, _append)


@st.composite
def mutated_images(draw, fmt: str | None = None) -> bytes:
    """A valid image after one to three mutations: flips, truncation, duplication, header and size edits, garbage."""
    fmt = fmt or draw(st.sampled_from(FORMATS))
    data = draw(valid_images(fmt))
    steps = draw(st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 2**32)), min_size=1, max_size=3))
    for mutate, seed in steps:
        if len(data) < 2:
            break
        data = mutate(random.Random(seed), data, MAGIC[fmt])
    return data
