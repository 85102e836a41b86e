"""Validate uploaded bytes and re-encode them: the only image bytes TwinTag ever stores or serves."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from shared.domain.errors import (
    PayloadTooLarge,
    UnprocessableImage,
    UnsupportedImageType,
)

# Magic numbers of the accepted formats: the name and the Content-Type header are never trusted.
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)
MAX_SIDE = 16_384  # WebP's own limit; longer sides are almost always hostile
ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


@dataclass(frozen=True)
class CleanImage:
    """Re-encoded image bytes, upright, with no metadata, and what they are."""

    content: bytes
    content_type: str
    width: int
    height: int


def sniff_format(data: bytes) -> str:
    """Return the Pillow format name the bytes start with, or raise UnsupportedImageType."""
    for magic, fmt in _SIGNATURES:
        if data.startswith(magic):
            return fmt
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    raise UnsupportedImageType(f"The file is not an accepted image type ({', '.join(ACCEPTED_TYPES)}).")


def clean_image(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """Check the upload and return its clean re-encoding; raise 413/415/422 errors for bad input."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The image is larger than {max_bytes} bytes.")
    if not data:
        raise UnprocessableImage("The file is empty.")
    fmt = sniff_format(data)
    return _encode(_decode(data, fmt, max_pixels), fmt)


def _decode(data: bytes, fmt: str, max_pixels: int) -> Image.Image:
    """Decode the first frame safely and upright, refusing huge declared dimensions before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Pillow warns (not raises) about corrupt EXIF or tags pointing past the end: that metadata is
            # dropped by the re-encoding anyway, so the photo is kept.
            warnings.simplefilter("ignore", UserWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            _check_dimensions(*image.size, max_pixels)
            image.load()
    except UnprocessableImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnprocessableImage(f"The image is a decompression bomb: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        # Pillow reports truncated data, oversized text chunks and broken headers with these.
        raise UnprocessableImage(f"The {fmt} data cannot be decoded: {exc}") from exc
    return _upright(image)


def _check_dimensions(width: int, height: int, max_pixels: int) -> None:
    """Refuse huge canvases, and very long thin ones (cheap to send, slow to decode and re-encode)."""
    if width * height > max_pixels or max(width, height) > MAX_SIDE:
        raise UnprocessableImage(f"The image declares {width}x{height} pixels; the limits are {max_pixels} "
                                 f"pixels and {MAX_SIDE} pixels per side.")


def _upright(image: Image.Image) -> Image.Image:
    """Apply the camera's orientation before the EXIF is dropped; a corrupt EXIF block is just dropped."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return ImageOps.exif_transpose(image)
    except Exception:  # any failure to parse metadata we are about to discard must not cost the user the photo
        return image


def _encode(image: Image.Image, fmt: str) -> CleanImage:
    """Write the pixels again: drops EXIF/GPS, comments, appended data and any extra frames."""
    out = io.BytesIO()
    if fmt == "JPEG":
        image = image.convert("L" if image.mode in ("L", "1") else "RGB")
        image.save(out, format="JPEG", quality=90, optimize=True)
        content_type = "image/jpeg"
    else:
        # 16-bit grey ("I;16", as Pillow opens such PNGs) is kept as it is: converting it to colour clips every
        # value over 255, and the stored image would be white.
        if image.mode not in ("RGB", "RGBA", "L", "LA", "I;16"):
            image = image.convert("RGBA")
        image.save(out, format="PNG")
        content_type = "image/png"
    return CleanImage(out.getvalue(), content_type, image.width, image.height)
