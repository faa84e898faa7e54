"""Sentences around a program in the offline answer: a sentence introducing the program is
quoted with it, or not at all, and a sentence the program interrupted is quoted whole or not
at all. Markdown documents written here, ingested and answered by the real parts."""

from __future__ import annotations

from pathlib import Path

from rag.service import RagService

GLOBALS = ("A global variable is one that may be accessed anywhere within the interpreter. "
           "This is in contrast to a local variable which can only be accessed outside of its "
           "current context if it is passed explicitly, such as by including it as a "
           "parameter when calling a function. A variable is declared global by using a "
           "global declaration statement. The following statements are all global "
           "declarations.")
DECLARATIONS = "```\nglobal a\nglobal a b\nglobal c = 2\n```"
FIRST_CAPTION = "Clear all variables starting with 'x' and the specific variable \"foobar\""
FIRST_EXAMPLE = "```\nclearvars x* foobar\n```"
SECOND_CAPTION = ("Clear the specific variable \"foobar\" and use regular expressions to clear "
                  "all variables starting with 'x' or 'y'.")
SECOND_EXAMPLE = "```\nclearvars foobar -regexp ^x ^y\n```"
IDIOM = ("The following idiom is seen frequently at the beginning of a function "
         "definition:")
IDIOM_CODE = "```\nif (nargin < 1 || nargin > 2)\nprint_usage ();\nendif\n```"
IDIOM_END = ("which stops the function execution and prints a message about the correct way "
             "to call the function whenever the number of inputs is wrong.")
QUAD_END = "adapts a function with several parameters to the form required by quad."


def _ask(service: RagService, tmp_path: Path, text: str, question: str) -> str:
    doc = tmp_path / "manual.md"
    doc.write_text(text)
    service.ingest([doc])
    return "".join(service.ask(question))


def test_a_sentence_saying_the_following_statements_is_not_quoted_without_them(
        service: RagService, tmp_path: Path) -> None:
    """"The following statements are all global declarations." says what the program after
    it holds: it is quoted with that program, or, where the answer has no room left for the
    program, not at all."""
    answer = _ask(service, tmp_path, f"# Global Variables\n\n{GLOBALS}\n{DECLARATIONS}\n",
                  "How do I define a global variable?")
    assert ("global declarations. [1]" not in answer
            or f"global declarations. [1]\n\n{DECLARATIONS}\n[1]" in answer)


def test_each_caption_of_a_run_of_examples_is_quoted_with_its_program(
        service: RagService, tmp_path: Path) -> None:
    """An example's caption ending on a quoted name has no stop and says what the program
    after it does, and so does the caption after that program: neither is quoted without
    its program."""
    answer = _ask(service, tmp_path,
                  "# clearvars\n\nWhen called with no arguments, clearvars deletes all local "
                  f"variables.\n\nExample Code:\n{FIRST_CAPTION}\n{FIRST_EXAMPLE}\n"
                  f"{SECOND_CAPTION}\n{SECOND_EXAMPLE}\n",
                  "How do I clear all variables?")
    assert f"{FIRST_CAPTION} [1]\n\n{FIRST_EXAMPLE}\n[1]" in answer
    assert SECOND_CAPTION not in answer or f"{SECOND_CAPTION} [1]\n\n{SECOND_EXAMPLE}" in answer


def test_a_sentence_going_on_after_a_program_is_quoted_from_its_opening(
        service: RagService, tmp_path: Path) -> None:
    """"which stops the function execution ..." ends the sentence the program interrupted:
    it is quoted after that sentence's opening and the program, never as the answer's
    first words."""
    answer = _ask(service, tmp_path,
                  "# Validating the number of arguments\n\nA function should check that it "
                  f"has been called correctly.\n\n{IDIOM}\n{IDIOM_CODE}\n{IDIOM_END}\n",
                  'What does the error "called with too many inputs" mean?')
    assert not answer.startswith("which")
    assert IDIOM_END not in answer or f"{IDIOM} [1]\n\n{IDIOM_CODE}\n[1]\n\n{IDIOM_END}" in answer


def test_the_end_of_a_sentence_after_a_program_without_its_opening_is_left_out(
        service: RagService, tmp_path: Path) -> None:
    """A lower-case sentence after a program whose sentence before it is whole goes on
    words the answer cannot quote: it is left out."""
    answer = _ask(service, tmp_path,
                  "# Anonymous functions\n\nAnonymous functions adapt other functions for use "
                  "by functions like quad. Anonymous functions are defined with the at sign.\n"
                  f"```\nquad (@(x) betainc (x, a, b), 0, 0.4)\n```\n{QUAD_END}\n",
                  "How does an anonymous function adapt a function with several parameters "
                  "to quad?")
    assert QUAD_END not in answer
    assert "Anonymous functions adapt other functions" in answer


def test_a_program_interrupting_a_sentence_is_quoted_once(
        service: RagService, tmp_path: Path) -> None:
    """"if (...) stop (...)" is a statement, not a reference entry's signature heading the
    sentence after it: the opening, the program and the sentence's end are each quoted once."""
    opening = ("To check the arguments of a function, the following idiom is seen "
               "frequently:")
    program = '```\nif (!is.numeric(x)) stop("x must be numeric")\n```'
    end = "which stops the function execution and prints a message to the console."
    answer = _ask(service, tmp_path,
                  f"# Error handling\n\n## Checking arguments\n\n{opening}\n\n{program}\n\n{end}\n",
                  "How do I stop a function when x is not numeric?")
    assert answer.count(program) == 1
    assert f"{opening} [1]\n\n{program}\n[1]\n\n{end} [1]" in answer
