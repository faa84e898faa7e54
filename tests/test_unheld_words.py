"""A question naming what the library never mentions (a product, an option) is told so
before the closest passages are quoted: the sample library, searched and answered as the app
does."""

from __future__ import annotations

from rag.providers.generators.extractive import hedge, not_mentioned
from rag.retrieval.retriever import UNHELD_LOOKUPS


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
    # an English word the model's vocabulary lacks is no product's name: its absence from
    # the library says nothing the closest passages do not
    assert retriever.unheld("Which ailment does the sender of a bug report describe?", []) == ()


def test_an_answer_says_the_documents_do_not_mention_an_unheld_word(sample_library) -> None:
    text = "".join(sample_library.ask("How do I filter rows with dplyr?"))
    assert hedge(text) == not_mentioned(["dplyr"])
    assert "[1]" in text.removeprefix(hedge(text))  # the closest passages, quoted all the same
    for question in ("What is the nogroup group?", "how do i convert factrs to numric"):
        assert hedge("".join(sample_library.ask(question))) is None, question


def test_a_question_of_many_unknown_words_looks_up_the_first_few(sample_library,
                                                                 monkeypatch) -> None:
    """A pasted text may hold hundreds of words the vocabulary does not know: each is a
    lookup in the library, so only the first UNHELD_LOOKUPS are looked up."""
    retriever = sample_library.retriever
    made_up = [f"zorblax{letter}qua" for letter in "abcdefghij"]
    looked_up: list[str] = []
    holds = retriever._holds
    monkeypatch.setattr(retriever, "_holds", lambda word: looked_up.append(word) or holds(word))
    found = retriever.unheld("Is " + " or ".join(reversed(made_up)) + "?", [])
    assert found == tuple(reversed(made_up))[:UNHELD_LOOKUPS] and looked_up == list(found)


def test_a_code_or_name_the_library_never_writes_as_asked_is_unheld(sample_library) -> None:
    """A code's pieces are ordinary words and numbers that the library holds elsewhere
    ("all", "MiniLM", "v2"): the code is unheld unless a passage writes it whole, separators
    aside; and held a letter apart it is another code, not a slip."""
    retriever = sample_library.retriever
    assert retriever.unheld("Which tokenizer does all-MiniLM-L6-v2 use?", []) == ()
    assert retriever.unheld("What is attention_mask for?", []) == ()
    assert retriever.unheld("Which tokenizer does all-MiniLM-L12-v2 use?", []) == (
        "all-MiniLM-L12-v2",)
    assert retriever.unheld("What does input_mask_summed hold?", []) == ("input_mask_summed",)
    # a number with its unit is written with a space as often as without: no code
    assert retriever.unheld("Is it 5mm long?", []) == ()
    text = "".join(sample_library.ask("What is the license of all-MiniLM-L12-v2?"))
    assert hedge(text) == not_mentioned(["all-MiniLM-L12-v2"])


def test_a_file_named_in_the_question_is_held_by_its_passages(sample_library) -> None:
    """A question may name a document by its file: its passages write that name, though
    their text and title do not."""
    retriever = sample_library.retriever
    asked = "What does apache-license-2.0.txt say about patents?"
    hits = retriever.search(asked, 5)
    assert retriever.unheld(asked, hits) == ()
    assert retriever.unheld(asked, []) == ()  # nor when the passages given are others'
    assert retriever.unheld("What does apache-license-3.0.txt say about patents?", hits) == (
        "apache-license-3.0.txt",)
    assert "do not mention" not in "".join(sample_library.ask(asked))


def test_a_code_written_with_brackets_is_never_quoted_cut(sample_library) -> None:
    """"4(d)" is the license's section 4, item (d): no piece of it ("4(d") is said to be
    missing from the documents."""
    asked = "Does section 4(d) apply to me?"
    assert sample_library.retriever.unheld(asked, []) == ()
    assert "do not mention" not in "".join(sample_library.ask(asked))


def test_a_name_the_vocabulary_knows_and_the_library_never_writes_is_unheld(
        sample_library) -> None:
    """"CUDA" and "GPU" are words of the model's vocabulary, written as names are (in
    capitals): the sample documents never write them, and the question shares its other
    words with the R FAQ. Names the library writes, and everyday words it does not, are
    never said to be unmentioned."""
    retriever = sample_library.retriever
    asked = "How does R's garbage collector handle CUDA GPU memory?"
    assert retriever.unheld(asked, retriever.search(asked, 5)) == ("CUDA", "GPU")
    text = "".join(sample_library.ask(asked))
    assert hedge(text) == not_mentioned(["CUDA", "GPU"])
    assert retriever.unheld("Which GPUs does the MiniLM model run on?", []) == ("GPUs",)
    for held in ("Does R run on Windows?", "What does the Apache License say about patents?",
                 "Does an automobile handle memory?", "WHAT IS CUDA?"):
        assert retriever.unheld(held, retriever.search(held, 5)) == (), held
