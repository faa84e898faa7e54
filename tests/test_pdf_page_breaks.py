"""A sentence that runs from one PDF page onto the next is quoted whole, citing the page
where it starts."""

from __future__ import annotations

from pathlib import Path

from rag.service import build_service
from tests.conftest import fresh_settings
from tests.pdfgen import filler, make_pdf

START = "R comes with a front-end shell script. You can copy the script to a place where users"
END = "can invoke it, for example to /usr/local/bin."


def test_a_sentence_across_a_page_break_is_quoted_whole(embedder, model_dir: Path,
                                                        tmp_path: Path) -> None:
    pages = [filler("Installing R from its sources."), f"Installing R.\n{START}",
             f"{END}\nThe manual pages are installed too.\n" + filler("Packages.")]
    service = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        service.ingest_bytes("faq.pdf", make_pdf(pages, title="FAQ"), "upload:faq.pdf")
        answer = service.ask("Where can I copy the R front-end shell script so that users "
                             "can invoke it?")
        assert "to a place where users can invoke it, for example to /usr/local/bin." in \
            " ".join(answer.text.split())
        first = answer.citations[answer.cited[0] - 1]
        assert first.page == 2  # where the sentence starts
    finally:
        service.close()
