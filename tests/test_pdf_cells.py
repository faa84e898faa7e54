"""A PDF's columns that its text layer runs together: a table's rows kept apart, each its own
paragraph, and a description list's term kept with its description, an item of the list
("• lm: Using ...")."""

from __future__ import annotations

from pathlib import Path

from ingest.loaders import load_bytes
from rag.text.sentences import sentences, split
from tests.conftest import shared_path
from tests.pdfgen import HELVETICA_BOLD, placed_pdf

BEFORE = "We sell these models in the shop, and these are their figures:"
AFTER = "That is all for the models we sell in the shop this year."


def _sentences(lines: list[tuple]) -> list[str]:
    text = load_bytes(Path("list.pdf"), placed_pdf(lines)).pages[0].text
    return [piece.text for piece in split(text)]


def _table(header_font: str | None) -> list[tuple]:
    header = [(40, 720, "Model"), (150, 720, "Power"), (250, 720, "Price")]
    if header_font:
        header = [(x, y, text, header_font) for x, y, text in header]
    return [(40, 740, BEFORE), *header,
            (40, 706, "Kettle K2"), (150, 706, "2200 W"), (250, 706, "49.99 GBP"),
            (40, 692, "Toaster T4"), (150, 692, "900 W"), (250, 692, "35.00 GBP"),
            (40, 670, AFTER)]


def test_a_tables_rows_are_read_apart_and_named_by_a_bold_header() -> None:
    assert _sentences(_table(HELVETICA_BOLD)) == [
        BEFORE, "Model | Power | Price",
        "Model: Kettle K2; Power: 2200 W; Price: 49.99 GBP",
        "Model: Toaster T4; Power: 900 W; Price: 35.00 GBP", AFTER]


def test_a_table_without_a_bold_header_is_read_a_row_at_a_time() -> None:
    assert _sentences(_table(None)) == [
        BEFORE, "Model | Power | Price", "Kettle K2 | 2200 W | 49.99 GBP",
        "Toaster T4 | 900 W | 35.00 GBP", AFTER]


def test_a_description_lists_term_is_read_with_its_description() -> None:
    lines = [(40, 800, "We have provided the following alternatives for the fonts used:"),
             (40, 786, "times"), (100, 786, "Using standard PostScript fonts, Times Roman."),
             (100, 772, "This works well both for on-screen viewing and for printing."),
             (40, 758, "lm"), (100, 758, "Using the Latin Modern fonts. These are rare."),
             (40, 744, "The default can be overridden by setting the variable R_RD4PDF.")]
    assert _sentences(lines) == [
        "We have provided the following alternatives for the fonts used:",
        "• times: Using standard PostScript fonts, Times Roman.",
        "This works well both for on-screen viewing and for printing.",
        "• lm: Using the Latin Modern fonts.", "These are rare.",
        "The default can be overridden by setting the variable R_RD4PDF."]


def test_a_list_whose_terms_are_not_all_words_is_read_one_way_throughout() -> None:
    lines = [(40, 800, "/"), (100, 800, "Division of the two numbers, binary"),
             (40, 786, "%o%"), (100, 786, "Outer product of the two, binary"),
             (40, 772, "--with-x"), (160, 772, "use the X Window System always")]
    text = load_bytes(Path("list.pdf"), placed_pdf(lines)).pages[0].text
    assert text.split("\n") == ["/ Division of the two numbers, binary",
                                "%o% Outer product of the two, binary",
                                "--with-x use the X Window System always"]


def test_prose_a_contents_entry_and_a_running_header_keep_their_words() -> None:
    lines = [(40, 800, "Chapter 2: Obtaining R"), (500, 800, "11"),
             (40, 780, "A.1.3"), (80, 780, "Character Strings in Oct-Files . . . . . . 41"),
             (40, 760, "The sizes are fixed for every build of the program, as said.")]
    text = load_bytes(Path("list.pdf"), placed_pdf(lines)).pages[0].text
    assert text.split("\n") == ["Chapter 2: Obtaining R 11",
                                "A.1.3 Character Strings in Oct-Files . . . . . . 41",
                                "The sizes are fixed for every build of the program, as said."]


def _manual_page(name: str, number: int) -> str:
    import pypdfium2 as pdfium

    from ingest.formats.pdf import page_text

    document = pdfium.PdfDocument(shared_path("data", "pdfs", "real", name))
    try:
        return page_text(document[number - 1])
    finally:
        document.close()


def test_r_admins_font_options_read_as_terms_with_their_descriptions() -> None:
    said = sentences(_manual_page("R-admin.pdf", 11))
    assert "• lm: Using the Latin Modern fonts." in said
    assert "• times: (The default.)" in said
