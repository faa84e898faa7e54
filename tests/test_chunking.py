import pickle
import textwrap
import threading
import unicodedata
from pathlib import Path

import pytest

from ingest.chunking import Chunker, WordSumCounter, _pieces
from ingest.loaders import load_bytes, load_file
from rag.cancel import cancellable
from rag.errors import IngestCancelled
from rag.text.sentences import split
from rag.text.tokens import TokenCounter, fit_tokens
from rag.types import Document, Page

SAMPLES = Path(__file__).parents[1] / "data" / "samples"


def _doc(pages: list[Page]) -> Document:
    return Document(source="s.txt", doc_id="d" * 32, title="t", pages=pages,
                    media_type="text/plain")


def _samples() -> list[Path]:
    samples = sorted(p for p in SAMPLES.rglob("*") if p.suffix in {".md", ".txt", ".html", ".pdf"})
    assert samples, "the sample documents in data/ are missing"
    return samples


def test_chunks_stay_within_the_token_limit(embedder) -> None:
    text = (
        "Supercalifragilisticexpialidocious" * 300  # one enormous 'word'
        + "\n\n"
        + " ".join(f"Sentence {i} talks about otters, rivers and the tide." for i in range(400))
        + "\n\n" + "x" * 5000
    )
    limit = embedder.max_tokens - 2
    chunks = Chunker(embedder.token_counter(), 200, 30, limit)(_doc([Page(None, text)]))
    assert len(chunks) > 10
    assert max(c.token_count for c in chunks) <= limit
    assert all(embedder.count_tokens(c.text) <= embedder.max_tokens for c in chunks)


def test_a_word_of_megabytes_is_cut_into_chunks_of_bounded_characters(embedder) -> None:
    """WordPiece reads a word over 100 characters as one unknown token: by tokens alone a
    hex dump would be one chunk, and an answer would quote all of it."""
    text = ("The release key follows. " + "0123456789abcdef" * 20_000 + " That was the key."
            + "\n\n" + " " * 100_000 + "\n\nA last paragraph.")
    chunker = Chunker(embedder.token_counter(), 200, 30, embedder.max_tokens - 2)
    chunks = chunker(_doc([Page(None, text)]))
    assert max(len(c.text) for c in chunks) <= 200 * 20
    assert all(c.text.strip() for c in chunks)  # the run of spaces is no chunk
    assert all(text[c.start:c.end] == c.text for c in chunks)
    assert "".join(c.text for c in chunks).count("0123456789abcdef") >= 20_000 - len(chunks)
    assert chunks[-1].text == "A last paragraph."


def test_text_without_spaces_is_cut_between_characters_as_read_not_inside_one(
        embedder) -> None:
    """Thai writes no spaces between words, and its vowel and tone marks are code points of
    their own: cut before one, a chunk would open on a mark with no letter to carry it."""
    thai = ("ผู้เข้าร่วมประชุมต้องลงทะเบียนล่วงหน้าที่สำนักงานใหญ่กรุงเทพมหานครเป็นเมืองหลวง"
            "ของประเทศไทยแม่น้ำเจ้าพระยาไหลผ่านใจกลางเมือง") * 40
    lao = "ສະບາຍດີປະເທດລາວມີນະຄອນຫຼວງວຽງຈັນແມ່ນ້ຳຂອງໄຫຼຜ່ານປະເທດ" * 60
    flags = "🇫🇷🇩🇪👩\u200d👩\u200d👧" * 300
    for text in (thai, lao, flags):
        chunks = Chunker(embedder.token_counter(), 64, 8, 254)(_doc([Page(None, text)]))
        assert len(chunks) > 3
        assert all(text[c.start:c.end] == c.text for c in chunks)
        for c in chunks:
            first, last = c.text[0], c.text[-1]
            # a mark, a vowel written after its letter (sara a, aa, am), a joiner: carried
            assert unicodedata.category(first)[0] != "M" and first != "\u200d", c.text[:8]
            assert first not in "\u0e30\u0e32\u0e33\u0eb0\u0eb2\u0eb3", c.text[:8]
            # nor ends on a vowel written before the letter it goes with
            assert last not in "\u0e40\u0e41\u0e42\u0e43\u0e44\u0ec0\u0ec1\u0ec2\u0ec3\u0ec4"
        if text is flags:  # every chunk opens on a whole flag or a whole family
            assert all(c.text.startswith(("🇫🇷", "🇩🇪", "👩\u200d👩\u200d👧")) for c in chunks)


def test_offsets_pages_and_positions(embedder) -> None:
    pages = [Page(1, "Alpha page talks about apples. " * 40),
             Page(2, "Beta page is about bees. " * 40),
             Page(3, "Gamma page covers goats. " * 40)]
    chunks = Chunker(embedder.token_counter(), 64, 8, 254)(_doc(pages))
    joined = "\n\n".join(p.text for p in pages)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert joined[c.start : c.end] == c.text
    assert chunks[0].page == 1
    assert chunks[-1].page == 3
    assert {c.page for c in chunks if "bees" in c.text and "apples" not in c.text} == {2}


class SearchedText(str):
    """Text that counts the characters its searches read."""

    read = 0

    def find(self, sub, start=0, end=None):  # type: ignore[override]
        end = len(self) if end is None else end
        found = str.find(self, sub, start, end)
        SearchedText.read += (found + len(sub) if found >= 0 else end) - start
        return found

    def rfind(self, sub, start=0, end=None):  # type: ignore[override]
        end = len(self) if end is None else end
        found = str.rfind(self, sub, start, end)
        SearchedText.read += end - (found if found >= 0 else start)
        return found


def test_pieces_are_located_reading_the_text_about_twice(embedder) -> None:
    """Each piece is looked for near the one before it: looked for from the text's start, a
    large file's chunking grew with the square of its size."""
    words = "alpha beta gamma delta river mountain kettle warranty garden tomato".split()
    text = SearchedText("\n".join(f"Line {n}: " + " ".join(words[(n * k) % 10] for k in range(12))
                                  + "." for n in range(3000)))
    chunker = Chunker(embedder.token_counter(), 200, 30, embedder.max_tokens - 2)
    SearchedText.read = 0
    pieces = list(_pieces(text, chunker.splitter))
    assert len(pieces) > 50
    assert all(text[start:start + len(body)] == body for body, start in pieces)
    assert [start for _, start in pieces] == sorted(start for _, start in pieces)
    assert SearchedText.read < 3 * len(text)


def test_a_page_with_a_locator_is_chunked_on_its_own(embedder) -> None:
    """Short slides are never merged: each chunk cites the one slide it comes from; parts
    with neither a number nor a locator still run on into each other."""
    pages = [Page(None, "Cover text."), Page(None, "Foreword text."),
             Page(1, "Agenda: welcome.", "slide 1: Agenda"),
             Page(2, "Budget: travel fell.", "slide 2: Budget"), Page(None, "Appendix.")]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(pages))
    joined = "\n\n".join(p.text for p in pages)
    assert [(c.text, c.locator) for c in chunks] == [
        ("Cover text.\n\nForeword text.", None), ("Agenda: welcome.", "slide 1: Agenda"),
        ("Budget: travel fell.", "slide 2: Budget"), ("Appendix.", None)]
    assert [c.position for c in chunks] == [0, 1, 2, 3]
    assert all(joined[c.start : c.end] == c.text for c in chunks)


def test_a_wrapped_page_is_cut_at_sentence_ends_not_at_line_ends(embedder) -> None:
    """A PDF page's lines end wherever the layout wrapped them, and "Mr." ends no sentence:
    every chunk of a long wrapped page ends where one of its sentences ends."""
    sentences = [f"Mr. Okafor moved crate {i} to the river dock before the tide turned, and "
                 f"Dr. Lind counted {i * 3} otters there." for i in range(60)]
    flowing = " ".join(sentences)
    wrapped = textwrap.fill(flowing, 70)
    chunks = Chunker(embedder.token_counter(), 120, 20, 254)(_doc([Page(1, wrapped)]))
    assert len(chunks) > 5
    ends = {" ".join(s.split()) for s in sentences}
    for chunk in chunks:
        last = " ".join(chunk.text.split())
        assert any(last.endswith(end) for end in ends), chunk.text[-80:]
        assert wrapped[chunk.start:chunk.end] == chunk.text


def test_word_sums_give_the_splitter_the_tokenizers_own_counts(embedder) -> None:
    """The splitter measures with per-word sums; they must equal the tokenizer's counts, so
    the chunks are exactly those an exact length function would give."""
    counter = embedder.token_counter()
    summed = WordSumCounter(counter)
    for path in _samples():
        document = load_file(path)
        text = "\n\n".join(p.text for p in document.pages)
        paragraphs = [p for p in text.split("\n\n") if p.strip()][:200]
        assert [summed(p) for p in paragraphs] == counter.count_many(paragraphs), path
        exact = Chunker(counter, 200, 30, 254)
        exact.splitter._length_function = counter.count  # no word sums at all
        fast = Chunker(counter, 200, 30, 254)(document)
        slow = exact(document)
        assert [(c.text, c.start) for c in fast] == [(c.text, c.start) for c in slow], path


def test_every_chunk_records_its_exact_count(embedder) -> None:
    """Counts come from word sums; around the control characters where WordPiece joins what
    Python splits, the tokenizer counts instead, so a recorded count is never off."""
    counter = embedder.token_counter()
    joined = "to\x1fday and to\x0cmorrow, the\x85re " * 30  # WordPiece deletes them
    assert counter.needs_exact_count(joined) and not counter.needs_exact_count("to day")
    pages = [Page(1, joined), *(load_file(p).pages[0] for p in _samples()[:2])]
    chunks = Chunker(counter, 120, 20, 254)(_doc(pages))
    assert any(counter.needs_exact_count(c.text) for c in chunks)
    assert [c.token_count for c in chunks] == counter.count_many([c.text for c in chunks])
    assert WordSumCounter(counter)("to\x1fday") != counter.count("to\x1fday")  # why it matters


class _CallCounter(TokenCounter):
    def __init__(self, base: TokenCounter) -> None:
        super().__init__(base.path)
        self.calls: list[int] = []

    def count_many(self, texts):
        self.calls.append(len(texts))
        return super().count_many(texts)


def test_each_documents_new_words_are_counted_in_one_call(embedder) -> None:
    counter = _CallCounter(embedder.token_counter())
    chunker = Chunker(counter, 100, 10, 254)
    document = load_file(_samples()[0])
    chunks = chunker(document)
    assert len(chunks) > 3 and counter.calls[0] > 50 and len(counter.calls) == 1
    chunker(document)  # the same words again: nothing to count
    assert len(counter.calls) == 1


def test_a_chunker_pickles_as_its_settings(embedder) -> None:
    """It travels to the parse worker; there it must cut exactly the same chunks."""
    chunker = Chunker(embedder.token_counter(), 120, 20, 254)
    document = load_file(_samples()[0])
    copy = pickle.loads(pickle.dumps(chunker))
    assert len(pickle.dumps(chunker)) < 1_000  # settings only, no tokenizer, no word counts
    assert [(c.text, c.token_count) for c in copy(document)] == [
        (c.text, c.token_count) for c in chunker(document)]


def test_without_the_tokenizer_counts_are_byte_estimates_and_limits_hold() -> None:
    """Workers AI without the weights package: UTF-8 bytes / 3, never summed over words."""
    counter = TokenCounter(None)
    assert counter.count("abcdefg") == 3 and not counter.additive
    text = " ".join(f"word{i}" for i in range(3000))
    chunks = Chunker(counter, 100, 10, 120)(_doc([Page(None, text)]))
    assert len(chunks) > 10
    assert [c.token_count for c in chunks] == counter.count_many([c.text for c in chunks])
    assert max(c.token_count for c in chunks) <= 120


def test_a_text_is_fitted_to_a_token_limit_at_whole_words() -> None:
    counter = TokenCounter.bundled()
    text = "Summary: " + "The pump needs grease every spring. " * 60 + "\nKeywords: pump, grease"
    fitted, tokens = fit_tokens(text, counter.count, 64)
    assert tokens == counter.count(fitted) and 48 < tokens <= 64
    assert text.startswith(fitted) and text[len(fitted)] == " "
    assert fit_tokens("short text", counter.count, 64) == ("short text", 2)
    one_word, tokens = fit_tokens("x" * 5000, lambda t: len(t), 100)
    assert one_word == "x" * tokens and tokens <= 100


FRONT_END = ("R comes with a shell script that starts it. You can copy the script to a place "
             "where users")
RUN_ON = "can invoke it, for example to /usr/local/bin."


def test_a_sentence_running_on_into_the_next_page_is_finished_in_its_pages_chunk(
        embedder) -> None:
    pages = [Page(8, "Installing R.\n" + FRONT_END),
             Page(9, f"{RUN_ON} Then check the path.\n\nNext Section\nMore here.")]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(pages))
    first = next(c for c in chunks if c.page == 8)
    assert first.text.endswith(f"{FRONT_END}\n{RUN_ON}")
    assert first.token_count == embedder.token_counter().count(first.text)
    assert any(c.page == 9 and c.text.startswith(RUN_ON) for c in chunks)  # its own page too


def test_a_page_ending_on_a_word_no_sentence_ends_on_is_finished_in_capitals_too(
        embedder) -> None:
    # the next page may go on with a name: "See the" | "GNU Readline Library manual ..."
    front = "These bindings differ from the default Emacs bindings. See the"
    end = "GNU Readline Library manual for more information on them."
    pages = [Page(41, front), Page(42, f"{end} Next comes the history.")]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(pages))
    assert chunks[0].text == f"{front}\n{end}"
    assert chunks[1].text == f"{end} Next comes the history."


def test_a_sentence_running_on_into_the_program_it_introduces_is_finished_with_it(
        embedder) -> None:
    """"eval(substitute(lm(y ~ x + variable)," | "list(...)) for" and the program: the
    sentence ends where the program does, and is no sentence cut short."""
    front = ("If you have a name, you can do\nget(varname[1]) + 2\nor\n"
             "eval(substitute(lm(y ~ x + variable),")
    end = "list(variable = as.name(varname[1]))))\nfor\n```\nlm(y ~ x + a)\n```"
    pages = [Page(38, front), Page(39, f"{end}\nIt is often easier to just use a list.")]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(pages))
    assert chunks[0].text == f"{front}\n{end}"
    assert [(c.opens_inside_sentence, c.closes_inside_sentence) for c in chunks] == [
        (False, False), (True, False)]


def test_a_page_ending_in_a_formula_or_a_short_line_is_not_finished_from_capitals(
        embedder) -> None:
    chunker = Chunker(embedder.token_counter(), 200, 30, 254)
    cases = [
        [Page(1, "Complex forms:\n\u2022 a + b*i\n\u2022 i*b + a"),
         Page(2, "If present, a and b are numbers.")],  # the last word is a variable
        [Page(1, "The output was:\na these\na are"), Page(2, "Note that it ends.")],
        [Page(1, "Figure 3: rates by the"), Page(2, "Upper case begins anew.")],  # no prose
    ]
    for pages in cases:
        chunks = chunker(_doc(pages))
        assert [c.text for c in chunks] == [p.text for p in pages], pages[0].text


def test_pages_that_end_a_sentence_or_begin_anew_are_not_joined(embedder) -> None:
    chunker = Chunker(embedder.token_counter(), 200, 30, 254)
    cases = [
        [Page(1, "It ends here."), Page(2, "and this is not carried.")],  # a stop
        [Page(1, "A heading without a stop"), Page(2, "Upper case begins anew.")],
        [Page(1, "Not the next page"), Page(3, "carried from page one?")],
        [Page(3, "A slide's words", "slide 3: Plan"), Page(4, "go on here.", "slide 4: X")],
        [Page(1, "No end close by"), Page(2, "goes on " * 80 + "and ends.")],
    ]
    for pages in cases:
        chunks = chunker(_doc(pages))
        assert [c.text for c in chunks] == [p.text for p in pages], pages[0].text


def test_a_page_number_met_twice_carries_into_its_own_pages_chunk(embedder) -> None:
    pages = [Page(1, FRONT_END), Page(2, RUN_ON), Page(1, "Appendix one. It ends.")]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(pages))
    assert [c.text for c in chunks] == [f"{FRONT_END}\n{RUN_ON}", RUN_ON,
                                        "Appendix one. It ends."]


def test_a_chunk_beginning_inside_a_fenced_program_names_its_opening_fence(embedder) -> None:
    """A chunk that begins inside a code block says which fence opened it, so that its
    first lines are read as code (`rag.text.sentences.split`), not as prose."""
    program = "\n".join(f"value_{i} = compute_step({i}, factor={i * 3})" for i in range(60))
    text = (f"Run the pipeline like this:\n\n```python\n{program}\n```\n\n"
            + " ".join(f"Step {i} of the guide explains rivers." for i in range(40)))
    chunks = Chunker(embedder.token_counter(), 64, 8, 254)(_doc([Page(None, text)]))
    code_start = text.index("```python\n") + len("```python\n")
    inside = [c for c in chunks if code_start <= c.start < text.rindex("```") + 3]
    assert inside and all(c.code_fence == "```python" for c in inside)
    assert all(c.code_fence is None for c in chunks if c not in inside)
    assert chunks[-1].code_fence is None and "rivers" in chunks[-1].text


LEAD_IN = "Dr. Kent checked the air tanks before the dive."
LEANING = "He then realized there was a leak in his mask."


def _dive_log(surveys: int) -> str:
    filler = " ".join(f"The survey of site {i} counted birds along the river."
                      for i in range(surveys))
    return f"{filler} {LEAD_IN} {LEANING} The crew brought a spare one at once. {filler}"


def test_a_chunk_opening_on_a_leaning_sentence_keeps_the_sentence_before_it(embedder) -> None:
    """"He ..." opening a chunk names no one; the sentence before it, in the chunk before,
    does (`Chunk.lead_in`): the answer quotes it first."""
    chunker = Chunker(embedder.token_counter(), 64, 8, 254)
    chunks = [c for surveys in range(1, 12)
              for c in chunker(_doc([Page(None, _dive_log(surveys))]))]
    opening = [c for c in chunks if c.text.startswith(LEANING)]
    assert opening, "no chunk opens on the leaning sentence: change the filler"
    assert all(c.lead_in == LEAD_IN for c in opening)
    assert all(c.lead_in is None for c in chunks if not c.text.startswith(LEANING))


def test_a_lead_in_never_comes_from_the_page_before(embedder) -> None:
    """A citation names one page: the sentence ending page 1 is not quoted as page 2's."""
    pages = [Page(1, LEAD_IN), Page(2, f"{LEANING} The crew brought a spare one at once.")]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(pages))
    assert [(c.page, c.lead_in) for c in chunks] == [(1, None), (2, None)]


def _reference_page() -> str:
    """A manual's reference entries, each opening on its call in lower case, then a sentence
    wrapped over many lines, longer than a chunk."""
    entries = "".join(f"cellfun{i} (func, c)\nApply the function {i} to each cell of c and "
                      f"collect what it returns.\nSee also: arrayfun{i}.\n" for i in range(40))
    wrapped = "\n".join(["the river carries the silt of the hills down to the sea"] * 60)
    return f"{entries}\nThe delta grows because\n{wrapped}."


def test_a_chunk_is_marked_where_it_opens_inside_a_sentence(embedder) -> None:
    """An entry's call in lower case opens a sentence of its own (the answer quotes the entry's
    first sentence with it); a chunk cut at a line end of a wrapped sentence goes on with
    that sentence (the answer leaves its first piece out)."""
    chunks = Chunker(embedder.token_counter(), 64, 8, 254)(_doc([Page(1, _reference_page())]))
    inside = [c.text.startswith("the river") for c in chunks]
    assert [c.opens_inside_sentence for c in chunks] == inside
    assert any(inside) and any(c.text.startswith("cellfun") for c in chunks)


def test_a_sentence_running_on_over_the_page_opens_the_next_inside_it(embedder) -> None:
    pages = [Page(1, "The pump must be primed before it is started, and the valve on its"),
             Page(2, "inlet opened by a full turn. Then start it.")]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(pages))
    assert [(c.page, c.opens_inside_sentence) for c in chunks] == [(1, False), (2, True)]


def test_a_page_ending_in_prose_goes_on_into_a_parenthesis_opening_the_next(
        embedder) -> None:
    """"... where R knows to find packages it can use" | "(i.e., which were installed).": the
    sentence is finished in its page's chunk, and the next page's copy of its end is no
    sentence to quote."""
    front = ("A library is a place (directory) where R knows to find packages it can use")
    end = "(i.e., which were installed)."
    pages = [Page(40, f"A package is a collection of material extending R.\n{front}"),
             Page(41, f"{end} R is told to use a package via the function library.")]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(pages))
    assert chunks[0].text.endswith(f"{front}\n{end}")
    assert [(c.page, c.opens_inside_sentence) for c in chunks] == [(40, False), (41, True)]


def test_a_sentence_a_page_s_footnotes_interrupt_is_finished_from_the_next_page(
        embedder) -> None:
    """A page's footnotes (`Page.notes`) end its text, but the sentence its body leaves
    unfinished goes on on the next page: it is finished there, and the notes are a chunk of
    their own that leans on none of the body's. A note opening in lower case goes on with the
    sentence of its mark, not with the body's last one."""
    body = ("Ordered factors keep their levels in order. For most purposes the only "
            "difference between ordered")
    for notes, fragment in [("This also works when its second argument is not a factor.", False),
                            ("such as a list, which tapply() also takes.", True)]:
        page = Page(24, f"{body}\n\n{notes}", notes=notes)
        after = Page(25, "and unordered factors is that the former are printed in order.\n"
                         "The next sentence is whole.")
        chunker = Chunker(embedder.token_counter(), 200, 30, 254)
        chunks = chunker(_doc([page, after]))
        assert [(c.page, c.text, c.opens_inside_sentence, c.lead_in) for c in chunks] == [
            (24, f"{body}\nand unordered factors is that the former are printed in order.",
             False, None),
            (24, notes, fragment, None),
            (25, after.text, True, None)]


def test_a_page_opening_on_an_aside_in_lower_case_goes_on_with_the_page_before(
        embedder) -> None:
    """An aside's bracket among the next page's first words ("that generic (and S4 ...") is
    still a sentence's second part, which its page's footnotes do not end."""
    body = ("R_possible_dispatch first checks an internal table to see if any S4 methods "
            "are set for")
    notes = "The table is kept in the methods namespace."
    page = Page(25, f"{body}\n\n{notes}", notes=notes)
    after = Page(26, "that generic (and S4 dispatch is currently enabled), and if so proceeds "
                     "to S4 dispatch.\nAll primitives are in the base namespace.")
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc([page, after]))
    assert chunks[0].text == (f"{body}\nthat generic (and S4 dispatch is currently enabled), "
                              "and if so proceeds to S4 dispatch.")
    assert (chunks[-1].page, chunks[-1].opens_inside_sentence) == (26, True)


def test_a_parenthesis_after_a_heading_or_opening_an_item_begins_anew(embedder) -> None:
    chunker = Chunker(embedder.token_counter(), 200, 30, 254)
    cases = [
        [Page(1, "4.3 Ordered factors"), Page(2, "(This section is optional.) It ends.")],
        [Page(1, "The options are listed below and each of them is described in turn"),
         Page(2, "(a) the first option. (b) the second option.")],
    ]
    for pages in cases:
        chunks = chunker(_doc(pages))
        assert [c.text for c in chunks] == [p.text for p in pages], pages[0].text
        assert not chunks[1].opens_inside_sentence


def test_a_page_opening_in_lower_case_after_a_footnote_opens_inside_a_sentence(
        embedder) -> None:
    """The page before ends on its footnote's stop, not on the sentence the next page goes
    on with: "For most purposes the only difference between ordered" | footnote | "and
    unordered factors is that ..."."""
    pages = [Page(24, "For most purposes the only difference between ordered\n"
                      "2 Note that tapply() also works when its second argument is not a "
                      "factor."),
             Page(25, "and unordered factors is that the former are printed showing the "
                      "ordering of the levels.\nThe next sentence is whole.")]
    chunker = Chunker(embedder.token_counter(), 200, 30, 254)
    chunks = chunker(_doc(pages))
    assert [(c.page, c.opens_inside_sentence) for c in chunks] == [(24, False), (25, True)]
    # a page opening on a program's line in lower case is no sentence's second part
    code = [pages[0], Page(25, "labels <- paste(\"Label\", 1:8)\nIt makes the labels.")]
    assert not chunker(_doc(code))[1].opens_inside_sentence


def test_a_piece_of_no_letter_or_digit_is_no_chunk(embedder) -> None:
    """An index's dot leaders cut apart leave "." alone: a chunk no search finds and that
    quotes nothing. What holds a word or a number is kept."""
    lines = []
    for n in range(40):
        lines.append(f"entry{n}, topic . . . . . . . . . . . . . . . . . . . . . {n + 3}, {n + 9}")
        if n % 7 == 3:
            lines.append(f"environ{n}. . 4, 5, 6, 13, 22, 23, 24, 26, 27, 28, 33,\n40, 43, 45")
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc([Page(67, "\n".join(lines))]))
    assert chunks and all(any(c.isalnum() for c in chunk.text) for chunk in chunks)
    held = " ".join(chunk.text for chunk in chunks)
    assert all(f"entry{n}," in held for n in range(40))
    assert [chunk.position for chunk in chunks] == list(range(len(chunks)))


def test_a_long_csv_cell_is_split_into_its_sentences() -> None:
    """A cell the loader writes as many row lines, each of which sentencex ends, is one
    sentence up to its stop: each line joins the sentence before it, read again whole each
    time (time in the cell's length squared) before only what the line adds was read."""
    cell = "word " * 20_000 + "(Ah the perspective of youth.) Of course " + "word " * 20_000
    text = load_bytes(Path("notes.csv"), f"Note\n{cell}\n".encode(), "notes.csv").pages[0].text
    assert text.count("\n") > 100  # written as row lines
    cut = text.index("youth.)") + len("youth.)")
    spans = [(0, 4), (text.index("Note:"), cut), (text.index("Note:", cut), len(text.rstrip()))]
    assert [(s.text, s.start, s.end) for s in split(text)] == [
        (" ".join(text[start:end].split()), start, end) for start, end in spans]


class CancelledAtLook(threading.Event):
    """An ingest's cancel found set from its `at`th look on: set while the chunker works."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at, self.looks = at, 0

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks >= self.at


def test_a_cancel_stops_a_long_documents_chunking_before_it_ends(embedder) -> None:
    """A cancel looked for only once a document is chunked waited for all of it; the chunker
    looks between pages and every few hundred pieces."""
    chunker = Chunker(embedder.token_counter(), 200, 30, embedder.max_tokens - 2)
    pages = [Page(n, f"Page {n} talks of the river. " * 200) for n in range(1, 41)]
    cancel = CancelledAtLook(at=20)
    with cancellable(cancel), pytest.raises(IngestCancelled):
        chunker(_doc(pages))
    assert cancel.looks == 20


@pytest.mark.parametrize(("ending", "opening", "whole"), [
    ("The manual is at www.example.", "com/path for everyone.",
     "The manual is at www.example.com/path for everyone."),
    ("The manual is at https://example.", "org/docs/ for everyone.",
     "The manual is at https://example.org/docs/ for everyone."),
    ("The scheme applies hyphen-", "ation rules to every word.",
     "The scheme applies hyphenation rules to every word."),
    ("It was published by Springer-", "Verlag in Berlin.",
     "It was published by Springer-Verlag in Berlin."),
])
def test_a_word_or_an_address_a_page_break_cut_is_finished_whole(
        embedder, ending: str, opening: str, whole: str) -> None:
    pages = [Page(3, f"Some words first.\n{ending}"), Page(4, f"{opening} The next one.")]
    chunks = Chunker(embedder.token_counter(), 200, 30, 254)(_doc(pages))
    assert chunks[0].text == f"Some words first.\n{whole}"
