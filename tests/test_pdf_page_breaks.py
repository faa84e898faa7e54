"""A sentence that runs from one PDF page onto the next is quoted whole, citing the page
where it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.service import build_service
from tests.conftest import fresh_settings
from tests.pdfgen import filler, make_pdf

RUN_ONS = [
    # the next page goes on in lower case
    ("R comes with a front-end shell script. You can copy the script to a place where users",
     "can invoke it, for example to /usr/local/bin.",
     "Where can I copy the R front-end shell script so that users can invoke it?", " "),
    # the page stops on a word no sentence ends on, the next goes on with a name
    ("Octave's command line keeps the default Emacs bindings for editing. For the rest see the",
     "GNU Readline Library manual, which lists every key binding of the command line.",
     "Where are the key bindings of Octave's command line listed?", " "),
    # a line of prose stops without a stop, the next page goes on with a line of prose: the
    # rest of the address the page break cut
    ("You can check out the patched sources of R from https://svn.r-project.org/R/branches/",
     "R-x-y-branch/ (where x and y are the major and minor number of the release).",
     "Where can I check out the patched sources of R?", ""),
]


@pytest.mark.parametrize(("start", "end", "question", "joint"), RUN_ONS,
                         ids=["lower-case", "never-last", "prose-lines"])
def test_a_sentence_across_a_page_break_is_quoted_whole(embedder, model_dir: Path,
                                                        tmp_path: Path, start: str, end: str,
                                                        question: str, joint: str) -> None:
    # lines as wide as the last: a page break cuts a paragraph where a full line ends
    pages = [filler("Installing R from its sources."),
             "Installing R.\nThe sources of R are kept in a repository that anyone may read "
             "over the web,\nand every release has a branch of its own, patched until the "
             f"next release is made.\n{start}",
             f"{end}\nThe manual pages are installed too.\n" + filler("Packages.")]
    service = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        service.ingest_bytes("faq.pdf", make_pdf(pages, title="FAQ"), "upload:faq.pdf")
        answer = service.ask(question)
        assert f"{start.split('. ')[-1]}{joint}{end}" in " ".join(answer.text.split())
        first = answer.citations[answer.cited[0] - 1]
        assert first.page == 2  # where the sentence starts
    finally:
        service.close()


def test_a_paragraph_s_short_last_line_without_a_stop_ends_at_its_page_end(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    """A page set one paragraph to a page: the paragraph's last line, shorter than its
    others, ends it, stop or none, and the next page's paragraph is not carried back."""
    pages = [filler("Installing R from its sources."),
             "My old laptop finally died last week after eight years of faithful service\n"
             "and I had to pick a new one in a hurry before my exams started on Monday\n"
             "Thanks so much to everyone who helped me",
             "The shop assistant recommended a lighter model with a much longer battery life.\n"
             + filler("Laptops.")]
    service = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        service.ingest_bytes("posts.pdf", make_pdf(pages, title="Posts"), "upload:posts.pdf")
        answer = service.ask("What did the shop assistant recommend?")
        list(answer)
        first = answer.citations[answer.cited[0] - 1]
        assert first.page == 3, answer.text
        assert "who helped me The shop" not in " ".join(answer.text.split())
    finally:
        service.close()


def test_a_page_s_last_line_of_prose_without_a_stop_is_no_sentence_to_quote(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    """The next page opens a section of its own, so nothing finishes the sentence: its start
    is left out of the answer, not quoted as if it were whole."""
    pages = [filler("Installing R from its sources."),
             "Getting the sources.\nThe sources of R are kept in a Subversion repository.\n"
             "You can check out the patched sources of R from https://svn.r-project.org/R/branches/",
             "3.1 Installing packages\n\n" + filler("Packages are installed into libraries.")]
    service = build_service(fresh_settings(tmp_path, model_dir), embedder=embedder)
    try:
        service.ingest_bytes("admin.pdf", make_pdf(pages, title="Admin"), "upload:admin.pdf")
        answer = service.ask("Where can I check out the patched sources of R?")
        assert "Subversion repository" in answer.text
        assert "branches" not in answer.text
    finally:
        service.close()
