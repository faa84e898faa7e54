"""A measured value: a figure and its unit ("230 V", "4.2 kg", "50 Hz"). A table's row or cell
holds one; a title ("Python 3 Tutorial", "Version 2.0") or a column's name does not, though
a short unit passes for a title's small word and a unit's letters for a name's. And the
currencies a question names ("in euros"), and whether a text writes one ("€", "EUR")."""

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


# a currency by the words a question names it with, and how a text writes it: its word, its
# sign or its code. "pound" alone is left out: a question naming it may ask for a weight
_CURRENCIES = {
    "euro": (r"euros?", r"€|\beur\b|\beuros?\b"),
    "dollar": (r"dollars?", r"\$|\busd\b|\bdollars?\b"),
    "sterling": (r"sterling|pounds sterling", r"£|\bgbp\b|\bsterling\b|\bpounds?\b"),
    "yen": (r"yen", r"¥|\bjpy\b|\byen\b"),
    "yuan": (r"yuan|renminbi", r"¥|\bcny\b|\brmb\b|\byuan\b|\brenminbi\b"),
    "rupee": (r"rupees?", r"₹|\binr\b|\brs\b|\brupees?\b"),
    "franc": (r"francs?", r"\bchf\b|\bfr\.|\bfrancs?\b"),
    "peso": (r"pesos?", r"\$|\bmxn\b|\bpesos?\b"),
}
_NAMED = {name: re.compile(rf"\b(?:{asked})\b", re.IGNORECASE)
          for name, (asked, _) in _CURRENCIES.items()}
_WRITTEN = {name: re.compile(written, re.IGNORECASE)
            for name, (_, written) in _CURRENCIES.items()}


def currencies_named(question: str) -> list[str]:
    """The currencies a question names ("How much is it in euros?"), each by its word."""
    return [name for name, named in _NAMED.items() if named.search(question)]


def writes_currency(text: str, currency: str) -> bool:
    """Whether `text` writes an amount's currency as its word, sign or code ("€", "EUR")."""
    return _WRITTEN[currency].search(text) is not None
