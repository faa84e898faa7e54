"""Answers over small manuals written as PDFs by hand: a title page's copyright notices, a
name of several words the library writes each word of apart, and an example whose lead-in
says nothing, each as the R FAQ has them (test_faq_questions.py asks the FAQ itself)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.providers.generators.extractive import hedge, not_mentioned
from rag.service import build_service
from tests.conftest import fresh_settings
from tests.pdfgen import make_pdf, tex_copyright_pdf

LEGALESE = ["1.1 Legalese", "Copyright © 1998-2020 Kurt Hornik",
            "Copyright © 2021-2022 R Core Team",
            "This document is free software; you can redistribute it and/or modify it under "
            "the terms", "of the GNU General Public License as published by the Free Software "
            "Foundation.", "This document is distributed in the hope that it will be useful."]
EQUALITY = ("7.31 Why doesn't R think these numbers are equal?\n\n"
            "The only numbers that can be represented exactly in R's numeric type are "
            "integers and\nfractions whose denominator is a power of 2. All other numbers "
            "are internally rounded to\n(typically) 53 binary digits accuracy.")
EXAMPLE = ("Here is another example, this time using addition:\nR> .1 + .2 == .3\n[1] FALSE\n"
           "R> .1 + .2 - .3\n[1] 5.551115e-17\nR> .3 + .6 == .9\n[1] FALSE")
WORLD = ("R runs on every major platform in the world. A cup of coffee is how most of its "
         "bugs are found.")


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory, embedder, model_dir: Path):
    folder = tmp_path_factory.mktemp("manual")
    (folder / "docs").mkdir()
    (folder / "docs" / "legalese.pdf").write_bytes(tex_copyright_pdf(LEGALESE))
    (folder / "docs" / "faq.pdf").write_bytes(make_pdf([EQUALITY, EXAMPLE, WORLD]))
    service = build_service(fresh_settings(folder, model_dir), embedder=embedder)
    service.ingest([folder / "docs"])
    yield service
    service.close()


def test_a_licence_sentence_is_quoted_without_the_notices_above_it(manual) -> None:
    text = "".join(manual.ask("Is this document free software?"))
    assert text.startswith("This document is free software; you can redistribute it and/or "
                           "modify it under the terms of the GNU General Public License as "
                           "published by the Free Software Foundation. [1]"), text
    assert "©c" not in text and "R Core Team This document" not in text


def test_a_name_of_words_the_library_writes_apart_is_said_unmentioned_whole(manual) -> None:
    asked = "Who won the 2022 World Cup?"
    assert manual.retriever.unheld(asked, manual.search(asked, 5)) == ("World Cup",)
    assert hedge("".join(manual.ask(asked))) == not_mentioned(["World Cup"])
    # the words written in a row, in any case, are held
    assert manual.retriever.unheld("Does R run on the Major Platform?", []) == ()


def test_an_example_whose_lead_in_says_nothing_comes_after_the_sentence_explaining(
        manual) -> None:
    text = "".join(manual.ask("Why does 0.1 + 0.2 not equal 0.3 in R?"))
    explains = text.find("The only numbers that can be represented exactly")
    example = text.find("Here is another example, this time using addition:")
    assert 0 <= explains < example, text  # the example still comes, after it
