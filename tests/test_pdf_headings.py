"""Headings a PDF draws larger than its text: a paragraph of their own, not the start of the
sentence under them ("Impeller Replace the impeller ..."), whether or not they are numbered."""

from __future__ import annotations

from pathlib import Path

from ingest.loaders import load_bytes
from rag.service import RagService
from rag.text.sentences import is_heading, sentences
from tests.conftest import shared_path
from tests.pdfgen import HELVETICA_BOLD, STEMS_BOLD, STEMS_ROMAN, sized_pdf

BODY = [(10, "Replace the impeller after 2000 hours of use. Use only genuine spare"),
        (10, "parts, and tighten the housing screws by hand before the first start."),
        (10, "A worn impeller shows as a drop in pressure and a rattle at full speed."),
        (10, "Keep a spare impeller in the workshop so that the pump is never idle.")]


def text_of(lines: list[tuple[float, str]]) -> str:
    return load_bytes(Path("manual.pdf"), sized_pdf(lines)).pages[0].text


def test_a_heading_drawn_larger_is_a_paragraph_of_its_own() -> None:
    text = text_of([(16, "Impeller"), *BODY])
    assert text.startswith("Impeller\n\nReplace the impeller after 2000 hours of use.")


def test_a_heading_wrapped_over_two_lines_stays_one() -> None:
    text = text_of([(10, "The pump needs little care."), (14, "How often should the impeller"),
                    (14, "be replaced?"), *BODY])
    assert "\n\nHow often should the impeller\nbe replaced?\n\nReplace the impeller" in text


def test_a_heading_wrapped_where_its_first_line_is_full_stays_one() -> None:
    """An FAQ's question wraps where its line is full: the first line is long, the last
    short; a chapter's heading drawn larger right above it is set apart with it."""
    text = text_of([(10, "The pump needs little care."), (18, "7 Pumps"),
                    (14, "7.32 How can I tell when the impeller of my pump is worn"),
                    (14, "through?"), *BODY])
    assert ("\n\n7 Pumps\n7.32 How can I tell when the impeller of my pump is worn\n"
            "through?\n\nReplace the impeller") in text


def test_large_lines_that_are_no_heading_stay_in_their_paragraph() -> None:
    # a sentence set large (it ends with a stop), and a line going on in lower case
    text = text_of([(16, "Never run the pump dry."), *BODY[:2],
                    (16, "The housing screws are tightened"), (10, "by hand, never with a tool."),
                    *BODY[2:]])
    assert "\n\n" not in text


def test_a_bold_heading_is_one_above_a_line_going_on_in_lower_case() -> None:
    """A section may open on a command's name ("configure has many options"): a line set
    bold, as TeX's bold extended (known by its stems) or Helvetica-Bold is, is a heading
    whatever the case of the line after it."""
    configure = [(10, "configure has many options: running it with --help lists them all."),
                 (10, "The most important ones are described in this section, with defaults."),
                 (10, "Each option may be given in the environment or on the command line.")]
    for bold in (STEMS_BOLD, HELVETICA_BOLD):
        text = text_of([(14, "B.1 Configuration options", bold), *configure])
        assert text.startswith("B.1 Configuration options\n\nconfigure has many options"), bold


def test_a_large_line_in_a_roman_face_going_on_in_lower_case_stays_in_its_paragraph() -> None:
    text = text_of([*BODY[:2], (16, "The housing screws are tightened", STEMS_ROMAN),
                    (10, "by hand, never with a tool."), *BODY[2:]])
    assert "\n\n" not in text


def test_text_set_larger_than_a_long_listing_on_its_page_is_no_heading() -> None:
    listing = [(8, f"pump-{n} impeller IM-{40 + n} pressure {n * 10} kPa status ok serial "
                   f"{1000 + n}") for n in range(20)]
    text = text_of([*BODY[:2], (10, "The status of each pump is listed by"), *listing, *BODY[2:]])
    assert "\n\n" not in text


def test_the_answer_quotes_the_sentence_under_a_heading_without_it(
        service: RagService, tmp_path: Path) -> None:
    path = tmp_path / "pump.pdf"
    path.write_bytes(sized_pdf([(16, "Impeller"), *BODY]))
    service.ingest([path])
    answer = "".join(service.ask("When should the impeller be replaced?"))
    assert answer.startswith("Replace the impeller after 2000 hours of use.")


def test_r_ints_section_titled_by_a_word_of_figures_is_a_heading() -> None:
    import pypdfium2 as pdfium

    from ingest.formats.pdf import page_text

    document = pdfium.PdfDocument(shared_path("data", "pdfs", "real", "R-ints.pdf"))
    try:
        said = sentences(page_text(document[75]))
    finally:
        document.close()
    assert "12.2 64-bit types" in said
    assert is_heading("12.2 64-bit types")
