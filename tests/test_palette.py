"""The level palette: one colour per level, each readable against the page background."""

from checklist.consensus import SECTORS
from checklist.palette import (
    DONT_KNOW_COLOUR,
    LEVEL_COLOURS,
    NOT_APPLICABLE_COLOUR,
    SECTOR_COLOURS,
    SECTOR_PATTERNS,
    contrast_ratio,
)


def test_one_distinct_colour_per_level():
    assert len(LEVEL_COLOURS) == 5 and len(set(LEVEL_COLOURS)) == 5


def test_every_colour_has_graphics_contrast_against_white():
    for colour in (*LEVEL_COLOURS, DONT_KNOW_COLOUR, NOT_APPLICABLE_COLOUR, *SECTOR_COLOURS):
        assert contrast_ratio(colour) >= 3.0, colour


def test_contrast_ratio_matches_wcag_reference_values():
    assert round(contrast_ratio("#000000"), 1) == 21.0
    assert round(contrast_ratio("#767676"), 2) == 4.54


def test_one_distinct_colour_and_pattern_per_workshop_sector():
    assert len(SECTOR_COLOURS) == len(set(SECTOR_COLOURS)) == len(SECTORS)
    assert len(SECTOR_PATTERNS) == len(set(SECTOR_PATTERNS)) == len(SECTORS)
