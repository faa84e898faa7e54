"""PDFs in right-to-left scripts, as Chromium prints them: pdfium reads many of their Arabic and
Persian words letter-reversed, and those pages are stored as pypdf reads them, in order."""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import pytest

from ingest.formats.pdf_rtl import misordered, tidied
from ingest.loaders import load_bytes
from rag.engine.pages import render_page
from rag.service import RagService

# printed by Chromium with DejaVu Sans (tests/data/make_chromium_pdfs.py): page 1 Arabic,
# page 2 Persian, page 3 Hebrew, each a sentence or two; page 4 Arabic with figures and a
# Latin word
RTL_PDF = Path(__file__).parent / "data" / "rtl_chromium.pdf"
ARABIC = "يقع المسجد الأقصى في القدس. بني في القرن السابع"
PERSIAN = "کتابخانه ملی ایران در تهران است. ساختمان آن بسیار"
HEBREW = "הכותל המערבי נמצא בירושלים. הוא נבנה על ידי"


def _stored_pages() -> dict[int, str]:
    document = load_bytes(RTL_PDF, RTL_PDF.read_bytes())
    return {page.number or 0: unicodedata.normalize("NFKC", page.text)
            for page in document.pages}


def test_arabic_and_persian_pages_are_stored_in_reading_order() -> None:
    pages = _stored_pages()
    assert ARABIC in pages[1] and pages[1].endswith("السابع.")  # its stop at its end
    assert PERSIAN in pages[2]
    # pdfium reads Hebrew from Chromium in order: its text is kept, full stop at the end
    assert pages[3].startswith(HEBREW) and pages[3].endswith(".")


def test_pdfiums_order_is_judged_by_where_the_letters_stand() -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(RTL_PDF.read_bytes())
    try:
        judged = []
        for page in pdf:
            textpage = page.get_textpage()
            judged.append(misordered(textpage))
            textpage.close()
            page.close()
    finally:
        pdf.close()
    assert judged == [True, True, False, True]


def test_a_word_of_an_arabic_or_persian_pdf_is_found_by_keyword(service: RagService) -> None:
    service.ingest_bytes("rtl.pdf", RTL_PDF.read_bytes(), "upload:rtl.pdf")
    # pypdf runs a figure or a Latin word into the Arabic beside it ("مارس12"): set apart
    for query, page in [("المسجد الأقصى", 1), ("السابع", 1), ("کتابخانه", 2), ("مارس", 4),
                        ("Linux", 4), ("2020", 4), ("العقد", 4)]:
        hits = service.search(query, top_k=1, mode="sparse")
        assert [hit.page for hit in hits] == [page], query


def test_the_page_view_highlights_a_passage_stored_in_reading_order() -> None:
    stored = _stored_pages()[1]
    rendered = render_page(RTL_PDF.read_bytes(), 1, stored)
    assert rendered.highlighted


def test_a_lines_closing_stop_drawn_at_its_start_goes_back_to_its_end() -> None:
    assert tidied(". مرحبا بالعالم\nLatin line.\n") == "مرحبا بالعالم.\nLatin line.\n"
    assert tidied("؟  ما هذا  \n") == "ما هذا؟\n"


@pytest.mark.parametrize("line", [
    "." * 2**17, ". " + " " * 2**17 + "x", ". ا" + " " * 2**17, "." * 2**17 + " ا",
], ids=["stops", "spaces after a stop", "spaces after a letter", "stops before a letter"])
def test_a_hostile_line_of_stops_and_spaces_is_tidied_in_linear_time(line: str) -> None:
    started = time.perf_counter()
    tidied(line + "\n")
    assert time.perf_counter() - started < 5.0  # a quadratic scan takes minutes
