"""Sentences cut by their own language's rules (`rag.text.languages`): its abbreviations end
no sentence, as English's do not."""

from __future__ import annotations

import tracemalloc

import pytest

from rag.text.languages import sentence_language
from rag.text.sentences import sentences


@pytest.mark.parametrize(("text", "expected"), [
    ("Музей основан в 1852 г. в Санкт-Петербурге. Директор музея — проф. Иванов И. И., т. е. "
     "известный историк.",
     ["Музей основан в 1852 г. в Санкт-Петербурге.",
      "Директор музея — проф. Иванов И. И., т. е. известный историк."]),
    # "and so on" ends its sentence before a capital, and goes on before a word in lower case
    ("На складе были яблоки, груши, сливы и т. д. Потом привезли молоко. Шкафы, столы и т.п. "
     "Всё продали за день, чашки и т. д. и тарелки тоже.",
     ["На складе были яблоки, груши, сливы и т. д.", "Потом привезли молоко.",
      "Шкафы, столы и т.п.", "Всё продали за день, чашки и т. д. и тарелки тоже."]),
    ("Der Geschäftsführer ist Dr. Hans Müller, geb. 1965 in Köln. Die Firma hat ca. 200 "
     "Mitarbeiter, u. a. in Berlin.",
     ["Der Geschäftsführer ist Dr. Hans Müller, geb. 1965 in Köln.",
      "Die Firma hat ca. 200 Mitarbeiter, u. a. in Berlin."]),
    ("Le directeur est M. Dupont depuis 2019. Le siège est au 12, av. des Champs-Élysées, "
     "env. 300 m du métro.",
     ["Le directeur est M. Dupont depuis 2019.",
      "Le siège est au 12, av. des Champs-Élysées, env. 300 m du métro."]),
    ("Τι είναι η Ακρόπολη; Είναι ένας βράχος στην Αθήνα. Ο κ. Παπαδόπουλος είναι ο διευθυντής.",
     ["Τι είναι η Ακρόπολη;", "Είναι ένας βράχος στην Αθήνα.",
      "Ο κ. Παπαδόπουλος είναι ο διευθυντής."]),
    ("Il Sig. Rossi abita in via Roma, che è vicino al centro. Il dott. Bianchi non è il "
     "medico della famiglia.",
     ["Il Sig. Rossi abita in via Roma, che è vicino al centro.",
      "Il dott. Bianchi non è il medico della famiglia."]),
    ("Hij gaat elke dag naar zijn werk, o.a. met de fiets. Mevr. de Vries is de directeur "
     "van het bedrijf en zij woont in Utrecht met haar familie.",
     ["Hij gaat elke dag naar zijn werk, o.a. met de fiets.",
      "Mevr. de Vries is de directeur van het bedrijf en zij woont in Utrecht met haar "
      "familie."]),
    ("A empresa fica na Av. Paulista, em São Paulo. O Sr. Silva é o diretor da empresa que "
     "não tem filiais.",
     ["A empresa fica na Av. Paulista, em São Paulo.",
      "O Sr. Silva é o diretor da empresa que não tem filiais."]),
    ("Он был учёным. Т. е. он изучал звёзды всю жизнь.",
     ["Он был учёным.", "Т. е. он изучал звёзды всю жизнь."]),
])
def test_a_language_s_abbreviations_end_no_sentence(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_english_stays_english_whatever_names_it_quotes() -> None:
    """A passage naming "Notre-Dame de Paris" or "Die Hard" is English all the same."""
    text = ("The cathedral of Notre-Dame de Paris was built in the 12th century. It is one of "
            "the best known churches of the world, and the film Die Hard was not shot there. "
            "Mr. Smith met Dr. Jones at 3 p.m. to discuss the U.S. economy, e.g. inflation.")
    assert sentence_language(text) == "en"
    assert sentences(text)[-1] == ("Mr. Smith met Dr. Jones at 3 p.m. to discuss the U.S. "
                                   "economy, e.g. inflation.")
    assert sentence_language("Das ist gut.") == "en"  # too few words to tell


def test_a_documents_language_is_remembered_by_its_opening_not_its_whole_text() -> None:
    """Every document's text is asked for its language: the answers remembered must not keep
    each whole text alive."""
    tracemalloc.start()
    try:
        text = "Ceci est une phrase de la documentation. " * 100_000 + "Fin."  # 4 MB
        held_before = tracemalloc.get_traced_memory()[0]
        assert sentence_language(text) == "fr"
        del text
        assert tracemalloc.get_traced_memory()[0] - held_before < 0  # the text went
    finally:
        tracemalloc.stop()
