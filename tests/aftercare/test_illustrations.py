"""The drawings: present for every standard technique, accessible, and readable in black and
white on paper."""

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from clinic.aftercare.library import STANDARD_TECHNIQUES

FOLDER = Path(__file__).parents[2] / "static" / "img" / "techniques"
SVG = "{http://www.w3.org/2000/svg}"
# Thinner than 0.35 mm on a 6 cm wide drawing fades on a home printer.
THINNEST_STROKE = 1.4


def drawing(name: str) -> ElementTree.Element:
    return ElementTree.parse(FOLDER / name).getroot()  # noqa: S314 (our own files)


@pytest.mark.parametrize("standard", STANDARD_TECHNIQUES, ids=lambda s: s.slug)
def test_each_standard_technique_has_a_titled_drawing_described_like_its_text_alternative(
    standard
):
    root = drawing(standard.illustration)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "title desc"
    assert root.find(f"{SVG}title").text == standard.title
    assert root.find(f"{SVG}desc").text == standard.illustration_alt


@pytest.mark.parametrize("name", sorted(p.name for p in FOLDER.glob("*.svg")))
def test_drawings_need_no_colour_and_survive_printing(name):
    root = drawing(name)
    for element in root.iter():
        for attribute in ("fill", "stroke"):
            colour = element.get(attribute)
            if colour and colour != "none":
                red, green, blue = (colour[1:3], colour[3:5], colour[5:7])
                assert red == green == blue, f"{name}: {colour} is a colour, not a grey"
        width = element.get("stroke-width")
        if width:
            assert float(width) >= THINNEST_STROKE, f"{name}: stroke {width} is too thin"


@pytest.mark.parametrize("name", sorted(p.name for p in FOLDER.glob("*.svg")))
def test_drawings_hold_nothing_that_runs_or_fetches(name):
    text = (FOLDER / name).read_text()
    assert not re.search(r"<script|<foreignObject|href=|url\(|on\w+=", text, re.IGNORECASE)


@pytest.mark.parametrize("standard", STANDARD_TECHNIQUES, ids=lambda s: s.slug)
def test_the_numbers_in_the_steps_are_the_numbers_in_the_drawing(standard):
    in_steps = set(re.findall(r"\((\d)\)", " ".join(standard.steps)))
    # The numbers are outlines, each saying which it is; no text is left to lay out.
    root = drawing(standard.illustration)
    in_drawing = {path.get("data-number") for path in root.iter(f"{SVG}path")} - {None}
    assert in_steps == in_drawing
    assert not list(root.iter(f"{SVG}text"))
