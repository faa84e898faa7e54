"""Footnotes a PDF sets at a page's foot, smaller than its text, follow the page's text as
paragraphs of their own, without their numbers: the sentence the page's foot interrupts goes
on on the next page, not in them."""

from __future__ import annotations

from pathlib import Path

from ingest.loaders import load_bytes
from rag.service import build_service
from tests.conftest import fresh_settings
from tests.pdfgen import with_content_stream

TEXT, MARK = "/F1 11 Tf 0 Ts", "/F1 7 Tf 4 Ts"  # the text, and a mark raised in it
NOTE, NOTE_NUMBER = "/F1 9 Tf 0 Ts", "/F1 7 Tf 3 Ts"  # a footnote, and its number
SMALL_CODE = "/F2 9 Tf 0 Ts"

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
        [(NOTE_NUMBER, "4")],  # a number raised apart from its note's words reads as a line
        [(NOTE, "false positives are possible, but only a handful have been seen.")],
        [(TEXT, "12")],  # the page's number, at the text's size
    ]])
    assert text_of(pdf) == [(
        "The DESCRIPTION file holds basic information about the package, in\n"
        "the following format and in that order:\n12\n\n"
        "false positives are possible, but only a handful have been seen.",
        "false positives are possible, but only a handful have been seen.")]


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
