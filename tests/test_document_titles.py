"""A question that names a document ("the Apache License", "the R FAQ") is asked of that
document: its title's words hold for every passage of it, so the passage that answers comes
first, not the one repeating the document's name (the sample library, searched and answered
as the app does)."""

from __future__ import annotations


def test_the_license_section_the_question_asks_about_answers(sample_library) -> None:
    """The license's appendix ("How to apply the Apache License ...") and its title block
    say "Apache License" most often; the section on trademarks answers."""
    question = "What does the Apache License say about trademarks?"
    assert sample_library.search(question, top_k=5)[0].text.lstrip().startswith("6. Trademarks.")
    answer = "".join(sample_library.ask(question))
    assert answer.startswith("This License does not grant permission to use the trade names")


def test_the_faq_section_the_question_asks_about_comes_before_its_title_page(
        sample_library) -> None:
    """The R FAQ's title page says "R FAQ"; its chapter "R and Emacs" answers."""
    first = sample_library.search("What does the R FAQ say about Emacs?", top_k=5)[0]
    assert first.title == "R-FAQ" and "6.1 Is there Emacs support for R?" in first.text
