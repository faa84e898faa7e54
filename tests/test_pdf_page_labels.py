"""A PDF whose pages are labelled otherwise than their place in the file (a manual's front
matter numbered i, ii, ...) is cited by both: the place, which a viewer's "go to page" and
the app's page view take, and the label printed on the page."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from ingest.formats.pdf import _pypdf_read
from ingest.loaders import load_bytes
from rag.service import build_service
from tests.conftest import fresh_settings
from tests.pdfgen import filler, make_pdf

GASKET = "The snargle gasket must be replaced every four hundred hours of running."


def labelled_manual() -> bytes:
    """Six pages: two of front matter labelled i and ii, then 1 to 4; the gasket on page 4."""
    pages = [filler(f"Front matter part {n}.") for n in (1, 2)]
    pages += [filler(f"Chapter {n} covers the pump housing.") for n in (1, 2)]
    pages[3:3] = [GASKET + "\n" + filler("Maintenance of the gaskets.")]
    pages.append(filler("Index of parts."))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(pages, title="Pump"))))
    writer.set_page_label(0, 1, style="/r")
    writer.set_page_label(2, 5, style="/D", start=1)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_labelled_page_is_cited_by_its_place_and_its_label() -> None:
    doc = load_bytes(Path("pump.pdf"), labelled_manual())
    assert [(p.number, p.locator) for p in doc.pages] == [
        (1, "page 1 (labelled i)"), (2, "page 2 (labelled ii)"), (3, "page 3 (labelled 1)"),
        (4, "page 4 (labelled 2)"), (5, "page 5 (labelled 3)"), (6, "page 6 (labelled 4)")]


def test_pages_labelled_as_their_place_or_not_at_all_are_cited_as_before() -> None:
    doc = load_bytes(Path("plain.pdf"), make_pdf([filler("One."), filler("Two.")]))
    assert [(p.number, p.locator) for p in doc.pages] == [(1, None), (2, None)]


def test_pypdf_reads_the_labels_of_a_file_pdfium_cannot_open() -> None:
    read = _pypdf_read(Path("pump.pdf"), labelled_manual())
    assert read.labels == {1: "i", 2: "ii", 3: "1", 4: "2", 5: "3", 6: "4"}


def test_search_and_answer_cite_the_page_and_its_label(embedder, model_dir: Path,
                                                       tmp_path: Path) -> None:
    service = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        service.ingest_bytes("pump.pdf", labelled_manual(), "upload:pump.pdf")
        answer = service.ask("How often must the snargle gasket be replaced?")
        assert GASKET in answer.text
        first = answer.citations[answer.cited[0] - 1]
        assert (first.page, first.locator) == (4, "page 4 (labelled 2)")
    finally:
        service.close()


def test_a_label_keeps_only_its_printable_characters() -> None:
    from ingest.formats.pdf import labelled_page
    from rag.types import Page

    page = labelled_page(Page(2, "text"), "\x1b[31mRED\x1b[0m-7\n")
    assert page.locator == "page 2 (labelled [31mRED[0m-7)"
    spaced = labelled_page(Page(3, "text"), "Appendix\u00a0A\tii")
    assert spaced.locator == "page 3 (labelled Appendix A ii)"
