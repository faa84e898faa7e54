"""Sentences around a program in the offline answer: a sentence introducing the program is
quoted with it, or not at all. Markdown documents written here, ingested and answered by the
real parts."""

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
