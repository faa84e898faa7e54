"""A measured value: a figure and its unit ("230 V", "4.2 kg", "50 Hz"). A table's row or cell
holds one; a title ("Python 3 Tutorial", "Version 2.0") or a column's name does not, though
a short unit passes for a title's small word and a unit's letters for a name's."""

from __future__ import annotations

import re

MEASURE = re.compile(r"\d(?:[\d.,]*\d)?\s?(?:[kMGT]?(?:V|W|Wh|Hz|A|B|Pa)|mA|mAh|mm|cm|m|km|"
                     r"mg|g|kg|lbs?|oz|ml|mL|l|L|°C|°F|%|rpm|dB|bar|psi|ft|s|ms|h|min)"
                     r"(?!\w)")


def holds_measure(text: str) -> bool:
    return MEASURE.search(text) is not None


def is_measure(text: str) -> bool:
    """Whether `text` is a measured value and nothing else (a sheet's cell)."""
    return MEASURE.fullmatch(text.strip()) is not None
