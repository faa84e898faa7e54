"""A page of two columns that its generator draws a line of each at a time: pdfium reads
the two lines at one height as one, and the page is read column by column instead."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

from ingest.formats.pdf_columns import column_reading
from ingest.loaders import load_bytes
from rag.engine.pages import render_page
from rag.service import RagService
from tests.pdfgen import placed_pdf

LEFT = ["The Gannet class ferry was launched in", "1998 at the Turku shipyard and it car-",
        "ries up to 510 passengers on the north-", "ern route every summer season. Its hull",
        "is made of welded steel plates by hand."]
RIGHT = ["The Puffin class ferry entered service", "in 2004 and carries up to 95 cars on",
         "the southern crossing between the two", "islands. Its engines were supplied by a",
         "Finnish maker near Vaasa in that year."]
TITLE = "Ferries of the northern archipelago: a short history of the fleet"
FOOTER = "Figures from the timetable the operator printed in 2004, reprinted with its permission."
RIGHT_X = 310


def _line_by_line(left: list[str], right: list[str]) -> list[tuple[float, float, str]]:
    placed = [(40.0, 790.0, TITLE)]
    for row, (one, other) in enumerate(zip(left, right, strict=True)):
        placed += [(40.0, 760.0 - 12 * row, one), (RIGHT_X, 760.0 - 12 * row, other)]
    return [*placed, (40.0, 680.0, FOOTER)]


def _page_text(data: bytes) -> str:
    return load_bytes(Path("ferries.pdf"), data).pages[0].text


def _read(data: bytes) -> object:
    pdf = pdfium.PdfDocument(data)
    try:
        textpage = pdf[0].get_textpage()
        return column_reading(textpage)
    finally:
        pdf.close()


def test_columns_drawn_line_by_line_are_read_one_column_after_the_other() -> None:
    lines = _page_text(placed_pdf(_line_by_line(LEFT, RIGHT))).splitlines()
    assert lines[0] == TITLE  # a line across the gutter stays where it stands
    assert lines[-1] == FOOTER
    # a word a column's line end breaks is joined, as pdfium joins one at a page's line end
    assert " ".join(lines[1:-6]) == (
        "The Gannet class ferry was launched in 1998 at the Turku shipyard and it carries up "
        "to 510 passengers on the northern route every summer season. Its hull is made of "
        "welded steel plates by hand.")
    assert lines[-6:-1] == RIGHT


def test_the_answer_quotes_the_right_columns_sentence_whole(service: RagService) -> None:
    service.ingest_bytes("ferries.pdf", placed_pdf(_line_by_line(LEFT, RIGHT)),
                         "upload:ferries.pdf")
    answer = service.ask("How many cars does the Puffin class ferry carry?")
    assert ("The Puffin class ferry entered service in 2004 and carries up to 95 cars on the "
            "southern crossing between the two islands.") in answer.text
    assert "launched in The Puffin" not in answer.text  # as pdfium reads the page


def test_columns_drawn_column_by_column_are_read_as_pdfium_reads_them() -> None:
    placed = [(40.0, 760.0 - 12 * row, line) for row, line in enumerate(LEFT)]
    placed += [(RIGHT_X, 760.0 - 12 * row, line) for row, line in enumerate(RIGHT)]
    data = placed_pdf(placed)
    assert _read(data) is None
    assert _page_text(data).splitlines()[-5:] == RIGHT


def test_a_table_of_short_cells_drawn_row_by_row_keeps_its_rows() -> None:
    rows = [("R.h", "includes many other files"), ("Rinternals.h", "definitions for using R"),
            ("Rmath.h", "standalone math library"), ("Rversion.h", "R version information"),
            ("Rembedded.h", "for add-on front-ends"), ("R_ext/BLAS.h", "C definitions for BLAS")]
    placed = []
    for row, (name, meaning) in enumerate(rows):
        placed += [(40.0, 760.0 - 12 * row, name), (200.0, 760.0 - 12 * row, meaning)]
    data = placed_pdf(placed)
    assert _read(data) is None
    # each row a description list's entry (`pdf_cells`)
    assert [line for line in _page_text(data).splitlines() if line] == [
        f"• {name}: {meaning}" for name, meaning in rows]


def test_a_wide_table_of_many_cells_drawn_row_by_row_keeps_its_rows() -> None:
    """Each row jumps over a gap between each of its cells: a table, not two columns, however
    long the cells on each side of the middle run."""
    placed = [(20.0 + 48 * column, 800.0 - 10 * row, f"r{row}c{column}")
              for row in range(60) for column in range(12)]
    data = placed_pdf(placed)
    assert _read(data) is None
    # each row its cells (`pdf_cells`)
    assert _page_text(data).splitlines()[0] == " | ".join(f"r0c{c}" for c in range(12))


def test_a_table_under_the_columns_keeps_its_rows() -> None:
    """A table of two cells a row under the text, its second cell where the right column
    stands: its rows leave the gutter clear, and are rows all the same."""
    placed = _line_by_line(LEFT, RIGHT)[:-1]  # no footer
    rows = [("Ship", "Passengers"), ("Gannet", "510"), ("Puffin", "300")]
    for row, (ship, carried) in enumerate(rows):
        placed += [(40.0, 690.0 - 12 * row, ship), (RIGHT_X, 690.0 - 12 * row, carried)]
    lines = _page_text(placed_pdf(placed)).splitlines()
    assert lines[-8:] == [*RIGHT, "Ship Passengers", "Gannet 510", "Puffin 300"]


def test_a_column_longer_than_the_other_ends_before_the_next_begins() -> None:
    left = [*LEFT, "A second hull was laid down in the spring of",
            "the year after, and it sails to this day."]
    placed = [(40.0, 790.0, TITLE)]
    for row, line in enumerate(left):  # the right column ends two lines above the left
        placed.append((40.0, 760.0 - 12 * row, line))
        if row < len(RIGHT):
            placed.append((RIGHT_X, 760.0 - 12 * row, RIGHT[row]))
    lines = _page_text(placed_pdf(placed)).splitlines()
    assert lines[-7:] == [*left[-2:], *RIGHT]


def test_a_footnote_mark_in_a_column_is_left_out() -> None:
    left = [*LEFT[:-1], "is made of welded steel^2 plates by hand."]
    assert "welded steel plates by hand." in _page_text(placed_pdf(_line_by_line(left, RIGHT)))


def test_the_page_view_highlights_a_passage_running_from_one_column_into_the_next() -> None:
    passage = ("northern route every summer season. Its hull is made of welded steel plates by "
               "hand. The Puffin class ferry entered service in 2004 and carries up to 95 cars on")
    rendered = render_page(placed_pdf(_line_by_line(LEFT, RIGHT)), 1, passage, scale=1.0)
    left = {box[1] for box in rendered.boxes if box[0] < RIGHT_X - 5}
    right = {box[1] for box in rendered.boxes if box[0] >= RIGHT_X - 5}
    assert len(left) == 3 and len(right) == 2  # the lines it covers in each column
