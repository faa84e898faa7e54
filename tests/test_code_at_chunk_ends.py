"""A program next to a chunk's end: the chunk opening on its fence reads it as code, the
sentence introducing it goes with it, and an introduction whose code is in another chunk is
not quoted as if it said something alone. Real chunking, real answerer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ingest.chunking import Chunker
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.extractive import ExtractiveGenerator, _passage_sentences
from rag.retrieval.introduced_code import code_after
from rag.service import RagService
from rag.text.sentences import is_code, split
from rag.types import Chunk, Document, GenerationRecord, Hit, Page

INTRODUCTION = "The difference can be seen like this:"
PROSE = ("Expression objects are evaluated like a call inside a parse tree. The evaluator "
         "will not evaluate an expression object recursively, only when it is passed to eval "
         "directly.")
PROGRAM = ("> eval(substitute(mode(x), list(x = quote(2 + 2))))\n[1] \"numeric\"\n"
           "> eval(substitute(mode(x), list(x = expression(2 + 2))))\n[1] \"expression\"")


def _doc(pages: list[Page]) -> Document:
    return Document(source="R-lang.pdf", doc_id="d" * 32, title="R Language Definition",
                    pages=pages, media_type="application/pdf")


def _hit(chunk: Chunk, score: float = 1.0) -> Hit:
    """The chunk as the store hands it to the answer."""
    return Hit(chunk.doc_id, chunk.source, chunk.page, f"c{chunk.position}", score, chunk.text,
               title=chunk.title, position=chunk.position, code_fence=chunk.code_fence,
               opens_inside_code=chunk.code_fence is not None,
               opens_inside_sentence=chunk.opens_inside_sentence,
               closes_inside_sentence=chunk.closes_inside_sentence, lead_in=chunk.lead_in)


def _answer(embedder, question: str, hits: list[Hit]) -> str:
    return "".join(ExtractiveGenerator(embedder).stream(GenerationRequest(question, hits),
                                                        GenerationRecord()))


def test_a_sentence_introducing_code_goes_into_the_chunk_the_code_opens(embedder) -> None:
    """The splitter ends a chunk where the code does not fit after its introduction: the
    introduction opens the code's chunk instead, which has room for it."""
    text = f"{PROSE} {INTRODUCTION}\n```\n{PROGRAM}\n```\nThat is all there is to it."
    chunks = Chunker(embedder.token_counter(), 64, 8, 254)(_doc([Page(46, text)]))
    coded = next(c for c in chunks if "```" in c.text)
    assert coded.text.startswith(f"{INTRODUCTION}\n```\n")
    assert not any(c.text.endswith(INTRODUCTION) for c in chunks)
    assert all(text[c.start:c.end] == c.text for c in chunks)
    assert all(c.token_count == embedder.token_counter().count(c.text) for c in chunks)


def test_an_introduction_whose_code_is_in_the_next_chunk_is_not_quoted_alone(
        embedder) -> None:
    """Where the code's chunk has no room for it, the chunk ending on the introduction is
    marked as stopping inside what it says, and the answer leaves the introduction out: "The
    difference can be seen like this: [1]" said nothing."""
    text = f"{PROSE} {INTRODUCTION}\n```\n{PROGRAM}\n```\nThat is all there is to it."
    chunks = Chunker(embedder.token_counter(), 64, 8, 66)(_doc([Page(46, text)]))
    ending = next(c for c in chunks if c.text.endswith(INTRODUCTION))
    assert ending.closes_inside_sentence
    answer = _answer(embedder, "What is the difference when an expression object is "
                     "evaluated?", [_hit(ending)])
    assert INTRODUCTION not in answer and "The evaluator will not evaluate" in answer


def test_a_sentence_completed_by_code_at_the_next_pages_top_is_not_quoted_alone(
        embedder) -> None:
    """A page may end on "a version for S is" and the next open on the program: the page's
    last chunk stops inside that sentence, which is not quoted as if it ended there."""
    pages = [Page(18, "This works in both R and S, and is much cleaner than a substitute "
                      "solution. For R, MC() simply is a function of f and env, and a "
                      "version for S is"),
             Page(19, "```\nMC <- function(f, env = NULL) {\nenv <- as.list(env)\n}\n```\n"
                      "Given these, a closure is made by MC().")]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(pages))
    assert [c.closes_inside_sentence for c in chunks] == [True, False]
    answer = _answer(embedder, "How can I write the MC closure function in S?",
                     [_hit(chunks[0])])
    assert "a version for S is [1]" not in answer and "much cleaner" in answer


def test_a_chunk_opening_on_a_bare_fence_quotes_its_program_as_code(
        service: RagService, tmp_path: Path) -> None:
    """A PDF fences every program bare: a chunk that opens on the opening fence, and ends
    before the closing one, begins outside code, as ingest knows and stores (the fence
    could as well close a block, read alone). Its lines are code, not a prose sentence
    holding "```" that the chat would show as the rest of the answer in a code block."""
    rows = "\n".join(f"row_{i} = encoder.encode(texts[{i}])" + "\n" * (i % 10 == 9)
                     for i in range(60))
    prose = " ".join(f"Table {i} of the vector store maps its rows to a field."
                     for i in range(12))
    doc = tmp_path / "vectors.md"
    doc.write_text(f"# Vectors\n\n{prose}\n\n```\n{rows}\n```\n\nThe file then holds every "
                   "row.\n")
    service.ingest([doc])
    question = "How is row_3 encoded with encoder.encode?"
    hit = next(h for h in service.search(question, top_k=10) if h.text.startswith("```\n"))
    assert hit.code_fence is None and hit.opens_inside_code is False
    pieces = [c.text for c in _passage_sentences(1, hit)]
    assert pieces and all(is_code(piece) for piece in pieces)
    assert list(hit.sentence_vectors.spans) == [
        (s.start, s.end) for s in split(hit.text, outside_code=True)]
    answer = "".join(service.ask(question))
    assert "```\nrow_0 = encoder.encode(texts[0])\nrow_1 =" in answer
    assert "``` row_" not in answer and ") row_" not in answer


CUBE_INTRODUCTION = "Consider the following function definition."
CUBE = "cube <- function(n) {\nsq <- function() n*n\nn*sq()\n}"


def test_a_sentence_with_a_stop_pointing_to_the_code_after_it_goes_with_that_code(
        embedder) -> None:
    """"Consider the following function definition." says what the program after it is,
    as "... like this:" does: it goes into the chunk the program opens, and the answer
    quoting it quotes the program."""
    text = (f"{PROSE} {CUBE_INTRODUCTION}\n```\n{CUBE}\n{CUBE}\n```\n"
            "The variable n in sq is not an argument to that function.")
    chunks = Chunker(embedder.token_counter(), 64, 8, 254)(_doc([Page(56, text)]))
    coded = next(c for c in chunks if "```" in c.text)
    assert coded.text.startswith(f"{CUBE_INTRODUCTION}\n```\n")
    answer = _answer(embedder, "What is the function definition to consider?", [_hit(coded)])
    assert f"{CUBE_INTRODUCTION} [1]\n\n```\ncube <- function(n) {{" in answer


def test_a_page_opening_with_code_has_the_introduction_ending_the_page_before(
        embedder) -> None:
    """The program opens its page and the sentence introducing it ends the page before: its
    chunk keeps that sentence as its lead-in, and the answer quoting the program says what
    it is for."""
    pages = [Page(55, f"{PROSE} Scope is best seen in a function defining another. "
                      f"{CUBE_INTRODUCTION}"),
             Page(56, f"```\n{CUBE}\n```\nThe variable n in sq is not an argument to that "
                      "function.")]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(pages))
    coded = next(c for c in chunks if c.page == 56)
    assert coded.text.startswith("```") and coded.lead_in == CUBE_INTRODUCTION
    answer = _answer(embedder, "How is the cube function with sq written?",
                     [_hit(coded)])
    assert f"{CUBE_INTRODUCTION} [1]\n\n```\ncube <- function(n) {{" in answer


CALL_OBJECT = ("There are three kinds of language objects that are available for modification, "
               "calls, expressions, and functions. The most direct method of obtaining a call "
               "object is to use quote with an expression argument, e.g.,")
QUOTED_CALLS = "> e1 <- quote(2 + 2)\n> e2 <- quote(plot(x, y))"


def test_a_sentence_ending_on_e_g_is_quoted_with_the_code_after_it(embedder) -> None:
    """"..., e.g.," goes on in the program after it, as "... like this:" does: quoted without
    it, the sentence stops on its comma."""
    text = (f"{CALL_OBJECT}\n```\n{QUOTED_CALLS}\n```\nThe arguments are not evaluated, the "
            "result is simply the parsed argument.")
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc([Page(41, text)]))
    answer = _answer(embedder, "What is the most direct way to obtain a call object?",
                     [_hit(chunks[0])])
    assert f"argument, e.g., [1]\n\n```\n{QUOTED_CALLS}\n```\n[1]" in answer


VECTOR_INTRODUCTION = "Here is a small example of creating an R numeric vector in C code:"
PROTECT_PROSE = ("The calls to PROTECT and UNPROTECT must balance when the user's code returns "
                 "and should balance in all functions. R will warn about stack imbalance in "
                 ".Call if the housekeeping is wrong.")
FOOTNOTE = "SEXP is an acronym for Simple EXPression, common in LISP-like language syntaxes."
C_CODE = ("#include <R.h>\n#include <Rinternals.h>\nSEXP ab;\n"
          "ab = PROTECT(allocVector(REALSXP, 2));\nREAL(ab)[0] = 123.45;\nUNPROTECT(1);")
AFTER_CODE = ("Now, the reader may ask how the R object could possibly get removed during "
              "those manipulations, as it is just our C code that is running.")


def _vector_pages() -> list[Page]:
    """A page ending on the introduction, then its footnote; the code opens the next page."""
    return [Page(163, f"{PROTECT_PROSE} {VECTOR_INTRODUCTION}\n\n{FOOTNOTE}", notes=FOOTNOTE),
            Page(164, f"```\n{C_CODE}\n```\n{AFTER_CODE}")]


def test_an_introduction_ending_its_page_is_quoted_with_the_code_opening_the_next(
        service: RagService) -> None:
    """The search finds the chunk ending on "Here is a small example ...:"; the code is in the
    next page's first chunk, past the page's footnote. The answer quotes the code after the
    introduction and cites the page the code is on."""
    document = Document(source="R-exts.pdf", doc_id="e" * 32, title="Writing R Extensions",
                        pages=_vector_pages(), media_type="application/pdf")
    list(service.pipeline.ingest_documents([document]))
    answer = service.ask("How do I create a numeric vector in C code to return to R?",
                         top_k=1)
    text = "".join(answer)
    assert f"{VECTOR_INTRODUCTION} [1]\n\n```\n{C_CODE}\n```\n[2]" in text
    assert [hit.page for hit in answer.citations] == [163, 164]
    assert AFTER_CODE not in text


def test_code_found_by_the_search_too_is_quoted_once_after_its_introduction(
        embedder) -> None:
    """Where the search finds the code's chunk as well, and ranks it first, the code is still
    quoted after the sentence introducing it, once, citing its own passage."""
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(_vector_pages()))
    ending = next(c for c in chunks if c.text.endswith(VECTOR_INTRODUCTION))
    coded = next(c for c in chunks if c.page == 164)
    hits = [_hit(coded), replace(_hit(ending, 0.9), code_after=f"c{coded.position}")]
    answer = _answer(embedder, "How do I create a numeric vector in C code?", hits)
    assert f"{VECTOR_INTRODUCTION} [2]\n\n```\n{C_CODE}\n```\n[1]" in answer
    assert answer.count("#include <R.h>") == 1


def test_an_introduction_whose_code_no_passage_holds_is_not_quoted(embedder) -> None:
    """Without the code it introduces (a store that cannot give the chunk after it), "Here is
    a small example ...:" promises what the answer does not show: the sentences before it
    are quoted instead."""
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(_vector_pages()))
    ending = next(c for c in chunks if c.text.endswith(VECTOR_INTRODUCTION))
    answer = _answer(embedder, "How do I create a numeric vector in C code?", [_hit(ending)])
    assert VECTOR_INTRODUCTION not in answer and "PROTECT and UNPROTECT" in answer


class _Chunks:
    """The store's reading of the chunks after a hit, over chunks made here."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks

    def chunks_after(self, hit: Hit, count: int) -> list[Hit]:
        return [_hit(c) for c in self.chunks if hit.position < c.position <= hit.position + count]


def test_a_chunk_repeating_the_introduction_gives_the_code_right_after_it() -> None:
    """Chunks overlap: the chunk after one ending on "and was replaced by" repeats it with
    the code it introduces, which is the code brought; the program opening the next page
    follows other words, and is not. A repeated introduction followed by words brings none."""
    texts = [(88, "The warning was written as\n```\nold(1)\n```\nand was replaced by"),
             (88, "and was replaced by\n```\nnew(1)\n```\n1.8 Internationalization"),
             (89, "```\n#include <R.h>\n```"),
             (89, "The header is used as follows:"),
             (89, "The header is used as follows: include it first.")]
    first, second, third, fourth, fifth = (
        Chunk("c" * 32, "R-exts.pdf", "R-exts", position, page, 0, 0, text, 10)
        for position, (page, text) in enumerate(texts))
    chunks = _Chunks([first, second, third, fourth, fifth])
    code = code_after(_hit(first), chunks)  # type: ignore[arg-type]
    assert code is not None and (code.text, code.chunk_id) == ("```\nnew(1)\n```", "c1")
    code = code_after(_hit(second), chunks)  # type: ignore[arg-type]
    assert code is not None and (code.text, code.chunk_id) == ("```\n#include <R.h>\n```", "c2")
    assert code_after(_hit(fourth), chunks) is None  # type: ignore[arg-type]


def test_a_passage_read_beside_the_search_is_listed_only_when_the_answer_cites_it(
        service: RagService, tmp_path: Path) -> None:
    """The code after a passage found by the search is read for the answer beside the top_k
    passages: the citations list it when the answer quotes it, and otherwise hold the
    search's top_k passages only, as a search for the question gives."""
    document = Document(source="R-exts.pdf", doc_id="e" * 32, title="Writing R Extensions",
                        pages=_vector_pages(), media_type="application/pdf")
    list(service.pipeline.ingest_documents([document]))
    museum = tmp_path / "museum.txt"
    museum.write_text("Museum guide\n\nOpening hours\nThe Stenness museum opens at 10:00 on "
                      "weekdays.\nAdmission\nEntry to the Stenness museum costs 7 pounds.\n")
    service.ingest([museum])
    uncited = "What does entry to the museum cost, and what will R warn about?"
    assert [hit.page for hit in service.search(uncited, top_k=2)] == [None, 163]
    answer = service.ask(uncited, top_k=2)
    assert "7 pounds" in "".join(answer) and answer.cited == [1]
    assert [hit.page for hit in answer.citations] == [None, 163]
    quoted = service.ask("stack imbalance warning entry cost", top_k=2)
    assert C_CODE in "".join(quoted) and quoted.cited == [1, 3]
    assert [hit.page for hit in quoted.citations] == [163, None, 164]
