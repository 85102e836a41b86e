"""Image bytes for tests: generated with Pillow, or real photos from scikit-image's bundled samples."""

from __future__ import annotations

import io

from PIL import Image


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    """Return the image encoded in a format."""
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def solid(color: str = "red", size: tuple[int, int] = (64, 48), fmt: str = "JPEG") -> bytes:
    """A one-colour image."""
    return encode(Image.new("RGB", size, color), fmt)


def photo(name: str, fmt: str = "JPEG") -> bytes:
    """One of scikit-image's sample photos (coffee, chelsea, astronaut, rocket, camera), encoded."""
    from skimage import data

    return encode(Image.fromarray(getattr(data, name)()), fmt)
