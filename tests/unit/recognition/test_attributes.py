"""Colour, brightness, grayscale and orientation tags computed from pixels alone."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from shared.recognition.attributes import PALETTE, describe
from shared.recognition.efficientnet.imaging import decode_image
from shared.recognition.recognizer import TagScore


def labels(image: Image.Image) -> dict[str, float]:
    return {tag.label: tag.confidence for tag in describe(image)}


def test_a_red_square_is_red_and_square():
    tags = labels(Image.new("RGB", (80, 80), (220, 20, 30)))

    assert tags["red"] == 1.0
    assert tags["square"] == 1.0


@pytest.mark.parametrize(
    ("rgb", "colour"),
    [
        ((230, 20, 20), "red"),
        ((255, 140, 0), "orange"),
        ((240, 230, 40), "yellow"),
        ((30, 160, 60), "green"),
        ((30, 60, 200), "blue"),
        ((120, 30, 160), "purple"),
        ((255, 105, 180), "pink"),
        ((255, 182, 193), "pink"),
        ((120, 70, 20), "brown"),
        ((10, 10, 12), "black"),
        ((245, 245, 245), "white"),
        ((128, 128, 128), "gray"),
    ],
)
def test_a_plain_image_is_named_after_its_palette_colour(rgb, colour):
    tags = describe(Image.new("RGB", (40, 40), rgb))

    assert tags[0] == TagScore(colour, 1.0)
    assert colour in PALETTE


def test_the_dominant_colour_carries_its_share_of_the_pixels():
    image = Image.new("RGB", (100, 100), (30, 60, 200))
    image.paste((240, 230, 40), (0, 0, 100, 25))

    assert describe(image)[0] == TagScore("blue", 0.75)


def test_a_dark_image_is_dark_and_not_bright():
    tags = labels(Image.new("RGB", (64, 64), (15, 15, 25)))

    assert tags["dark"] > 0.9
    assert "bright" not in tags


def test_a_white_image_is_bright_and_not_dark():
    tags = labels(Image.new("RGB", (64, 64), (250, 250, 250)))

    assert tags["bright"] > 0.9
    assert "dark" not in tags


def test_a_mid_tone_image_is_neither_bright_nor_dark():
    tags = labels(Image.new("RGB", (64, 64), (230, 20, 20)))

    assert "bright" not in tags and "dark" not in tags


def test_a_tall_image_is_portrait():
    assert labels(Image.new("RGB", (60, 200), "white"))["portrait"] == 1.0


def test_a_wide_image_is_landscape():
    assert labels(Image.new("RGB", (300, 100), "white"))["landscape"] == 1.0


def test_a_nearly_square_image_counts_as_square():
    assert "square" in labels(Image.new("RGB", (104, 100), "white"))


def test_a_gray_gradient_is_grayscale():
    gradient = Image.linear_gradient("L").convert("RGB")

    assert labels(gradient)["grayscale"] == 1.0


def test_a_colourful_image_is_not_grayscale():
    image = Image.new("RGB", (64, 64), (30, 60, 200))
    image.paste((240, 230, 40), (0, 0, 32, 64))

    assert "grayscale" not in labels(image)


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK"])
def test_images_in_other_modes_are_described_too(mode):
    image = Image.new("RGB", (50, 30), (30, 60, 200)).convert(mode)

    assert [tag.label for tag in describe(image)][-1] == "landscape"


def test_the_same_image_always_gets_the_same_tags():
    image = Image.effect_mandelbrot((128, 96), (-2.0, -1.0, 1.0, 1.0), 64).convert("RGB")

    assert describe(image) == describe(image.copy())


def test_every_confidence_is_between_zero_and_one():
    image = Image.radial_gradient("L").convert("RGB").resize((500, 333))

    assert all(0.0 <= tag.confidence <= 1.0 for tag in describe(image))


def transparent(mode: str) -> bytes:
    """A PNG whose every pixel is transparent green: invisible, on the page's white."""
    if mode == "RGBA":
        image = Image.new("RGBA", (64, 48), (0, 200, 0, 0))
    else:  # a palette image whose one colour is marked transparent, as GIFs and small PNGs are
        image = Image.new("P", (64, 48), 1)
        image.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
        image.info["transparency"] = 1
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("mode", ["RGBA", "P"])
def test_transparent_pixels_count_as_the_white_they_show_not_their_hidden_colour(mode):
    tags = labels(decode_image(transparent(mode)))
    assert "green" not in tags and tags["white"] == 1.0 and "bright" in tags
