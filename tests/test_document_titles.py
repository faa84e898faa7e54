"""A question that names a document ("the Apache License", "the R FAQ") is asked of that
document: its title's words hold for every passage of it, so the passage that answers comes
first, not the one repeating the document's name (the sample library, searched and answered
as the app does)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.service import RagService


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
    # a section of the chapter: "6.1 Is there Emacs support for R?", "6.2 Should I run R
    # from within Emacs?"
    assert first.title == "R-FAQ" and re.search(r"^6\.\d .*Emacs", first.text, re.MULTILINE)


def test_a_fact_in_a_model_cards_front_matter_is_found_and_cited(sample_library) -> None:
    """The model card says its license only in its front matter ("license: apache-2.0"),
    which the Apache License's own text and the R FAQ's "R is released under the GNU General
    Public License" must not answer for. A question naming the field and the document asks
    for it, as one naming an entry of a list asks for that entry: no warning that the
    documents do not seem to answer."""
    question = "What license is all-MiniLM-L6-v2 released under?"
    hits = sample_library.search(question, top_k=5)
    assert ("all-MiniLM-L6-v2", "front matter", "license: apache-2.0") in [
        (hit.title, hit.locator, hit.text) for hit in hits]
    answer = sample_library.ask(question)
    text = "".join(answer)
    assert (cited := re.match(r"license: apache-2\.0 \[(\d)\]", text))  # no warning
    assert answer.citations[int(cited.group(1)) - 1].locator == "front matter"


def test_a_question_naming_a_fields_value_is_not_answered_by_that_field(sample_library) -> None:
    """"What is the Apache License?" names the model card's field "license" and its value
    "apache-2.0": the line "license: apache-2.0" tells nothing the question does not, and is
    no entry of a list the question names. The license's own text answers."""
    answer = sample_library.ask("What is the Apache License?")
    text = "".join(answer)
    assert "license: apache-2.0" not in text, text
    first = int(re.search(r"\[(\d)\]", text).group(1))
    assert answer.citations[first - 1].source.endswith("apache-license-2.0.txt"), text


@pytest.mark.parametrize(("text", "question", "opening"), [
    ("Depot memo 5\n\nThe depot Gannet05 stores 355 pallets of salt. The depot manager is "
     "Rowan05 MacLeod.\n", "Who manages depot Gannet05?", "The depot Gannet05 stores"),
    ("Skara Brae visitor info\n\nThe entry fee is 9 pounds for adults. The site opens at "
     "09:30 every day of the year.\n", "What is the entry fee at Skara Brae?",
     "The entry fee is 9 pounds"),
])
def test_a_plain_text_files_first_line_is_its_title_not_a_sentence(
        service: RagService, tmp_path: Path, text: str, question: str, opening: str) -> None:
    """A few words set apart by a blank line, a figure or words in lower case among them:
    no title in title case, but the file's title all the same, never quoted."""
    (tmp_path / "note.txt").write_text(text)
    service.ingest([tmp_path / "note.txt"])
    assert service.ask(question).text.startswith(opening)
