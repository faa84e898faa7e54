"""A hyphen at a line's end that pdfium took out: put back when it belongs to the word
("cut-and-paste", "R-help"), dropped when it only broke the word ("hyphen-ation")."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.formats.pdf_text import line_end_hyphens_resolved
from ingest.loaders import load_bytes
from tests.pdfgen import make_pdf


def test_a_pdf_keeps_a_compound_hyphen_at_a_line_end_and_joins_a_broken_word() -> None:
    page = ("You can also cut-and-\npaste between the two; hyphen-\nation is joined;\n"
            "see Springer-\nVerlag and the R-\nhelp list.")
    text = load_bytes(Path("manual.pdf"), make_pdf([page])).pages[0].text
    assert " ".join(text.split()) == ("You can also cut-and-paste between the two; "
                                      "hyphenation is joined; see Springer-Verlag and the "
                                      "R-help list.")


@pytest.mark.parametrize(("marked", "read"), [
    ("hyphen\x02ation", "hyphenation"),  # a word broken by the layout
    ("Win\x02dows FAQ", "Windows FAQ"),
    ("(con\x02tinuous)", "(continuous)"),
    ("cut-and\x02paste", "cut-and-paste"),  # the word holds a hyphen already
    ("sub\x02architecture-specific", "sub-architecture-specific"),
    ("--with\x02blas", "--with-blas"),
    ("Springer\x02Verlag.", "Springer-Verlag."),  # a capital after the break
    ("non\x02ASCII", "non-ASCII"),
    ("UTF\x028", "UTF-8"),  # a digit beside the break
    ("DBMS\x02specific,", "DBMS-specific,"),  # a capital before a lower-case part
    ("OpenGL\x02based", "OpenGL-based"),
    ("R\x02help", "R-help"),  # a single letter: no hyphenation leaves one alone
    ("the x\x02axis", "the x-axis"),
    ("PER\x02MITTED", "PERMITTED"),  # a word in capitals, broken like any other
    ("DAM\x02AGES.", "DAMAGES."),
    ("user\x02defined", "userdefined"),  # a compound of two lower-case words: unknowable
])
def test_a_marked_line_end_keeps_its_hyphen_only_where_the_word_has_one(
        marked: str, read: str) -> None:
    assert line_end_hyphens_resolved(marked) == read


def test_text_without_marks_is_returned_as_it_is() -> None:
    text = "A line-\nend hyphen that pdfium did not mark stays."
    assert line_end_hyphens_resolved(text) == text


@pytest.mark.parametrize("text", [
    "a\x02" * (2**20 // 2),
    "a" * 2**20 + "\x02" + "b" * 2**20,
    "-\x02" * (2**20 // 2),
    "a-" * (2**19) + "\x02" + "b-" * (2**19),
], ids=["short parts", "two long words", "hyphens", "long hyphenated words"])
def test_a_hostile_page_of_marks_is_resolved_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    line_end_hyphens_resolved(text)
    assert time.perf_counter() - started < 5.0  # a quadratic scan takes minutes
