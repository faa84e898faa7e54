"""Footnotes a PDF sets at a page's foot, smaller than its text, follow the page's text as
paragraphs of their own, without their numbers: the sentence the page's foot interrupts goes
on on the next page, not in them."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from ingest.chunking import Chunker
from ingest.formats.pdf_footnotes import footnotes_apart
from ingest.formats.pdf_superscripts import char_indexes
from ingest.loaders import load_bytes
from rag.service import build_service
from tests.conftest import fresh_settings
from tests.pdfgen import with_content_stream

TEXT, MARK = "/F1 11 Tf 0 Ts", "/F1 7 Tf 4 Ts"  # the text, and a mark raised in it
NOTE, NOTE_NUMBER = "/F1 9 Tf 0 Ts", "/F1 7 Tf 3 Ts"  # a footnote, and its number
SMALL_CODE = "/F2 9 Tf 0 Ts"
SMALL = "/F1 8 Tf 0 Ts"  # small print on the text's baseline
LINE_NUMBER = "/F1 6 Tf 0 Ts"  # a listing's line number
INLINE_MARK = "/F1 7 Tf 2 Ts"  # a note's number raised a little: pdfium keeps it on its line

Line = list[tuple[str, str]]


def pages_of(pages: list[list[Line]]) -> bytes:
    """A PDF whose pages draw each line's runs in turn in their own font, size and rise, a
    line under the other from the top; an empty line is a gap of a line."""
    streams = []
    for lines in pages:
        drawn = " ".join(" ".join(f"{font} ({text}) Tj" for font, text in line) + f" {TEXT} T*"
                         for line in lines)
        streams.append(f"BT 14 TL 40 800 Td {drawn} ET".encode())
    return with_content_stream(streams, "")


def note(number: str, text: str) -> Line:
    return [(NOTE_NUMBER, number), (NOTE, f" {text}")]


def text_of(pdf: bytes) -> list[tuple[str, str]]:
    return [(page.text, page.notes) for page in load_bytes(Path("manual.pdf"), pdf).pages]


def test_a_page_s_footnotes_follow_its_text_without_their_numbers() -> None:
    pdf = pages_of([[
        [(TEXT, "Sometimes the levels have a natural ordering that we want to record.")],
        [(TEXT, "The ordered function creates such factors, but is otherwise identical")],
        [(TEXT, "to factor"), (MARK, "2"),
         (TEXT, ". For most purposes the only difference between ordered")],
        [], [],
        note("2", "Note that tapply() also works in this case when its second argument"),
        [(NOTE, "is not a factor.")],
        note("3", "See the appendix."),
    ]])
    notes = "Note that tapply() also works in this case when its second argument\n" \
            "is not a factor.\n\nSee the appendix."
    assert text_of(pdf) == [(
        "Sometimes the levels have a natural ordering that we want to record.\n"
        "The ordered function creates such factors, but is otherwise identical\n"
        "to factor. For most purposes the only difference between ordered\n\n" + notes, notes)]


def test_a_footnote_s_number_alone_on_its_line_and_a_page_number_under_the_notes() -> None:
    pdf = pages_of([[
        [(TEXT, "The DESCRIPTION file holds basic information about the package, in")],
        [(TEXT, "the following format"), (MARK, "4"), (TEXT, " and in that order:")],
        [], [],
        # pdfium reads a number raised above its note's words as a line of its own
        note("4", "false positives are possible, but only a handful have been seen."),
        [(TEXT, "12")],  # the page's number, at the text's size
    ]])
    assert text_of(pdf) == [(
        "The DESCRIPTION file holds basic information about the package, in\n"
        "the following format and in that order:\n12\n\n"
        "false positives are possible, but only a handful have been seen.",
        "false positives are possible, but only a handful have been seen.")]


def test_a_small_page_number_over_a_footer_line_is_no_footnote() -> None:
    pdf = pages_of([[
        [(TEXT, "Chapter 1 reports the revenue of the otter division in the last quarter.")],
        [], [],
        [(SMALL, "12")],  # the page's number set small, a footer's title under it
        [(TEXT, "Annual Report 2024")],
    ], [
        [(TEXT, "Chapter two explains how the heron colony was counted in spring.")],
        [], [],
        [(NOTE_NUMBER, "1"), (TEXT, " See page 12.")],  # its words at the text's size
    ]])
    assert text_of(pdf) == [
        ("Chapter 1 reports the revenue of the otter division in the last quarter.\n"
         "12\nAnnual Report 2024", ""),
        ("Chapter two explains how the heron colony was counted in spring.\n1\n See page 12.",
         "")]


def test_small_numbers_on_lines_of_their_own_at_a_page_s_foot_stay_in_its_text() -> None:
    column = [
        [(TEXT, "The counts per site are listed in small print below.")],
        [(SMALL, "120")], [(SMALL, "45")], [(SMALL, "7")],  # a column of figures
        [(SMALL, "Total of the three sites above.")],
    ]
    raised = [
        [(TEXT, "Body text about the numbat followed by a small numbers table.")],
        [], [],
        *([(NOTE_NUMBER, str(n))] for n in range(1, 6)),  # each a line above the next
    ]
    above = [
        [(TEXT, "The chart below shows the rainfall of a single year.")],
        [], [],
        [(LINE_NUMBER, "7")],  # a chart's label a line above the caption: no note's number
        [(SMALL, "Rainfall in millimetres at the moose station.")],
    ]
    assert text_of(pages_of([column, raised, above])) == [
        ("The counts per site are listed in small print below.\n120\n45\n7\n"
         "Total of the three sites above.", ""),
        ("Body text about the numbat followed by a small numbers table.\n1\n2\n3\n4\n5", ""),
        ("The chart below shows the rainfall of a single year.\n7\n"
         "Rainfall in millimetres at the moose station.", "")]


def test_each_word_a_page_s_footnotes_take_out_of_its_text_is_a_note_s() -> None:
    pdf = pages_of([[
        [(TEXT, "The ordered function creates such factors, but is otherwise identical")],
        [], [],
        note("1", "Note that tapply() also works in this case."),
        [(NOTE, "It is seldom needed.")],
        note("2", "See the appendix."),
        [(NOTE_NUMBER, "3")],  # a number with no words of its own: the notes end above it
    ], [
        [(TEXT, "Body text about the numbat followed by a small numbers table.")],
        [], [],
        *([(NOTE_NUMBER, str(n))] for n in range(1, 4)),
        note("4", "A note under the table."),
    ], [
        [(TEXT, "Chapter 1 reports the revenue of the otter division in the last quarter.")],
        [], [],
        [(SMALL, "12")],
        [(TEXT, "Annual Report 2024")],
    ]])
    document = pdfium.PdfDocument(pdf)
    numbers = []
    for page in document:
        textpage = page.get_textpage()
        text = textpage.get_text_bounded()
        body, _, notes = footnotes_apart(textpage, text, char_indexes(text, textpage))
        textpage.close()
        taken = [word for note in notes for word in (note.number, *note.text.split())]
        assert sorted(body.split() + taken) == sorted(text.split())
        numbers.append([note.number for note in notes])
    document.close()
    assert numbers == [["1", "2"], [], []]


def test_a_listing_numbered_by_line_at_a_page_s_foot_is_no_footnote() -> None:
    code = ["def read_config(path):", "result = {}", "for line in open(path):",
            "key = line.split(sep, 1)", "return result"]
    typed = [[(TEXT, "Each key is read on its own line, as in the example below:")], [],
             *([(LINE_NUMBER, f"{n} "), (SMALL_CODE, line)] for n, line in enumerate(code, 1))]
    steps = ["Unpack the sources.", "Run the configure script.", "Run make."]
    plain = [[(TEXT, "The steps are these, in order:")], [],
             *([(LINE_NUMBER, f"{n} "), (SMALL, step)] for n, step in enumerate(steps, 1))]
    raised = [[(TEXT, "Energy is conserved, as Noether showed for all such cases.")], [],
              *([(INLINE_MARK, str(n)), (NOTE, f" See {name}.")]  # raised: notes
                for n, name in enumerate(["Noether", "Hilbert", "Klein"], 1))]
    urls = [[(TEXT, "The sources are on CRAN and on the project's site.")], [],
            *([(INLINE_MARK, str(n)), (SMALL_CODE, f" https://{site}")]  # raised: notes
              for n, site in enumerate(["cran.r-project.org", "www.r-project.org"], 1))]
    read = text_of(pages_of([typed, plain, raised, urls]))
    assert read[0] == (
        "Each key is read on its own line, as in the example below:\n"
        "1 def read_config(path):\n2 result = {}\n3 for line in open(path):\n"
        "4 key = line.split(sep, 1)\n5 return result", "")
    assert read[1] == ("The steps are these, in order:\n1 Unpack the sources.\n"
                       "2 Run the configure script.\n3 Run make.", "")
    assert read[2][1] == "See Noether.\n\nSee Hilbert.\n\nSee Klein."
    assert read[3][1] == "https://cran.r-project.org\n\nhttps://www.r-project.org"


def test_footnotes_set_side_by_side_are_notes_of_their_own() -> None:
    pdf = pages_of([[
        [(TEXT, "Body of the page mentions the tapir species.")],
        [], [],
        [(INLINE_MARK, "1"), (NOTE, " Left column note on the ibex. "), (INLINE_MARK, "2"),
         (NOTE, " Right column note on the yak, 3 of them.")],
        [(INLINE_MARK, "3"), (NOTE, " Left second note on the emu. "), (INLINE_MARK, "4"),
         (NOTE, " Right second note on the gnu.")],
    ]])
    assert text_of(pdf)[0][1] == (
        "Left column note on the ibex.\n\nRight column note on the yak, 3 of them.\n\n"
        "Left second note on the emu.\n\nRight second note on the gnu.")


def test_a_page_without_footnotes_is_read_as_it_is() -> None:
    lines = [
        [(TEXT, "To find the roots of a polynomial, run these commands in turn:")],
        [(SMALL_CODE, "roots ([1 0 -1])")],  # code set small at the page's foot
        [(SMALL_CODE, "2 * pi")],  # its line opening with a number of its size
    ]
    listed = [
        [(TEXT, "The steps are these, in order:")],
        [(TEXT, "1 Unpack the sources.")],  # a list's numbers, at the text's size
        [(TEXT, "2 Run the configure script.")],
    ]
    assert text_of(pages_of([lines, listed])) == [
        ("To find the roots of a polynomial, run these commands in turn:\n"
         "roots ([1 0 -1])\n2 * pi", ""),
        ("The steps are these, in order:\n1 Unpack the sources.\n2 Run the configure script.",
         "")]


def test_digits_raised_after_a_word_whose_footnote_is_on_the_page_are_its_mark() -> None:
    pdf = pages_of([[
        [(TEXT, "Windows may write UCS-2LE or just possibly UTF-16LE"), (MARK, "1"),
         (TEXT, ", and an area in cm"), (MARK, "2"), (TEXT, " is none.")],
        [], [],
        note("1", "the distinction is subtle."),
    ]])
    assert text_of(pdf)[0][0].splitlines()[0] == (
        "Windows may write UCS-2LE or just possibly UTF-16LE, and an area in cm^2 is none.")


def test_an_exponent_of_a_footnote_s_number_after_a_formula_s_symbol_stays_one() -> None:
    pdf = pages_of([[
        [(TEXT, "A circle satisfies x"), (MARK, "2"), (TEXT, " + y"), (MARK, "2"),
         (TEXT, " = r"), (MARK, "2"), (TEXT, ", as (a + b)"), (MARK, "2"),
         (TEXT, " and E = mc"), (MARK, "2"), (TEXT, " are, in gcc 10"), (MARK, "1")],
        [(TEXT, "as in UTF-16LE"), (MARK, "2"), (TEXT, ".")],
        [], [],
        note("1", "Euclid gives the first note."),
        note("2", "Archimedes gives the second note."),
    ]])
    assert [" ".join(line.split()) for line in text_of(pdf)[0][0].splitlines()[:2]] == [
        "A circle satisfies x^2 + y^2 = r^2, as (a + b)^2 and E = mc^2 are, in gcc 10",
        "as in UTF-16LE."]


def test_a_sentence_a_footnote_interrupts_is_quoted_whole_and_the_note_cited_on_its_page(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    filler = [[(TEXT, "Factors are vectors of levels, used to group the values of another.")]
              ] * 30
    pdf = pages_of([
        filler,
        [[(TEXT, "Ordered factors are stored with their levels in order. For most purposes")],
         [(TEXT, "the only difference between ordered"), (MARK, "2")],
         [], [],
         note("2", "Note that tapply() also works when its second argument is no factor.")],
        [[(TEXT, "and unordered factors is that the former are printed in order.")],
         [(TEXT, "Contrasts are chosen by the options of the session.")]] + filler,
    ])
    service = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        service.ingest_bytes("intro.pdf", pdf, "upload:intro.pdf")
        answer = service.ask("What is the difference between ordered and unordered factors?")
        assert ("For most purposes the only difference between ordered and unordered factors "
                "is that the former are printed in order.") in " ".join(answer.text.split())
        assert "tapply" not in answer.text
        assert answer.citations[answer.cited[0] - 1].page == 2
        answer = service.ask("Does tapply() work when its second argument is no factor?")
        assert "Note that tapply() also works" in answer.text
        assert answer.citations[answer.cited[0] - 1].page == 2
    finally:
        service.close()


FILLER = [[(TEXT, "Several BLAS libraries can be used by R, each with its own speed.")]] * 30


@pytest.mark.parametrize("opening", [
    # a hyphenated word first
    [[(TEXT, "update-alternatives to switch between the available BLAS libraries.")]],
    # the first word alone on its line
    [[(TEXT, "or")], [(TEXT, "update-alternatives --config libblas.so.3")],
     [(TEXT, "see the wiki for the libraries each system offers.")]],
], ids=["hyphenated", "line-break"])
def test_a_page_going_on_with_the_sentence_of_a_page_with_footnotes_opens_inside_it(
        embedder, opening: list[Line]) -> None:
    """The blank line between a page's text and its footnotes ends no paragraph: the next
    page's opening words go on with the page's last sentence."""
    pdf = pages_of([
        [[(TEXT, "Debian systems provide a way to switch the BLAS in use: build R with")],
         [(TEXT, "the reference BLAS"), (MARK, "3"), (TEXT, ", and then use")],
         [], [],
         note("3", "The search order is OpenBLAS, BLIS, ATLAS and finally a generic one.")],
        opening + FILLER,
    ])
    document = load_bytes(Path("admin.pdf"), pdf)
    assert document.pages[0].notes  # the note is told apart from the page's text
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(document)
    assert [(c.page, c.opens_inside_sentence) for c in chunks if c.page == 2][:1] == [(2, True)]


def test_words_that_go_on_over_a_page_with_footnotes_are_quoted_once(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    pdf = pages_of([
        FILLER,
        [[(TEXT, "Debian systems provide a way to switch the BLAS in use: build R with")],
         [(TEXT, "the reference BLAS"), (MARK, "3"), (TEXT, ", and then use")],
         [], [],
         note("3", "The search order is OpenBLAS, BLIS, ATLAS and finally a generic one.")],
        [[(TEXT, "update-alternatives to switch between the available BLAS libraries.")],
         [(TEXT, "Fedora offers FlexiBLAS, a similar mechanism for switching.")]] + FILLER,
    ])
    service = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        service.ingest_bytes("admin.pdf", pdf, "upload:admin.pdf")
        answer = service.ask("update-alternatives to switch BLAS")
        said = " ".join(answer.text.split())
        assert "and then use update-alternatives to switch between the available BLAS" in said
        assert said.count("to switch between the available BLAS libraries") == 1
    finally:
        service.close()


def test_a_footnote_opening_in_lower_case_is_no_sentence_to_quote(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    """"such as being unable to find -lm." goes on with the sentence its mark stands in."""
    pdf = pages_of([
        FILLER,
        [[(TEXT, "The value of lm() is a fitted model object, a list of results of class lm.")],
         [(TEXT, "Some compilers may fail to link the maths library"), (MARK, "10"),
          (TEXT, ".")],
         [], [],
         note("10", "such as being unable to find -lm.")],
    ])
    document = load_bytes(Path("admin.pdf"), pdf)
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(document)
    notes = [c for c in chunks if c.text == "such as being unable to find -lm."]
    assert [c.opens_inside_sentence for c in notes] == [True]
    service = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        service.ingest_bytes("admin.pdf", pdf, "upload:admin.pdf")
        answer = service.ask("What is lm unable to find?")
        assert "such as being unable" not in answer.text
    finally:
        service.close()
