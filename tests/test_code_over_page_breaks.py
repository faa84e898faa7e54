"""A program that a PDF's page break cuts, its first lines ending one page and its rest
opening the next, is quoted whole as one block, citing both pages: the loader fences code page
by page, and each page's part alone would not parse."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from rag.retrieval.introduced_code import with_following_code
from rag.service import RagService, build_service
from tests.conftest import fresh_settings, shared_path
from tests.pdfgen import typed_pages_pdf

FIRST_LINES = ["function disp (p)", "a = p.poly;", "first = true;", "for i = 1 : length (a);",
               "if (a(i) != 0)"]
REST_LINES = ["if (first)", "first = false;", "elseif (a(i) > 0)", 'printf (" +");', "endif",
              'printf (" %.5g", abs (a(i)));', "endif", "endfor", 'printf ("\\n");',
              "endfunction"]
QUESTION = "What does the disp method of the polynomial class look like?"


def _typed(lines: list[str]) -> list[str]:
    """The lines as a manual sets an example: indented, in a typewriter font."""
    return [f"\t`{line}" for line in lines]


def _manual(after_break: list[str]) -> bytes:
    """A page of other matter, then a page ending on the first lines of a program, then a
    page opening with `after_break`."""
    return typed_pages_pdf([
        ["Classes in Octave keep their data in fields that only their methods may read."] * 40,
        ["Displaying a class.",
         "The disp method is used by Octave whenever a class should be displayed on the screen.",
         "An example of a disp method for the polynomial class might be",
         *_typed(FIRST_LINES)],
        after_break])


NEXT_PAGE = [*_typed(REST_LINES),
             "To be consistent with the graphic handle classes, a class should also define the",
             "get and set methods, which read and change the properties of its objects."]


@pytest.fixture
def library(embedder, model_dir: Path, tmp_path: Path):
    service = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    yield service
    service.close()


def test_a_program_cut_by_a_page_break_is_quoted_whole_citing_both_pages(
        library: RagService) -> None:
    library.ingest_bytes("classes.pdf", _manual(NEXT_PAGE), "upload:classes.pdf")
    answer = library.ask(QUESTION)
    text = answer.text
    program = "\n".join(["```", *FIRST_LINES, *REST_LINES, "```"])
    assert program in text, text
    numbers = {answer.citations[n - 1].page: n for n in answer.cited}
    assert f"{program}\n[{numbers[2]}] [{numbers[3]}]" in text, text


def test_the_rest_of_a_program_is_read_from_the_store_when_the_search_missed_it(
        library: RagService) -> None:
    library.ingest_bytes("classes.pdf", _manual(NEXT_PAGE), "upload:classes.pdf")
    hits = library.search("What does the disp method of the polynomial class do?")
    first = next(hit for hit in hits if hit.page == 2)
    found = with_following_code([first], library.retriever.store)
    assert [hit.page for hit in found] == [2, 3]
    assert found[1].text == "\n".join(["```", *REST_LINES, "```"])
    assert found[0].code_goes_on == found[1].chunk_id


def test_a_program_ending_its_page_before_a_page_of_prose_is_quoted_as_it_is(
        library: RagService) -> None:
    """The next page opens with words: the program ended with its page."""
    prose = ["Octave calls the display method of a class to show an object with its name, and",
             "the disp method to show its value alone, without the name of the variable."]
    library.ingest_bytes("classes.pdf", _manual([*prose, *_typed(REST_LINES)]),
                         "upload:classes.pdf")
    hits = library.search("What does the disp method of the polynomial class do?")
    first = next(hit for hit in hits if hit.page == 2)
    assert with_following_code([first], library.retriever.store) == [first]


@pytest.mark.slow
def test_octaves_disp_example_over_a_page_break_is_quoted_whole(library: RagService,
                                                                 tmp_path: Path) -> None:
    """The Octave manual's disp method for its polynomial class, begun at the foot of page
    907 and ended on page 908, in a copy of pages 898 to 917 (its pages 10 and 11): enough
    pages for their running headers to be told from their text."""
    reader = PdfReader(shared_path("data", "pdfs", "real", "octave.pdf"))
    writer = PdfWriter()
    for index in range(897, 917):
        writer.add_page(reader.pages[index])
    buffer = io.BytesIO()
    writer.write(buffer)
    library.ingest_bytes("octave.pdf", buffer.getvalue(), "upload:octave.pdf")
    answer = library.ask("What does the disp function do?")
    text = answer.text
    assert "if (a(i) != 0)\nif (first)\nfirst = false;" in text, text
    assert 'printf ("\\n");\nendfunction\n```' in text, text
    cited = {answer.citations[n - 1].page for n in answer.cited}
    assert {10, 11} <= cited, text
