"""A hyphen at a line's end that pdfium took out: put back when it belongs to the word
("cut-and-paste", "R-help"), dropped when it only broke the word ("hyphen-ation"), and
between two words as the document writes them elsewhere ("network-mounted")."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.formats.pdf import page_text
from ingest.formats.pdf_text import Spellings, line_end_hyphens_resolved
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
    ("user\x02defined", "userdefined"),  # two lower-case words, not written elsewhere
])
def test_a_marked_line_end_keeps_its_hyphen_only_where_the_word_has_one(
        marked: str, read: str) -> None:
    assert line_end_hyphens_resolved(marked) == read


def test_a_pdf_writes_a_compound_broken_at_a_line_end_as_the_rest_of_it_does() -> None:
    pages = ["Disks that are network-mounted are slow. We used\nuser-defined hooks.",
             "A share that is network-\nmounted is slower; a user-\ndefined hook, a non-\n"
             "empty list, non-\nnegative, and a nonnegative count."]
    text = " ".join(page.text for page in load_bytes(Path("manual.pdf"), make_pdf(pages)).pages)
    assert "A share that is network-mounted is slower" in text  # written so on page 1
    assert "a user-defined hook" in text
    assert "a nonempty list" in text  # not written elsewhere: joined, as any broken word
    assert "nonnegative, and a nonnegative count." in text  # written joined elsewhere


def test_a_page_read_alone_writes_a_compound_as_that_page_does() -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(make_pdf(["A network-mounted disk, and one network-\nmounted."]))
    assert " ".join(page_text(pdf[0]).split()) == ("A network-mounted disk, and one "
                                                   "network-mounted.")


@pytest.mark.parametrize(("document", "marked", "read"), [
    ("a network-mounted disk", "network\x02mounted", "network-mounted"),
    ("Network-Mounted Disks", "(network\x02mounted)", "(network-mounted)"),  # case aside
    ("the non-empty-set rule", "non\x02empty", "non-empty"),  # a pair inside a longer word
    ("hyphenation", "hyphen\x02ation", "hyphenation"),
    ("nonempty, or non-empty", "non\x02empty", "nonempty"),  # written both ways: joined
    ("PostScript", "Post\x02Script", "PostScript"),  # joined, where its case changes
    ("nothing of the kind", "user\x02defined", "userdefined"),  # neither: the word's shape
    ("nothing of the kind", "Springer\x02Verlag", "Springer-Verlag"),
    ("cut-andpaste", "cut-and\x02paste", "cut-and-paste"),  # a hyphen of its own: kept
    ("Rhelp", "R\x02help", "R-help"),  # one letter: no hyphenation leaves it alone
    # a word a mark breaks is evidence of nothing: "network" is a half here, not a word
    ("the net-work is down, a non\x02network node", "net\x02work", "net-work"),
    ("network\x02mounted here", "network\x02mounted", "networkmounted"),
])
def test_a_compound_at_a_line_end_is_written_as_the_document_writes_it_elsewhere(
        document: str, marked: str, read: str) -> None:
    spellings = Spellings.of([document, marked])
    assert line_end_hyphens_resolved(marked, spellings) == read


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


@pytest.mark.parametrize("text", [
    "a" * 2**20 + " \x02",
    "a" * 2**20 + "1bb\x02cc",
    "a-" * 2**19 + "a\x02" + "b-" * 2**19,
    "a" * 2**20 + "-b" + "\x02cc",
], ids=["a long word before a mark", "a long word before a digit", "long hyphenated words",
        "a long word before a hyphen"])
def test_a_hostile_document_is_read_for_its_spellings_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    line_end_hyphens_resolved(text, Spellings.of([text]))
    assert time.perf_counter() - started < 5.0
