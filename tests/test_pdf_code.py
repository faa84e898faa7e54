"""A program's lines a PDF sets in a typewriter font, with no prompt before them (a manual's C
and configure examples): fenced in the page's text, so the segmenter keeps them whole on their
lines, apart from the sentences around them."""

from __future__ import annotations

from pathlib import Path

from ingest.loaders import load_bytes
from rag.service import RagService
from rag.text.sentences import sentences
from tests.pdfgen import typed_pdf

LISTING = ["Handling the effects of garbage collection is done by hand. The C code is",
           "`SEXP mkans(double x)", "`{", "`// a version with (too) much PROTECT()ion .. safe",
           "`SEXP ans = allocVector(REALSXP, 1);", "`return ans;", "`}",
           "If you create an R object in your C code, you must tell R that you are using",
           "the object by using the PROTECT macro on a pointer to the object."]


def text_of(lines: list[str]) -> str:
    return load_bytes(Path("manual.pdf"), typed_pdf(lines)).pages[0].text


def test_lines_in_a_typewriter_font_are_a_fenced_block() -> None:
    text = text_of(LISTING)
    assert ("The C code is\n```\nSEXP mkans(double x)\n{\n// a version with (too) much "
            "PROTECT()ion .. safe\nSEXP ans = allocVector(REALSXP, 1);\nreturn ans;\n}\n```\n"
            "If you create") in text
    assert sentences(text)[2:] == [
        "```\nSEXP mkans(double x)\n{\n// a version with (too) much PROTECT()ion .. safe\n"
        "SEXP ans = allocVector(REALSXP, 1);\nreturn ans;\n}\n```",
        "If you create an R object in your C code, you must tell R that you are using the "
        "object by using the PROTECT macro on a pointer to the object."]


def test_a_table_of_operators_with_notes_in_the_texts_font_is_one_block() -> None:
    """R-lang's precedence list: the operators in the typewriter font, a note after some of
    them in the text's ("- + (unary)")."""
    text = text_of(["The order of precedence (highest first) of the operators is", "`::",
                    "`$ @", "`^", "`- +` (unary)", "`:", "`* /", "`+ -` (binary)", "`> >= <",
                    "`<- <<-", "`=` (as assignment)", "Note that : precedes binary +/-."])
    assert ("operators is\n```\n::\n$ @\n^\n- + (unary)\n:\n* /\n+ - (binary)\n> >= <\n"
            "<- <<-\n= (as assignment)\n```\nNote that") in text


def test_a_listing_of_one_word_lines_and_commands_is_a_block() -> None:
    """One-word lines ("else", "make") count neither way: the lines with code decide."""
    for lines, block in (
            (["The if statement takes the form", "`if ( statement1 )", "`statement2", "`else",
              "`statement3", "The else clause is optional."],
             "```\nif ( statement1 )\nstatement2\nelse\nstatement3\n```"),
            (["To build R from its sources, run", "`./configure --prefix=/opt/R", "`make",
              "Then install it."], "```\n./configure --prefix=/opt/R\nmake\n```")):
        assert block in text_of(lines)


def test_words_in_a_typewriter_font_stay_prose() -> None:
    # a name on a line of its own, words set in the font without a sign of code (a table's
    # terms), a mixed line, code the sentence goes on after in lower case, and a page set
    # wholly in the font (a typescript)
    for lines in (["The function is called", "`mkans", "and allocates a vector."],
                  ["`function call and array indexing, cell array", "`indexing",
                   "These group left to right."],
                  ["The vector is allocated by", "`allocVector(REALSXP, 1) in C code",
                   "`and it is protected at once."],
                  ["To turn a string into a variable: if you have", '`varname <- c("a", "b")',
                   "`x <- get(varname[1])", "you can do so at once."],
                  ["`Dear Sir, I write to say (as promised) that", "`the pump is fixed.",
                   "`Yours, J. Smith"]):
        assert "```" not in text_of(lines)


def test_prose_typed_in_a_typewriter_font_stays_prose() -> None:
    """A typed lease between a header and a footer in the text's font: its apostrophes,
    brackets and percentages are a sentence's, not a program's."""
    text = text_of(["Smith & Co. Solicitors - Lease agreement",
                    "`1. The tenant shall pay the rent (GBP 950) on the first of each month.",
                    "`2. The landlord's consent is needed before any pet is kept there.",
                    "`3. Either party may end this lease with two months' notice in writing.",
                    "`4. The rent rises by 3% a year, as the schedule (part 2/b) sets out.",
                    "Page 1 of 3"])
    assert "```" not in text
    assert "two months' notice" in text.replace("\u2019", "'")


def test_the_answer_quotes_the_sentence_after_a_listing_without_the_code(
        service: RagService, tmp_path: Path) -> None:
    path = tmp_path / "manual.pdf"
    path.write_bytes(typed_pdf(LISTING))
    service.ingest([path])
    answer = "".join(service.ask("Why do I need PROTECT in C code?"))
    assert "If you create an R object in your C code, you must tell R" in answer
    assert "} If you create" not in answer
