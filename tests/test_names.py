"""The words a question writes as names (in capitals, with a capital inside, capitalised
inside a sentence), and whether a text writes such a name in one of its forms."""

from __future__ import annotations

import pytest

from rag.text.names import named_runs, named_words, spells_out, writes_name


@pytest.mark.parametrize(("question", "named"), [
    ("How does R's garbage collector handle CUDA GPU memory?", ("CUDA", "GPU")),
    ("How do I connect Octave to PostgreSQL?", ("Octave", "PostgreSQL")),
    ("Which GPUs run my iPhone's apps, per Google's docs?", ("GPUs", "iPhone", "Google")),
    ("What is the Kubernetes scheduler? Does it run on CPU/GPU nodes?",
     ("Kubernetes", "CPU", "GPU")),
    # everyday words, a word opening a sentence and a Roman numeral are no names
    ("How does an automobile handle memory? Which car is it?", ()),
    ("What happened after World War II? Did US troops stay?", ("World", "War", "US")),
    # a dictionary's word in capitals is stressed, but a short one may be an acronym
    ("How OFTEN should I descale the kettle? It NEVER heats.", ()),
    ("Does the SAFE mode use RAM or the GPU?", ("RAM", "GPU")),
    # the question's case says nothing: all in capitals, or a title's
    ("WHAT IS CUDA?", ()),
    ("How Do I Bake Sourdough Bread?", ()),
    ("How Do I Bake Sourdough Bread With CUDA?", ("CUDA",)),
    # a code's pieces are the code's (`rag.text.identifiers`)
    ("Which tokenizer does all-MiniLM-L6-v2 use?", ()),
])
def test_names_are_the_words_written_as_names(question: str, named: tuple[str, ...]) -> None:
    assert named_words(question) == named


@pytest.mark.parametrize(("text", "name"), [
    ("Warsaw ranks ninth in the European Union.", "EU"),
    ("After World War II the city was rebuilt.", "WWII"),
    ("Graphics processing units are fast.", "GPUs"),
    ("The Department of Homeland Security gave the island money.", "DHS"),
])
def test_an_acronym_is_written_by_the_words_it_stands_for(text: str, name: str) -> None:
    assert spells_out(text, name)


def test_an_acronym_is_not_written_by_words_that_happen_to_open_with_its_letters() -> None:
    # two letters open two lower-case words in a row too often to count
    assert not spells_out("The running back ran.", "RB")
    assert not spells_out("The GNU project.", "GPU")


@pytest.mark.parametrize(("text", "name", "written"), [
    ("He moved to Australia in 1990.", "Australian", True),  # a variant
    ("Wang Zhiming grew up in a family of instrument makers.", "Wand", True),
    ("A passage about Pan Am Flight 103.", "Pam", True),
    ("Several GPUs were used.", "GPU", True),
    ("One GPU was used.", "GPUs", True),
    # a name in capitals a letter apart is another name, not the same written otherwise
    ("The GNU project.", "GPU", False),
    # a lower-case word a letter apart is no name's other spelling
    ("The wang of it.", "Wand", False),
    ("R's memory allocation is done in src/main/memory.c.", "CUDA", False),
])
def test_a_text_writes_a_name_in_one_of_its_forms(text: str, name: str, written: bool) -> None:
    assert writes_name(text, name) is written


def test_capitalised_words_in_a_row_are_one_name() -> None:
    assert named_runs("Who won the 2022 World Cup?") == ("World Cup",)
    assert named_runs("Is the New York Times printed in Queens?") == ("New York Times",)
    # a comma, a possessive or a word in lower case parts them; words in capitals and a
    # sentence's opening word are names each, or none
    assert named_runs("Is Paris, London or Rome bigger? Did Kurt Hornik's FAQ say?") == (
        "Kurt Hornik",)
    assert named_runs("Does CUDA GPU memory help? World Cup winners?") == ()
