"""Digits a PDF draws small and raised after a word or a number: a footnote's mark, which
pdfium glues to the word ("Australia1", "Terminal4so") and so to its search term, is left out;
an exponent after a letter or two ("x2", "cm2") or after a number ("231") is written as one
("x^2", "2^31")."""

from __future__ import annotations

from pathlib import Path

from ingest.loaders import load_bytes
from tests.pdfgen import with_content_stream

NORMAL, SMALL = "/F1 11 Tf 0 Ts", "/F1 7 Tf 4 Ts"  # a superscript: smaller, its baseline raised
LOWERED = "/F1 7 Tf -2 Ts"  # a subscript
THIN = "\u2009"  # opening a run: drawn a little apart, as TeX leaves room after a slant
GAPS = {" ": "-280 ", THIN: "-160 "}  # moved over, in thousandths of the run's size


def page_of(runs: list[list[tuple[str, str]]]) -> bytes:
    """A one-page PDF, each line's runs drawn in turn in their own font size and rise; a run's
    leading space is a gap moved over, as TeX leaves one (a space drawn after a raised digit
    reads to pdfium as a new line), a thin space (THIN) a narrower one."""
    lines = []
    for runs_of_line in runs:
        drawn = " ".join(f"{font} [{GAPS.get(text[:1], '')}({text.lstrip(''.join(GAPS))})] TJ"
                         for font, text in runs_of_line)
        lines.append(f"{drawn} {NORMAL} T*")
    return with_content_stream(f"BT 14 TL 40 800 Td {' '.join(lines)} ET".encode(), "")


def test_footnote_marks_are_left_out_and_exponents_written_as_such() -> None:
    pdf = page_of([
        [(NORMAL, "Sheep came to Australia"), (SMALL, "1"), (NORMAL, " and New Zealand.")],
        [(NORMAL, "Open a Terminal"), (SMALL, "4"), (NORMAL, "so these can be typed.")],
        [(NORMAL, "It was done in 2020."), (SMALL, "23"), (NORMAL, " The next year ...")],
        [(NORMAL, "The area is x"), (SMALL, "2"), (NORMAL, " + y"), (SMALL, "2"),
         (NORMAL, ", in cm"), (SMALL, "2"), (NORMAL, ".")],
        [(NORMAL, "Water is H"), (LOWERED, "2"), (NORMAL, "O; version 2.3 of R3 is out.")],
        [(NORMAL, "Add A"), (SMALL, "2"), (NORMAL, " and (a + b)"), (SMALL, "2"),
         (NORMAL, " as part of"), (SMALL, "95"), (NORMAL, " Rmath.h"), (SMALL, "97"),
         (NORMAL, " says.")],
    ])
    text = load_bytes(Path("notes.pdf"), pdf).pages[0].text
    assert text.splitlines() == [
        "Sheep came to Australia and New Zealand.",
        "Open a Terminal so these can be typed.",
        "It was done in 2020. The next year ...",
        "The area is x^2 + y^2, in cm^2.",
        "Water is H2O; version 2.3 of R3 is out.",  # a subscript, and digits of full size
        "Add A^2 and (a + b)^2 as part of Rmath.h says.",  # marks after a word and a name
    ]


def test_digits_raised_after_a_number_are_an_exponent_or_a_mark_whose_footnote_is_on_the_page(
) -> None:
    pdf = page_of([
        [(NORMAL, "Each dimension is limited to 2"), (SMALL, "31"), (NORMAL, " - 1 and uses ISO/IEC"
                                                                             " 60559"),
         (SMALL, "1"), (NORMAL, ", as reals.")],
        [(NORMAL, "So gcc 10"), (SMALL, "107"), (NORMAL, " and clang 11"), (SMALL, "108"),
         (NORMAL, " changed, in -std=gnu99"), (SMALL, "4"), (NORMAL, " and a C99"), (SMALL, "5"),
         (NORMAL, "interface.")],
        [(NORMAL, "That is, 2 ^ 2 ^ 3 is 2"), (SMALL, "8"), (NORMAL, ", not")],
        [(NORMAL, "4"), (SMALL, "3"), (NORMAL, ", whereas 1 - 1 - 1 is -1; in 2020 and 231 ...")],
        [(SMALL, "1"), (NORMAL, " also known as IEEE 754")],
        [(SMALL, "5"), (NORMAL, " and C11")],
        [(SMALL, "4"), (NORMAL, " or C17")],
        [(SMALL, "107"), (NORMAL, " see the porting notes")],
        [(SMALL, "108"), (NORMAL, " See the release notes")],
    ])
    text = load_bytes(Path("manual.pdf"), pdf).pages[0].text
    assert text.splitlines()[:4] == [
        "Each dimension is limited to 2^31 - 1 and uses ISO/IEC 60559, as reals.",
        "So gcc 10 and clang 11 changed, in -std=gnu99 and a C99 interface.",
        "That is, 2 ^ 2 ^ 3 is 2^8, not",
        "4^3, whereas 1 - 1 - 1 is -1; in 2020 and 231 ...",  # digits of the text's size
    ]


def test_digits_raised_after_a_year_a_version_or_a_figure_s_number_are_a_mark() -> None:
    # endnotes, or footnotes whose numbers are printed at the text's size: none the page
    # tells of, so the number the digits follow decides
    pdf = page_of([
        [(NORMAL, "It was first released in 2019"), (SMALL, "1"), (NORMAL, " by the lab.")],
        [(NORMAL, "It needs Python 3.11"), (SMALL, "2"), (NORMAL, " or later.")],
        [(NORMAL, "As shown in Figure 2"), (SMALL, "3"), (NORMAL, " of the appendix, Table 4"),
         (SMALL, "5"), (NORMAL, " and p. 12"), (SMALL, "6"), (NORMAL, ".")],
        [(NORMAL, "There are 2"), (SMALL, "31"), (NORMAL, " states, and 10"), (SMALL, "3"),
         (NORMAL, " more.")],
        [(NORMAL, "1 Release notes of the lab.")],
        [(NORMAL, "2 Earlier versions may work.")],
    ])
    text = load_bytes(Path("endnotes.pdf"), pdf).pages[0].text
    assert text.splitlines()[:4] == [
        "It was first released in 2019 by the lab.",
        "It needs Python 3.11 or later.",
        "As shown in Figure 2 of the appendix, Table 4 and p. 12.",
        "There are 2^31 states, and 10^3 more.",
    ]


def test_digits_raised_after_a_call_s_empty_brackets_are_a_mark() -> None:
    pdf = page_of([
        [(NORMAL, "S4 objects are created via new()"), (SMALL, "12"),
         (NORMAL, " and thence via R_do_new_object, as (a + b)"), (SMALL, "2"),
         (NORMAL, " is read.")],
    ])
    assert load_bytes(Path("notes.pdf"), pdf).pages[0].text == (
        "S4 objects are created via new() and thence via R_do_new_object, as (a + b)^2 is read.")


def test_a_mark_set_a_little_apart_from_its_word_is_left_out() -> None:
    """TeX leaves room for an italic word's slant before its mark, which pdfium may read as a
    space ("provided 3the"): a mark nearer its word than a word space is left out; digits
    raised a word space after it (an isotope's mass) are none."""
    pdf = page_of([
        [(NORMAL, "Set it in the shell first"), (SMALL, THIN + "3"), (NORMAL, "the language")],
        [(NORMAL, "the value is printed and lost"), (SMALL, THIN + "2"), (NORMAL, ". So now")],
        [(NORMAL, "Carbon dating measures "), (SMALL, "14"), (NORMAL, "C in the bone.")],
    ])
    assert load_bytes(Path("notes.pdf"), pdf).pages[0].text.splitlines() == [
        "Set it in the shell first the language",
        "the value is printed and lost. So now",
        "Carbon dating measures 14C in the bone.",
    ]
