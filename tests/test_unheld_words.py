"""A question naming what the library never mentions (a product, an option) is told so
before the closest passages are quoted: the sample library, searched and answered as the app
does."""

from __future__ import annotations

from rag.providers.generators.extractive import hedge, not_mentioned


def test_a_word_no_passage_of_the_library_holds_is_unheld(sample_library) -> None:
    """"nogroup" is in the Debian page, even when no passage given holds it; "dplyr" is in
    no sample document; a word the vocabulary knows is never counted."""
    retriever = sample_library.retriever
    asked = "How do I use dplyr with the nogroup group in a license?"
    assert retriever.unheld(asked, []) == ("dplyr",)
    nogroup = [hit for hit in retriever.search("What is the nogroup group?", 5)
               if "nogroup" in hit.text]
    assert nogroup and retriever.unheld("What is the nogroup group?", nogroup) == ()
    assert retriever.unheld("What is the Kubernetes scheduler?", []) == ("Kubernetes",)


def test_an_answer_says_the_documents_do_not_mention_an_unheld_word(sample_library) -> None:
    text = "".join(sample_library.ask("How do I filter rows with dplyr?"))
    assert hedge(text) == not_mentioned(["dplyr"])
    assert "[1]" in text.removeprefix(hedge(text))  # the closest passages, quoted all the same
    for question in ("What is the nogroup group?", "how do i convert factrs to numric"):
        assert hedge("".join(sample_library.ask(question))) is None, question
