"""The embedded default answerer: quotes the retrieved sentences that best answer the question.

It writes nothing of its own, so it cannot invent facts; it says so, and how to configure an
LLM. The passages are cut into whole sentences (rag.text.sentences), and the sentences are
scored by the search's embedder (cosine to the question: every sentence, from the sentence
vectors stored with the passages at ingest; else the dozen sharing most of the question's
terms, embedded now) with a lexical bonus (the question's terms it holds, those of its
document's title and its section's heading counted as held; none for a sentence saying only
where its subject is described, "... is described in Section 1.5 [...], page 52.", "See
Chapter 5 [Strings], page 71."; one pointing to another part of the documents, not to an
address, gets none for its match word by word either, and is quoted only as the best
sentence, never after it nor as what a sentence leans on), a bonus for
holding what the question asks for (a date, counting double, whole only for the dated
sentences holding most of the question's terms, which name what it asks the date of; a number,
a colour, a name; for "What is the difference between X and Y?", telling them apart: "the
difference is", "unlike" or "whereas" in the clause naming X or Y, or naming both in a sentence
matching the question about as well as the best), one
for a heading above them in the passage that names the question's subject, a prior from their
passage's search score, and, to order them only, their match of the question word by word as
the search measured it (when the question names one entry of a list, "staff: ...", the other
entries' sentences are left out, and so are those outside a function's reference entry, headed
by its signatures, when it names the function, "isempty" of "isempty (a)"; so is a
cross-reference to a section that is among the passages, and when it names a value of a
table's rows, or a number within a range they write, the rows not holding it), and the answer
quotes the best 2 to `max_sentences` of them (the best alone when nothing else scores within
half of it and nothing follows it in its section; asked "How do I ...?", the steps of a
numbered list most like the question taken whole, if about as like it as the best sentence
besides them, first, after their introduction, as many as there is room for): grouped by
passage (and by section within
one), best group first, in document order within a group, each sentence followed by its
passage's citation [n]. A sentence that leans on the one before it ("He ...", "This ...",
"However, ...") brings that one along, back through a run of them to the one naming what they
are about, or is left out (past an aside in parentheses; for a passage's first, the one ingest
kept from the chunk before, `Hit.lead_in`), and counts part of the question's words
that one names, and so does an aside in parentheses; one that introduces a list or a program
("..., such as", "Install it with pip:", "..., e.g.,") brings what it introduces (a program
the chunk after its passage opens with too, `Hit.code_after`, cited by its own passage; a
passage's last sentence promising an example no passage holds is left out, and so is any
sentence promising what follows it, "... might look as follows.", quoted without some of
it), a short list no sentence introduces is quoted whole with any of its items, the best one
brings a short introduction right after it with its list ("Some possible reasons:"), and one
followed by a sentence leaning on it that holds a word of the question brings that one when
there is room ("... to have all trailing empty fields ... omitted." then "To read such files
set fill = TRUE."). A program is quoted after the sentence right before it, which says what it
shows (for a passage opening with it, the last sentence of the passage its chunk goes on
from), one program only unless a quoted sentence introduces another, and one with neither a
sentence nor a heading before it only where nothing else is quoted: transcripts writing the
error message a question quotes match it as no sentence does. A program ending its page whose
rest opens the next page (`Hit.code_goes_on`) is quoted with that rest as one block, citing
both passages. The end of a sentence a program interrupted ("which stops the function
execution ...", in lower case after it) is quoted after the program and the sentence's
opening, or left out. A table's header line is a
title: ingest names every row's values by its cells; so is the line right above it, the
table's own title. A list's item is never one, however few and capitalised its words ("- Ann
Linklater"), nor a field ("Deadline: March 31") or a line holding figures ("Double 110 GBP 130
GBP"); a table's row is whole: it introduces no code or list after it, is quoted alone where
nothing else scores within half of it, and, as a field, on a line of its own. A form's fields
(a field to a line or to a paragraph, `_form_lines`) are pieces of their own, with no stop
between them, and an answer quotes those whose labels the question names (and, beside them,
those whose values hold what a part of it naming none asks for), or the best one alone where
it names none; the fields under a heading the question names are all asked for.
A transcript's turn ("Name: ...") keeps its speaker: a later sentence of it quoted without the
one before it is shown after the speaker's name, and a short first sentence setting up the
next ("I have bad news on the scanners.") brings that one.
When the question names a word the vocabulary does not know (an option, a product) that the
library holds nowhere, the answer first says the documents do not mention it (`not_mentioned`);
else, when even the best sentence scores below what the embedder's calibration says an answer
needs, a bar raised by `_UNSAID_MARGIN` when a word of the question is in none of the passages
in any form (a verb of asking, "happened", "take effect", is none: `_ASKING_VERB`; and no
sentence is of the reference entry it names, nor writes a code it names, nor names a day it
names, "14.06.2021" as "14 June 2021", whose sentences are quoted, those of other days left
out), or the question asks about operators ("&&", "%in%") none of the passages writes or in a
currency ("in euros") the document of the best sentence never writes, that the documents do not
seem to answer the question (WEAK_MATCH). It is also
the last resort when the language models fail: if the embedder cannot help either (a remote one
that is down, a question longer than it takes), the words alone rank the sentences.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from rag.errors import AIError, InputTooLongError
from rag.providers.embedders.base import Embedder
from rag.providers.generators.base import GenerationRequest, Generator, Quoted
from rag.text import dates, lexical, references, spelling
from rag.text.answer_types import (
    CONTRASTS,
    NAMES_BOTH,
    answer_kind,
    asks_for_date,
    asks_for_definition,
    asks_how_to,
    defined_by_reference,
    states_difference,
)
from rag.text.contents import has_dot_leader
from rag.text.entries import ENTRY_LABEL, defined_terms, named_entries
from rag.text.identifiers import (
    defines_option,
    is_dotted_name,
    is_operator,
    operators,
    writes,
    written_phrases,
)
from rag.text.measures import currencies_named, holds_measure, writes_currency
from rag.text.question_lines import plain_line, without_answer_label
from rag.text.sentences import (
    CJK_TEXT,
    Sentence,
    introduces_code,
    is_code,
    is_cut_code,
    is_heading,
    is_list_item,
    is_log_record,
    item_text,
    leans_back,
    promises_example,
    signed_name,
    split,
    without_bullet,
)
from rag.text.table_rows import (
    CELL_SEPARATOR,
    in_ranges,
    names_cells_of,
    numbers_in,
    row_values,
)
from rag.types import (
    FRONT_MATTER,
    UNMENTIONED,
    GenerationRecord,
    Hit,
    cited_names,
    unmentioned,
)

NOTICE = (
    "Extractive answer: these are sentences quoted from your documents, not written by a "
    "language model. For written answers set RAG_GENERATOR=workers-ai (with "
    "CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN) or RAG_GENERATOR=openai (Ollama, vLLM, "
    "llama.cpp); see docs/providers.md."
)
#: said before the quotes when even the best sentence scores too low to answer the question
#: (the embedder's `weak_match_below`): the closest passages are still shown, as such
WEAK_MATCH = ("Your documents do not seem to answer this question. The passages closest to "
              "it say:\n\n")
#: the answer when the passages found hold nothing to quote
NOTHING_TO_QUOTE = ("Your documents do not seem to answer this question: the passages closest "
                    "to it hold no text to quote.")
log = logging.getLogger(__name__)
MIN_SENTENCES = 2
_MIN_CHARS = 12  # shorter pieces ("1.", "Yes.") say nothing on their own
# a piece of this many capitalised words with no closing stop is a title ("Users and Groups");
# after a number, of up to the second many ("3. Grant of Patent License.")
_TITLE_WORDS, _NUMBERED_TITLE_WORDS = 3, 8
# a line of its own in title case of up to this many words is a heading: a web page's or a
# Word document's has no number or mark to tell it by ("Creating a Project with Cargo")
_TITLE_CASE_WORDS = 10
# the end of a line, then a blank one: what sets a plain-text file's title apart
_BLANK_LINE_AFTER = re.compile(r"[ \t]*\n[ \t]*\n")
_CLOSED = re.compile(r"[.!?:;)\"”’']$")
# a line opening with a speaker's name, one to four capitalised words ("Marcus Hale: ..."):
# a turn of a transcript, when the passage holds two speakers' at least; not an FAQ's "Q:"
# and "A:"
_TURN = re.compile(r"^([A-Z][\w.'’-]+(?: [A-Z][\w.'’-]*){0,3}):[ \t]+\S", re.MULTILINE)
# a turn's first sentence of this many words or fewer (after the name) sets up the next one
# ("I have bad news on the scanners.", "No."), which says what it is about
_SET_UP_WORDS = 7
# a paragraph of this many words or fewer, with no stop, over a paragraph of prose: a heading
_HEADING_PARAGRAPH_WORDS = 6
_ITEM_NUMBER = re.compile(r"\(?(?:\d{1,3}|[a-zA-Z])[.)][ \t]+")  # "6. ", "(d) "
_ITEM_COUNT = re.compile(r"(\d{1,3})[.)][ \t]")  # a numbered item's number: "3. "
_QUOTE_MARKS = frozenset("\"'“‘«„")
_QUESTION_LINE_WORDS = 25  # an FAQ's question is one sentence; a longer line is prose
_ECHO_WORDS = 2  # a question of this many words or fewer is too short to be echoed
_OUTLINE_DEPTH = 7  # below Markdown's six levels: a title with no `#`s is the innermost
# what a question opens with, or ends on: text without either ("AB-1234-X", "e-mail alert
# template") is looked up, and the sentences holding it are what is looked for
_ASKS = re.compile(r"(?:what|who|whom|whose|which|when|where|why|how|is|are|was|were|can|"
                   r"could|do|does|did|should|would|will|has|have)\b|.*\?\s*$",
                   re.IGNORECASE | re.DOTALL)
# a README's "Documentation: [https://example.dev](https://example.dev)": a label, then a link
_LINK_LINE = re.compile(
    r"[ \t]*[\w][\w .'-]{0,30}:[ \t]*(?:\[[^\]\n]*\]\([^)\s]+\)|<?https?://\S+?>?)[ \t]*")
_WORD = re.compile(r"\w+")
# a passage's last piece ending this way stops mid-sentence: the rest is on the next page, or
# the sentence was longer than a chunk
_TRAILING_FRAGMENT = re.compile(r"(?:[,;]|\b[a-z]+)$")
_FENCE = "```"  # what a fenced code block's first and last lines open with
# an ellipsis opening a piece, and the first letter after it
_ELLIPSIS_THEN_WORD = re.compile(r"(?:\.{3}|…)[ \t]*[^\W\d_]")
_BLOCK_WORDS = 15  # unless it is a block of its own this short (a list item, a table's row)
_RELATIVE = 0.5  # sentences scoring below this share of the best are left out (after the 2nd)
# a sentence loses this per point of search score its passage is behind the best passage: the
# search (fused, then rescored by sentence) knows better than one sentence's cosine where the
# answer is
_SCORE_PRIOR = 0.2
# a sentence that leans on the one before it ("She opened the library.") is about what that
# one names: it gains this share of the question's terms the two hold together beyond its own
_LEAN_SHARE = 0.5
_WORDS_BONUS = 0.3  # times the share of the question's terms a sentence holds
# times a sentence's match of the question word by word (`Hit.sentence_matches`, about 0.4 to
# 1): a sentence saying what is asked in other words ("the boy's father" for "his dad"); 0.6
# answered the development sets no better and favoured a manual's long sentences
MATCH_BONUS = 0.3
_TYPE_BONUS = 0.2  # for a sentence holding the kind of thing the question asks for
# how much higher the weak-match bar stands when a word of the question is in none of the
# passages (`_unsaid_terms`), chosen with bench/unanswerable.py: questions left unanswered are
# declined more, answerable ones little more (docs/evaluation.md)
_UNSAID_MARGIN = 0.1
# "How many", "How quickly": the word after "how" says what kind of answer is asked for
# a verb of asking says what is asked of the subject, not what it is ("What happened on ...?",
# "When did it take effect?", "What does DPI mean?"): unambiguous forms anywhere, those that
# are nouns as well ("mean", "work", "go") only as the question's last word
_ASKING_VERB = re.compile(
    r"\b(?:happen(?:s|ed|ing)?|occur(?:s|red|ring)?|t(?:ake|akes|aking|aken|ook)"
    r" (?=place\b|effect\b)|bec(?:ome|omes|ame|oming)|went|gone"
    r"|(?:mean|work|go)(?:s|es|t|ed|ing)?(?=\W*$))", re.IGNORECASE)
_HOW_WORD = re.compile(r"\bhow\s+([\w-]+)", re.IGNORECASE)
# for one holding a date, asked "When ...?": fewer sentences hold a date than a number or a
# name, so holding one tells the answer apart more surely
DATE_BONUS = 0.4
# for "How do I ...?", a numbered list whose steps, taken whole, are this share as like the
# question as its best sentence is quoted first: steps are how a document answers it
_STEPS_SHARE = 0.8
# the share of the best match a sentence needs for naming both things compared to count
_DIFFERENCE_SHARE = 0.8
# a reference entry's signature block shown whole above its description up to this many lines
_SIGNATURE_LINES = 3
# a function named by one letter ("e", "j") is no sign that a question names it: questions
# write single letters as variables ("x", "n") and as the pronoun
_SHORTEST_ENTRY_NAME = 2
_ASKED_HEADING_BONUS = 0.5  # for a sentence under a heading that is the question
# times the square of the share of the question's terms in the heading a sentence sits under
# ("3.3.1 Recycling rules" for "What is the recycling rule?"): a manual's sentences name their
# subject in the heading, not again in themselves. Squared, a heading sharing one common word
# ("package", "data") adds little.
_HEADING_BONUS = 0.2
# a sentence saying only where its subject is described: "The NAMESPACE file is described in
# the section on Section 1.5 [Package namespaces], page 52.", "See Section 3.1 for details.",
# "(see Section 2.2 [What machines does R run on?], page 3.)"
_POINTING = re.compile(
    r"\(?(?:[^,;:()]{1,80}? (?:is|are) (?:\w+ )?(?:described|documented|explained|discussed|"
    r"covered|detailed|treated|listed) (?:(?:in (?:more )?detail|further|fully) )?"
    r"(?:in|under|at|on|by)|(?:for [^,;:]{1,60}, )?see(?: also)?) ", re.IGNORECASE)
# where it points: a manual's section, chapter or page, an address
_ELSEWHERE = re.compile(r"\b(?:section|chapter|manual|page|appendix|below|above)\b|\[|https?://",
                        re.IGNORECASE)
# a question asking where the documents say something ("Where can I read about ...?",
# "Which section covers ...?"): a pointer there is the answer
_ASKS_WHERE = re.compile(
    r"\bwhere\b.*\b(?:read|find|learn|look|described|documented|explained)\b"
    r"|\b(?:which|what) (?:section|chapter|page|part)", re.IGNORECASE)
# an address outside the documents, where a pointer may send the reader
_ADDRESS = re.compile(r"https?://", re.IGNORECASE)
# a cross-reference's opening word, before where it points ("see also Section 2.10")
_SEE = re.compile(r"\bsee(?: also)?\b", re.IGNORECASE)
# a clause after the pointer says something of its own ("..., although typically all that is
# needed is a LaTeX installation."); not one naming one more place ("..., and Section 11.2
# [Defining Functions], page 191, for information about the variable nargin.")
_CLAUSE_AFTER = re.compile(r"[,;:] (?:although|but|and|which|while|so|where|whereas)\b"
                           r"(?! (?:(?:in|to) )?(?:section|chapter|appendix|page|\[))",
                           re.IGNORECASE)
# a list's introduction this short ("Some possible reasons:", "For example:") says nothing
# without the sentence before it
_LIST_INTRODUCTION_WORDS = 6
# a list's items weigh against the answer's sentences by their words, this many a sentence (a
# prose sentence's length): five names are one sentence, five paragraphs are five
_LIST_WORDS = 25
# a value a label names, as a manual's entry ends on it: "Default: 5", "Type: int", "Long
# form: coefficients(object)."; the label one or two plain words, not a term a definition
# list defines ("RAG_TOP_K: ...", "users: ...") nor a sentence's opening ("They all said:
# ...", "For example: ...")
_LABELLED_VALUE = re.compile(r"(?P<label>[A-Z][A-Za-z]*(?: [a-z]+)?):[ \t]+(?P<value>\S.*)",
                             re.DOTALL)
_LABELLED_VALUE_WORDS = 8
# a field's label, a colon, then its value on the same line ("Check-out: 10:30", "Owner: Dana
# Whitlock"): a label with a number is a caption's ("Figure 2: Results", "Chapter 3: Data")
_FIELD = re.compile(r"(?:\*\*|__)?[^\W\d_][^\W\d]*(?:[ -][^\W\d]+){0,2}:(?:\*\*|__)?[ \t]+\S")
# a figure standing as a word of its own ("110", "50,000", "10:30"), not part of a name ("K200")
# nor a label's number ("Chapter 3:", a caption's)
_FIGURE = re.compile(r"\d+(?:[.,:]\d+)*[.,;)]?")
# "See also: dlmread, textscan.": the names of other entries, which the sentence does not hold
_CROSS_REFERENCE_LABEL = re.compile(r"see\b", re.IGNORECASE)
# what parts a question asking several things ("How much ... hold and how powerful is it?")
_QUESTION_PARTS = re.compile(r"\s*(?:[,;]|\band\b)\s*", re.IGNORECASE)
# a line of text, without its break
_LINE = re.compile(r"[^\n]+")
# a sentence's end, before a closing bracket or quote: what a labelled value may follow
_SENTENCE_END = re.compile(r"[.!?][)\"”’']*$")


def not_mentioned(words: Sequence[str]) -> str:
    """Said before the quotes when the question names a word the library holds nowhere
    (`GenerationRequest.unheld`: an option, a product): the passages cannot be about it,
    whatever else they share with the question."""
    return f"{unmentioned(words)} The passages closest to the question say:\n\n"


def hedge(answer: str) -> str | None:
    """The warning an answer opens with (WEAK_MATCH, or `not_mentioned`'s), if any."""
    if answer.startswith(WEAK_MATCH):
        return WEAK_MATCH
    if answer.startswith(UNMENTIONED):
        return answer[:answer.find("\n\n") + 2]
    return None


@dataclass(frozen=True)
class _Candidate:
    passage: int  # 1-based rank of its passage: its citation number
    index: int  # its place among the passage's sentences
    text: str
    # its vector as ingest stored it, if it did
    stored: np.ndarray | None = field(default=None, compare=False)
    heading: str = ""  # the section heading or title above it in the passage, if any
    is_title: bool = False  # a heading or title itself: never quoted
    entry: str = ""  # the label of the list entry it belongs to ("staff" in "staff: ..."), if any
    # in no entry of its passage, but perhaps going on with one the passage before holds
    continues_entry: bool = False
    # the sentence before the passage (`Hit.lead_in`): quoted only with the one leaning on it
    is_lead_in: bool = False
    # its match of the question word by word, as the search measured it (`Hit.sentence_matches`)
    match: float | None = None
    # the headings it is under, the outer ones too ("## 2.10.2" above "### Fixed"), and the
    # names its passage goes by (its document's title)
    outline: str = ""
    # a sentence its passage stops inside (`Hit.closes_inside_sentence`), the passage's only
    # piece: quoted as far as it goes, and said to go on
    cut_short: bool = False
    # a list's items after it that the answer leaves out: said after it, so the list does not
    # read as whole
    items_left: int = 0
    items_left_open: bool = False  # the list goes on past the items counted in `items_left`
    # a list item's sentence after its first ("Wait ten seconds." in "1. Switch it off. Wait
    # ten seconds."): the item's, quoted with it on its line
    continues_item: bool = False
    # the passage its citation names, when not its own: the code another passage opens with,
    # quoted here after the sentence introducing it (`Hit.code_after`), cites where it is
    cites: int = 0
    # code its passage opens with, quoted after the sentence introducing it, which another
    # passage ends on (`Hit.code_after`), or after the program's lines a page before
    # (`Hit.code_goes_on`), and never on its own here
    introduced_elsewhere: bool = False
    # the rest of the program it is, which the next page opens with (`Hit.code_goes_on`), and
    # the passage holding that rest: quoted with it as one block, citing both
    goes_on: str = ""
    goes_on_cites: int = 0
    # an item of a list whose beginning its passage does not hold: one it opens with, after
    # its document's first chunk, or one numbered on from items before the passage ("3."
    # first). The list begins, and is introduced, in the chunk before, so its part here is
    # never quoted as the whole list, nor an item of a short run standing alone
    cut_before: bool = False
    # an item ending its passage, or a sentence of one: the items after it that go on its list
    # in the passage after, the chunker's cut between them
    items_beyond: int = 0
    # whether the passage after it ends inside the list too: its items go on past those counted
    items_beyond_open: bool = False
    # the speaker whose turn of a transcript ("Marcus Hale: I have ... The supplier says ...")
    # it is in, and whether it opens that turn, after the speaker's name
    speaker: str = ""
    opens_turn: bool = False


# a list's last quoted item: the number of its items after it, and whether more may follow
_ItemsLeft = dict[tuple[int, int], tuple[int, bool]]


def _long_enough(sentence: str) -> bool:
    """Whether a sentence is long enough to say something on its own (_MIN_CHARS), a Chinese
    or Japanese character counted twice: each is worth two letters or more, and
    "北京是中国的首都。" is a whole sentence in nine."""
    if len(sentence) >= _MIN_CHARS:
        return True
    return len(sentence) + len(CJK_TEXT.findall(sentence)) >= _MIN_CHARS


def _quotable(by_passage: list[list[_Candidate]], sentences_only: bool) -> list[_Candidate]:
    """The passages' pieces an answer may quote, each once, never a contents entry: sentences
    long enough to say something, not titles; or, not `sentences_only`, any piece with a
    word."""
    quotable: list[_Candidate] = []
    seen: set[str] = set()
    for group in by_passage:
        for c in group:
            if (c.is_lead_in or c.introduced_elsewhere or c.text.lower() in seen
                    or has_dot_leader(c.text)):
                continue
            if sentences_only and not (_long_enough(c.text) and not c.is_title):
                continue
            # a section's numbered or Markdown heading says what follows it, never an answer
            if not sentences_only and (not any(char.isalnum() for char in c.text)
                                       or is_heading(c.text)):
                continue
            seen.add(c.text.lower())
            quotable.append(c)
    return quotable


def _is_labelled_value(text: str) -> bool:
    """Whether a piece is a value its label names, a few words in all: "Default: 5", "Type:
    int", "Default: false (but true for CRAN submission checks)." Not a sentence after a
    label ("Scene: The sun is at its highest."), which says something of its own."""
    found = _LABELLED_VALUE.fullmatch(text)
    if (found is None or len(text.split()) > _LABELLED_VALUE_WORDS
            or _CROSS_REFERENCE_LABEL.match(text)
            or lexical.STOP_WORDS & set(found.group("label").lower().split())):
        return False
    value = found.group("value")
    return len(value.split()) == 1 or not value[:1].isupper()


def _opens_mid_sentence(text: str) -> bool:
    """Whether a piece goes on a sentence cut before it: an ellipsis, then a word in lower case
    ("... slip by.", where a "!" in an example's comment ended the sentence)."""
    opening = _ELLIPSIS_THEN_WORD.match(text)
    return opening is not None and opening.group()[-1].islower()


def _passage_sentences(number: int, hit: Hit) -> list[_Candidate]:
    """A passage's whole sentences. A chunk after a document's first can begin inside a
    sentence (its overlap with the chunk before, a cut at a line's end): its first piece is
    such a fragment and is dropped, unless it is a list entry ("video: ..."). Ingest marks
    such chunks (`Hit.opens_inside_sentence`); of a chunk stored before it did, a first piece
    that starts in lower case is taken for one. So is a last piece that ends on a comma or a
    word in lower case, with no stop, where ingest did not mark whether the chunk stops inside
    a sentence (`Hit.closes_inside_sentence`). Any piece opening on an ellipsis and a word in
    lower case ("... slip by.") ends a sentence cut before it, and is dropped wherever it
    stands. A labelled value after a sentence ("... (in Mb).", then "Default: 5") goes on
    that sentence's candidate (`_is_labelled_value`)."""
    form = _form_lines(hit.text)
    found = _cut_at_form_lines(hit.text, split(hit.text, code_fence=hit.code_fence,
                                               outside_code=hit.opens_inside_code is False),
                               form)
    inside = hit.opens_inside_sentence
    if inside is None:
        inside = hit.position > 0 and bool(found) and found[0].text[:1].islower()
    if found and inside and not ENTRY_LABEL.match(found[0].text):  # "video: This group ..."
        found = found[1:]
    found = [piece for piece in found if not _opens_mid_sentence(piece.text)]
    # a last sentence introducing the code another passage opens with (`Hit.code_after`) is
    # quoted with it; one announcing an example no passage holds ("Here is a small example
    # ...:") promises what the answer would not show
    introducing = bool(found) and _introduces_code(found[-1].text)
    linked = introducing and bool(hit.code_after)
    dropped = introducing and not linked and promises_example(found[-1].text)
    if dropped:
        found = found[:-1]
    cut_short = (bool(hit.closes_inside_sentence) and bool(found) and not is_code(found[-1].text)
                 and not (linked or dropped))
    # where ingest said whether the chunk stops inside a sentence, it knows: a last piece
    # without a stop is then whole (a table's last row before the page's footnotes)
    if len(found) > 1 and (cut_short or (
            hit.closes_inside_sentence is None and _TRAILING_FRAGMENT.search(found[-1].text)
            and not _whole_block(hit.text, found[-1]) and not is_code(found[-1].text)
            and (found[-1].start, found[-1].end) not in form
            and not (linked or dropped))):
        found, cut_short = found[:-1], False
    stored, matches = {}, {}
    if hit.sentence_vectors is not None:
        stored = dict(zip(hit.sentence_vectors.spans, hit.sentence_vectors.vectors,
                          strict=True))
        if hit.sentence_matches is not None:
            matches = dict(zip(hit.sentence_vectors.spans, hit.sentence_matches, strict=True))
    candidates, heading, entry = [], "", ""
    # (level, heading): a title without `#`s the deepest; the names the passage goes by (its
    # document's title, its section's) above them all
    outline: list[tuple[int, str]] = [(0, hit.written_names())]
    if (hit.lead_in and found and not hit.text[:found[0].start].strip()
            and (leans_back(found[0].text)
                 or (is_code(found[0].text) and _introduces_code(hit.lead_in)))):
        # the sentence before the passage (introducing its program: on the page before
        # too), there to be brought by the first
        candidates.append(_Candidate(number, 0, hit.lead_in, is_lead_in=True))
    # a later chunk of a definition list may open inside an entry (its second paragraph,
    # "Note that ..."): until its first entry or heading, whose the passage cannot say
    continues = hit.position > 0 and bool(defined_terms(hit.text))
    joinable = False  # whether a labelled value may join the last candidate
    turns = _turns(hit.text)
    for before, s in itertools.pairwise([None, *found]):
        # a form's field is one of several values side by side, not what the sentence
        # before it is about
        if joinable and _is_labelled_value(s.text) and (s.start, s.end) not in form:
            # alone it says nothing ("Default: 5"), and is quoted, and scored, with the
            # sentence whose subject it qualifies, which keeps its vector and its match
            candidates[-1] = replace(candidates[-1], text=f"{candidates[-1].text} {s.text}")
            continue
        i = len(candidates)
        # code is never a title, however few its words ("```\nls -a\n```"), but for a
        # reference entry's signatures ("idivide (x, y, op)"): they head its description,
        # which does not name the function again, and the answer opens at that
        titled = (not is_code(s.text) and not _is_listed(
            s, before, bool(candidates) and candidates[-1].continues_item) and (
            is_heading(s.text) or _is_title(s.text) or _is_title_block(hit, s)
            or _is_title_line(hit.text, s) or _is_document_title(hit, s.text)
            or _is_opening_title(hit, s) or _is_heading_paragraph(hit.text, s)
            or _is_table_header(hit.text, s) or _is_table_caption(hit.text, s)
            or _is_question_line(hit.text, s))
        ) or signed_name(s.text) is not None
        if titled:
            entry = ""
        elif (labelled := ENTRY_LABEL.match(s.text)) and _starts_line(hit.text, s):
            entry = labelled.group(1)
        continues = continues and not (titled or entry)
        candidates.append(_Candidate(number, i, s.text, stored.get((s.start, s.end)), heading,
                                     titled, entry, continues,
                                     match=matches.get((s.start, s.end)),
                                     outline=" ".join(text for _, text in outline),
                                     cut_short=cut_short and s is found[-1],
                                     continues_item=not titled and _goes_on_item(
                                         hit.text, before, s, candidates[-1] if i else None),
                                     **_turn_of(hit.text, s, turns)))
        joinable = (not titled and not is_code(s.text)
                    and _SENTENCE_END.search(s.text) is not None)
        if titled:
            heading = s.text
            level = len(s.text) - len(s.text.lstrip("#")) or _OUTLINE_DEPTH
            outline = [(at, text) for at, text in outline if at < level] + [(level, s.text)]
    return _cut_lists_marked(candidates) if hit.position > 0 else candidates


def _turns(text: str) -> dict[int, str]:
    """Where each turn of a transcript starts in `text`, by its speaker's name ("Tom Becker"
    of "Tom Becker: No. We can run ..."): lines opening with a name and a colon, of two
    speakers at least (one such line is a field or an entry)."""
    found = {match.start(): match.group(1) for match in _TURN.finditer(text)}
    return found if len(set(found.values())) >= 2 else {}


def _turn_of(text: str, piece: Sentence, turns: dict[int, str]) -> dict[str, object]:
    """`_Candidate.speaker` and `opens_turn` of a piece of `text`."""
    line = text.rfind("\n", 0, piece.start) + 1
    speaker = turns.get(line, "")
    if not speaker:
        return {}
    return {"speaker": speaker, "opens_turn": not text[line:piece.start].strip()}


def _turn_goes_on(c: _Candidate, by_passage: list[list[_Candidate]]) -> list[_Candidate]:
    """The sentence after a turn's first, when that one only sets it up ("Marcus Hale: I have
    bad news on the scanners.", "Tom Becker: No."): quoted alone, it would say nothing of
    what the speaker said."""
    passage = by_passage[c.passage - 1]
    if not c.opens_turn or c.index + 1 >= len(passage):
        return []
    said = c.text[len(c.speaker) + 1:].split()
    after = passage[c.index + 1]
    if (len(said) > _SET_UP_WORDS or after.opens_turn or after.speaker != c.speaker
            or after.is_title or is_code(after.text)):
        return []
    return [after]


def _cut_lists_marked(candidates: list[_Candidate]) -> list[_Candidate]:
    """`candidates` with the items of each list whose beginning is before the passage marked
    `cut_before`: the list the passage opens with (after the sentence before the passage, if
    any), where the chunker cut it, and a list whose first item here is numbered on from
    others ("3. Positional matching." after the overlap's sentence)."""
    marked = list(candidates)
    cut = True  # until the passage's first piece that is not a list's
    listed = False  # whether an item came before: a later run may go on its list
    for at, c in enumerate(marked):
        if c.is_lead_in:
            continue
        if c.is_title or not _in_list(c):
            cut = False
            continue
        if not (listed or cut):
            number = _ITEM_COUNT.match(c.text)
            cut = number is not None and int(number.group(1)) > 1
        listed = True
        if cut:
            marked[at] = replace(c, cut_before=True)
    return marked


class ExtractiveGenerator(Generator):
    name = "extractive"

    def __init__(self, embedder: Embedder, max_sentences: int = 4, shortlist: int = 12,
                 stored: bool = True, match_bonus: float = MATCH_BONUS,
                 date_bonus: float = DATE_BONUS) -> None:
        self.embedder = embedder
        self.match_bonus = match_bonus
        self.date_bonus = date_bonus
        self.max_sentences = max(max_sentences, 1)
        self.shortlist = shortlist  # most sentences embedded per answer
        self.stored = stored  # use the passages' stored sentence vectors where they have them

    @property
    def identity(self) -> str:
        return f"{self.max_sentences} sentences"

    def stream(self, request: GenerationRequest, record: GenerationRecord) -> Iterator[str]:
        record.model = f"extractive ({self.embedder.name})"
        record.notice = NOTICE
        answer = list(self._quote(request, record, request.question))
        if request.searched and WEAK_MATCH in answer:
            # a follow-up's own words rank its passages' sentences best ("Was he afraid?"
            # after a story's first question), unless they name too little to match any
            # ("How do I make one?" after "What is a factor?"): then the words of the
            # questions it leans on, which found the passages, rank them
            answer = list(self._quote(request, record, request.searched))
        yield from answer

    def _quote(self, request: GenerationRequest, record: GenerationRecord,
               about: str) -> Iterator[str]:
        """The answer's pieces, its sentences ranked by their likeness to `about` (the
        question, or what was searched for it) and the question's form."""
        by_passage = _with_code_going_on(_with_code_introduced(
            [_passage_sentences(n, hit) for n, hit in enumerate(request.passages, start=1)],
            request.passages), request.passages)
        follows = _follows(request.passages)
        by_passage = _with_lists_introduced(_with_items_beyond(by_passage, follows), follows)
        # passages of short lines alone (a receipt, a form, a label: "Total 15.70") hold no
        # sentence to quote: their lines are quoted then, the best passage's beside the
        # others' sentences, rather than nothing
        candidates = _quotable(by_passage, sentences_only=True)
        if not _quotable(by_passage[:1], sentences_only=True):
            candidates = _quotable(by_passage[:1], sentences_only=False) + candidates
        holds = answer_kind(request.question)
        if holds:
            # a number, a date or a name is said in sentences; a program's literals and
            # identifiers only look like one (it still comes with a sentence introducing it)
            candidates = [c for c in candidates if not is_code(c.text)] or candidates
        candidates = _without_echoes(request.question, candidates)
        candidates = _without_pointers(request.question, candidates)
        # the entries of a definition list the question names ("users" in "What is the users
        # group?"): what it asks for
        asked = lexical.term_set(about)
        # a document fact ("license: apache-2.0") is asked for only as `_asked_fields` says:
        # "What is the Apache License?" names its field, but not as a list's entry is named
        named = {label for hit in request.passages if hit.locator != FRONT_MATTER
                 for label in named_entries(hit.text, asked)}
        named |= _asked_fields(asked, request.passages)
        if asks_for_definition(request.question):
            # a fact defines nothing, however like the question it reads, nor does a line
            # saying only where something is ("Documentation: https://...")
            candidates = [c for c in candidates if (
                c.entry in named or request.passages[c.passage - 1].locator != FRONT_MATTER)
                and not _LINK_LINE.fullmatch(c.text.replace("**", "").replace("__", ""))
            ] or candidates
        candidates = _in_named_entries(candidates, named)
        candidates = _in_named_fields(request.question, candidates)
        candidates = _in_named_rows(request.question, asked, candidates)
        candidates, on_asked_day = _on_named_day(request.question, candidates)
        codes = _telling_codes(written_phrases(request.question), request.passages)
        codes += _asked_entries(request.question, candidates)
        candidates = _of_codes(codes, candidates)
        # a sentence holds the words of the names its passage goes by: its document's title
        # ("Octave" for "How do I write a loop in Octave?") and its section's, slide's or sheet's
        names = [cited_names(hit.title, hit.locator)
                 for hit in (request.passages[c.passage - 1] for c in candidates)]
        overlap = _overlap(about, [c.text for c in candidates], names)
        by_names = overlap - _overlap(about, [c.text for c in candidates])
        # the question's words each sentence holds: one following up the sentence before it
        # comes with that one when it holds a word that one lacks
        held = {(c.passage, c.index): asked & lexical.term_set(c.text) for c in candidates}
        leaning = {i: before for i, c in enumerate(candidates)
                   if (before := _leaned_on(c, by_passage))}
        # and a sentence the code after it completes ("the command is" before "> sink()")
        # says what it says with the code's words
        completed = {i: after for i, c in enumerate(candidates)
                     if (after := _completing_code(c, by_passage))}
        for pairs in (leaning, completed):
            if not pairs:
                continue
            at = list(pairs)
            paired = _overlap(about, [f"{pairs[i].text} {candidates[i].text}"
                                                 for i in at], [names[i] for i in at])
            overlap[at] += _LEAN_SHARE * (paired - overlap[at])
        # a pointer's words name what another section says ("The NAMESPACE file is described
        # in ..."): they do not say it, and the section's own sentences should outrank it;
        # but where the question asks where to read, the pointer is its answer
        asks_where = _ASKS_WHERE.search(request.question) is not None
        pointing = [i for i, c in enumerate(candidates)
                    if not asks_where and _points_elsewhere(c.text)]
        overlap[pointing], by_names[pointing] = 0, 0
        above = [f"{c.heading} {c.entry}" for c in candidates]
        headed = _overlap(about, above)
        # a question naming nothing but the document ("What is Rich?" of rich.md) finds its
        # words in each of its headings: one naming a part of it ("Rich Inspect") does not
        # say the section answers it, as one naming just the document does
        only_named = _overlap(about, [""] * len(candidates), names) >= 1
        headed[[i for i, text in enumerate(above)
                if only_named[i] and not lexical.term_set(text) <= asked]] = 0
        # the list entry the question names, or the subject its heading names defined; and
        # the section under a heading that is the question ("## What is Streamlit?"), its
        # author's answer to it
        # and the code or name the question looks up as written ("E1047"), in the sentence
        # or in the heading it is under (a changelog's "## 2.10.2"): a common word beside it
        # ("error", "fixed") is held as much by the sentence about another code
        asked_line = plain_line(request.question)
        # an operator counts in a sentence: code and tables of operators write it without
        # saying what it does ("> >= < <= == !=")
        names_or_codes = [code for code in codes if not is_operator(code)]
        coded = [_holds_code(c, names_or_codes if is_code(c.text) else codes)
                 for c in candidates]
        asked_for = np.array([
            _TYPE_BONUS * (c.entry in named or _defines_heading(request, c, by_passage)
                           or holds_code)
            + _ASKED_HEADING_BONUS * (bool(c.heading) and plain_line(c.heading) == asked_line)
            for c, holds_code in zip(candidates, coded, strict=True)], dtype=np.float32)
        # stored vectors: every sentence is scored, with nothing to embed or count
        keep, tokens = list(range(len(candidates))), None
        if not (self.stored and all(c.stored is not None for c in candidates)):
            shortlist = self._shortlist(candidates, overlap + headed)
            counts = self.embedder.count_tokens_many([candidates[i].text for i in shortlist])
            fits = [(i, n) for i, n in zip(shortlist, counts, strict=True)
                    if n <= self.embedder.max_tokens]
            keep, tokens = [i for i, _ in fits], [n for _, n in fits]
        record.sentences_scored = len(keep)
        if not keep:
            yield not_mentioned(request.unheld) if request.unheld else NOTHING_TO_QUOTE
            return
        behind = [request.passages[0].score - h.score for h in request.passages]
        scored = self._score(request, about, [candidates[i] for i in keep], overlap[keep],
                             headed[keep], asked_for[keep], holds, tokens, behind)
        scores, typed = scored.total, scored.typed
        # what a sentence says itself, without the names it goes by, which every sentence of
        # its passage shares: whether the documents answer at all, and how many sentences do
        own = scores - _WORDS_BONUS * by_names[keep]
        matches = [candidates[i].match for i in keep]
        if all(match is not None for match in matches):
            # the word-by-word match orders the sentences alone: it lifts most of them alike,
            # and in `own` it would lengthen answers and hide the weak-match warning; the
            # words of a pointer to another part of the documents match as little as they answer
            lifts = np.array(matches, dtype=np.float32)
            lifts[np.isin(keep, [i for i in pointing if _points_within(candidates[i].text)])] = 0
            scores = scores + self.match_bonus * lifts
        order = np.argsort(-scores)
        order = order[_on_best_ones_subject([candidates[keep[i]] for i in order], request,
                                            names_or_codes)]
        ranked = [keep[i] for i in order]
        how_to = asks_how_to(request.question)
        steps = (self._answering_steps(by_passage, [candidates[i] for i in keep], scored)
                 if how_to else None)
        chosen = self._choose([candidates[i] for i in ranked], scores[order].tolist(),
                              own[order].tolist(), by_passage, held,
                              _follows(request.passages),
                              _unasked_fields(request.question, candidates), asks_where, steps,
                              {} if how_to else _steps_unasked(by_passage, held))
        weak_below = self.embedder.weak_match_below
        if weak_below is not None and _unsaid_terms(request.question, request.passages):
            # passages writing none of some word of the question, in any form, may be about
            # something else alike ("How many employees does the company have?" of holiday
            # rules for employees): the best sentence must be closer to the question
            weak_below += _UNSAID_MARGIN
        if request.unheld:
            yield not_mentioned(request.unheld)
        # any date or number holds what "When ...?" or "How many ...?" asks for: the best
        # sentence answers only if it is close to the question without that
        # a sentence writing the code the question names, or under a heading writing it (a
        # function's reference entry, headed by its signatures), answers about that code,
        # however little it is like the question's words; but not one writing an operator,
        # which a table of them writes as well
        elif ((scored.query is not None and weak_below is not None
               and float((own - typed).max()) < weak_below
               and not any(_holds_code(c, names_or_codes) for c in candidates)
               and not on_asked_day)
              or _none_writes_operators(request)
              or _none_writes_currency(request, candidates[(ranked or keep)[0]].passage)):
            yield WEAK_MATCH
        yield from _compose(chosen, request.question)

    def _choose(self, ranked: list[_Candidate], scores: list[float], own: list[float],
                by_passage: list[list[_Candidate]],
                held: dict[tuple[int, int], frozenset[str]] | None = None,
                follows: dict[int, int] | None = None,
                unasked: Collection[tuple[int, int]] = (), asks_where: bool = False,
                steps: _Steps | None = None,
                unasked_steps: _StepPieces | None = None
                ) -> list[tuple[_Candidate, float]]:
        """The best sentences by `scores`, each with the run of predecessors it leans on
        (`_leaning_run`; a later one without room for its run is left out, the best one is
        quoted alone) and the sentence after it that leans on it and holds more of the
        question's words (`held`, `_followed_up`), up to max_sentences: at least
        MIN_SENTENCES besides code when the best one's section holds that many, and beyond
        that only those whose `own` score is within _RELATIVE of the best own score (below
        that share, only one of the best one's section, and not one shown ahead of the best).
        A program comes after the sentence introducing it (`_code_introduction`, `follows`:
        each passage's number by that of the passage its chunk goes on from), one only but
        for those a chosen sentence introduces, and one without an introduction only when
        nothing else is chosen. A field the question does not ask for (`unasked`) is quoted
        only as the best: its form's other fields score as high, and answer other questions.
        A pointer elsewhere is quoted only as the best, unless the question `asks_where`.
        The `steps` answering a question asking how to do something come first, with their
        introduction, as many as there is room for (`_take_steps`); the best sentences fill
        the room they leave. Each carries the score of the sentence that chose it.
        Steps answering no question of how to do something (`unasked_steps`,
        `_pads_with_steps`) are quoted only where they hold some of its words and a piece of
        them scores within _STEPS_SHARE of the best: else they pad a definition with a
        procedure beside it."""
        chosen: dict[tuple[int, int], float] = {}
        # a list's items beyond the sentences it weighs (`_list_weight`): they take no room
        uncounted: set[tuple[int, int]] = set()
        left: _ItemsLeft = {}
        # the items of the lists taken, those left out too: none is chosen again on its own
        listed: set[tuple[int, int]] = set()
        # code says nothing of its own: it shows what the sentence introducing it says. Its
        # literals and names match a question's ("0.1 + 0.2 == 0.3") as no sentence does,
        # so the sentences are held to the best sentence's score, not to its
        code = {(c.passage, c.index) for group in by_passage for c in group if is_code(c.text)}
        enough = _RELATIVE * max((said for c, said in zip(ranked, own, strict=True)
                                  if not is_code(c.text)), default=max(own))
        best = ranked[0]
        # the programs a chosen sentence brings as what it introduces, and the best program
        # passed over for want of a sentence introducing it: quoted alone where nothing is
        introduced_code: set[tuple[int, int]] = set()
        bare_code: tuple[_Candidate, float] | None = None
        # the texts quoted already: a passage may repeat what the one before ends on
        quoted: set[str] = set()
        said_by_key = {(c.passage, c.index): said for c, said in zip(ranked, own, strict=True)}
        if steps is not None:
            quoted = self._take_steps(steps, by_passage, chosen, uncounted, left, listed,
                                      introduced_code, scores[0])
        # the programs chosen with a lead-in that says nothing of the question
        examples: set[tuple[int, int]] = set()
        for c, score, said in zip(ranked, scores, own, strict=True):
            if len(chosen) - len(uncounted) >= self.max_sentences:
                break
            if c.text in quoted:
                continue
            saying = len(chosen.keys() - code - uncounted)
            if said < enough and (saying >= MIN_SENTENCES or not _goes_on_from(best, c)
                                  or (not chosen and c is not best)
                                  or row_values(best.text) is not None
                                  or _is_field_line(best.text)):
                # there only to make the answer two sentences: from another section it would
                # answer another question (an FAQ's next entry), and from before the best one
                # it would be read first (document order); the answer stays one; with
                # nothing chosen it would stand for the best one, passed over. A table's
                # row and a field are whole: what comes after is another row or field, or
                # what follows the table or form
                continue
            if c is not best and (c.passage, c.index) in unasked:
                continue
            if (c.passage, c.index) in chosen or (c.passage, c.index) in listed:
                continue
            if c.cut_before and (c.passage in (follows or {})
                                 or _list_weight(_list_around(c, by_passage)) < 2):
                # the list's beginning is in the chunk before: quoted there when that was
                # found; else a short run of its items alone would read as the whole list,
                # where an item of a long run says its part whole
                continue
            if _pads_with_steps(c, said_by_key, best, held or {}, unasked_steps or {}):
                continue
            if chosen and not asks_where and _points_within(c.text):
                # "See Section 11.2 [...], page 191.": it says where an answer is, worth
                # quoting only where no sentence scoring better says one
                continue
            # an item is quoted in its list, after the sentence introducing it
            item, c = c, _list_introduction(c, by_passage) or c
            if (c.passage, c.index) in chosen or c.text in quoted:
                continue
            if c is item and _take_short_list(c, by_passage, chosen, score, uncounted, left,
                                              listed, introduced_code, self.max_sentences):
                continue
            introduction = _code_introduction(c, by_passage, follows or {})
            if is_code(c.text) and ((introduction is None and not _goes_on(c.text))
                                    or chosen.keys() & code - introduced_code):
                # a program is quoted after the sentence saying what it shows, and one only
                # unless a sentence quoted introduces more: transcripts matching the
                # question's words would otherwise fill the answer with no word on them
                bare_code = bare_code or (c, score)
                continue
            room = self.max_sentences - len(chosen) + len(uncounted)
            run = _leaning_run(c, by_passage, chosen)
            # a sentence a program interrupted is quoted whole, from its opening before the
            # program, or not at all: its end alone would read as a sentence of its own
            interrupted = _goes_on_after_code(c, by_passage[c.passage - 1])
            if interrupted and is_code(by_passage[run[0][0] - 1][run[0][1]].text):
                continue
            needed = [k for k in run if k not in chosen]
            if interrupted:
                # its program is brought by the sentence's opening, which introduces it
                introduced_code.update(k for k in needed if k in code)
            if (introduction is not None and not introduction.is_title
                    and (introduction.passage, introduction.index) not in [*chosen, *needed]):
                needed.insert(0, (introduction.passage, introduction.index))
            introduced = [a for a in _introduced(c, by_passage)
                          if (a.passage, a.index) not in chosen]
            if chosen and said < enough and introduced:
                continue  # there only to make two sentences, it would bring its list along
            items = introduced if _in_list(introduced[0] if introduced else None) else []
            if items:
                # a list is quoted whole, or by the best sentence as far as there is room
                # and the rest said to be left out: part of it would read as the whole list.
                # When the best sentence is an item, that item is the part quoted
                shown = items
                if len(needed) + _list_weight(items) > room:
                    if chosen or interrupted:
                        continue
                    # the whole list after its introduction alone, else part of it after the
                    # sentences the introduction leans on ("This is done by ...:") where
                    # there is room for them, else after the introduction alone
                    if 1 + _list_weight(items) <= room:
                        needed = needed[-1:]
                    else:
                        shown = _part_shown(items, item, c, room - len(needed))
                        if len(needed) + _list_weight(shown) > room:
                            needed = needed[-1:]
                            shown = _part_shown(items, item, c, room - 1)
                _take_list(items, shown, needed, uncounted, left)
                listed.update((a.passage, a.index) for a in items)
                for key in needed:
                    chosen[key] = score
                continue
            followed = [] if introduced or said < enough else [
                (f.passage, f.index) for f in _followed_up(c, by_passage, held or {})
                if (f.passage, f.index) not in chosen]
            needed += [(a.passage, a.index) for a in introduced[:1]]
            needed += [(a.passage, a.index) for a in _turn_goes_on(c, by_passage)
                       if (a.passage, a.index) not in chosen]
            introduced_code.update((a.passage, a.index) for a in introduced[:1] if is_code(a.text))
            if len(needed) + len(followed) <= room:
                needed += followed  # said after it, when there is room: it stands without
            if len(needed) > room:
                if chosen or interrupted:
                    continue  # no room for this one with what it leans on; a later one may fit
                needed = needed[-1:]
            if not chosen and not introduced:
                # the best sentence's lead-up to a list: the introduction after it with its
                # whole list when there is room for both, else neither (the list was not
                # what matched, and part of it would read as the whole list)
                lead_up = [a for a in _list_after(c, by_passage)
                           if (a.passage, a.index) not in needed]
                if (len(lead_up) > 1 and _in_list(lead_up[-1])
                        and len(needed) + 1 + _list_weight(lead_up[1:]) <= room):
                    needed.append((lead_up[0].passage, lead_up[0].index))
                    _take_list(lead_up[1:], lead_up[1:], needed, uncounted, left)
                    listed.update((a.passage, a.index) for a in lead_up[1:])
            if _shows_only(needed, code, held or {}):
                examples.update(needed)
            for key in needed:
                chosen[key] = score
        _examples_last(chosen, examples)
        if not chosen and bare_code is not None:
            chosen[(bare_code[0].passage, bare_code[0].index)] = bare_code[1]
        if not chosen:
            # every sentence was passed over for what it lacks or would bring along: the
            # best one quoted says more than an empty answer
            chosen[(best.passage, best.index)] = scores[0]
        said = {(c.passage, c.index): s for c, s in zip(ranked, own, strict=True)}
        lookup = {(c.passage, c.index): c for group in by_passage for c in group}
        # a list's items left out stay out: the line after its last says how many
        self._fill_holes(chosen, by_passage, lambda key: said.get(key, 0.0) >= enough / 2
                         and key not in listed and key not in unasked
                         and not _points_within(lookup[key].text), len(uncounted))
        _without_broken_promises(chosen, by_passage, follows)
        return [(replace(lookup[k], items_left=left.get(k, (0, False))[0],
                         items_left_open=left.get(k, (0, False))[1]), s)
                for k, s in chosen.items()]

    def _take_steps(self, steps: _Steps, by_passage: list[list[_Candidate]],
                    chosen: dict[tuple[int, int], float], uncounted: set[tuple[int, int]],
                    left: _ItemsLeft, listed: set[tuple[int, int]],
                    introduced_code: set[tuple[int, int]], score: float) -> set[str]:
        """Chooses `steps` with their introduction, first: all of them where there is room
        (with the program the last one introduces: "4. To quit R the command is" then
        "> q()"), else the leading ones and a line saying how many are left out. Sentences
        leaning on the ones before them ("However, an administrator can add ...") would
        otherwise take the room with those, and the steps, one by one less like the
        question, would not fit. Returns the texts chosen."""
        needed = [(c.passage, c.index) for c in steps.pieces[:1] if c is steps.introduction]
        room = self.max_sentences - len(needed)
        code = [(a.passage, a.index) for a in _introduced(steps.items[-1], by_passage)
                if is_code(a.text)]
        if _list_weight(steps.items) + len(code) > room:
            code = []
        shown = (steps.items if _list_weight(steps.items) + len(code) <= room
                 else _items_within(steps.items, max(room, 1)))
        _take_list(steps.items, shown, needed, uncounted, left)
        listed.update((a.passage, a.index) for a in steps.items)
        introduced_code.update(code)
        for key in needed + code:
            chosen[key] = score
        return {c.text for c in steps.pieces}

    def _fill_holes(self, chosen: dict[tuple[int, int], float],
                    by_passage: list[list[_Candidate]],
                    on_subject: Callable[[tuple[int, int]], bool], uncounted: int = 0
                    ) -> None:
        """A sentence between two chosen ones of its section (its passage, its heading) is
        chosen too, while there is room and it is `on_subject`: a procedure quoted without
        its middle step, or a list without one of its items, would read as whole and is
        not; but a sentence on another subject would only pad the answer. `uncounted`
        sentences of `chosen` (a list's items) take no room."""
        for first, second in itertools.pairwise(sorted(chosen)):
            (passage, start), (other, end) = first, second
            if other != passage or end - start < 2:
                continue
            sentences = by_passage[passage - 1]
            between = sentences[start + 1:end]
            if (len(chosen) - uncounted + len(between) > self.max_sentences
                    or sentences[start].heading != sentences[end].heading
                    or any(c.is_title or c.is_lead_in or not on_subject((passage, c.index))
                           for c in between)):
                continue
            for c in between:
                chosen[(passage, c.index)] = min(chosen[first], chosen[second])

    def _shortlist(self, candidates: list[_Candidate], overlap: np.ndarray) -> list[int]:
        """Indices of the `shortlist` sentences sharing most of the question's terms, in
        themselves or their heading (ties: the better passage first), in their original order:
        the ones embedded when the passages bring no stored vectors. Embedding every sentence
        of five passages would delay the first word; a shortlist of 12 answers almost as well
        as all of them (docs/evaluation.md), where 8 loses answers."""
        ranked = sorted(range(len(candidates)),
                        key=lambda i: (-overlap[i], candidates[i].passage, i))
        return sorted(ranked[: self.shortlist])

    def _score(self, request: GenerationRequest, about: str, candidates: list[_Candidate],
               overlap: np.ndarray, headed: np.ndarray, asked_for: np.ndarray,
               holds: Callable[[str], object] | None, tokens: list[int] | None,
               behind: list[float]) -> _Scores:
        """Cosine to the question, plus a bonus for the share of question terms present, in
        the sentence (`overlap`) and in the heading above it (`headed`), and for holding what
        the question asks for (a date, a number, as `holds` tells, or what tells two things
        apart: `_kind_bonuses`; `asked_for` holds each candidate's bonus for the list entry it
        names, what its heading names defined, or a heading that is the question), less the
        passage's distance behind the best passage in search score; with the bonus each had
        for what it holds, and the cosines and the question's vector when they were had (else
        words alone score).
        `tokens` (the candidates' counts) is None when their stored vectors are used.
        `about` (the question, or what was searched for it) is embedded unless the search's
        vector of it came with the request."""
        question = request.question
        try:
            if request.unembedded is not None:
                raise AIError(f"the search could not embed the question: {request.unembedded}")
            query = (request.question_vector if about == question
                     else request.searched_vector)
            if query is None:
                query = self.embedder.embed_query(about)
            if tokens is None:
                vectors = np.stack([c.stored for c in candidates])
            else:
                vectors = self.embedder.embed_documents([c.text for c in candidates], tokens)
            dense = vectors @ query
        except (AIError, InputTooLongError) as exc:
            log.warning("extractive answer ranked by words only: %s", exc)
            dense, query = np.zeros(len(candidates), dtype=np.float32), None
        # an item quoted after an introduction in the passage before it is ranked as found
        # in its own passage (`cites`), not the introduction's, which the search may rank lower
        prior = np.array([_SCORE_PRIOR * behind[(c.cites or c.passage) - 1] for c in candidates],
                         dtype=np.float32)
        lexical_bonus = _WORDS_BONUS * overlap + _HEADING_BONUS * headed ** 2
        typed = _kind_bonuses(question, candidates, holds, overlap, self.date_bonus,
                              dense + lexical_bonus)
        return _Scores(dense + lexical_bonus - prior + typed + asked_for, typed, dense, query)

    def _answering_steps(self, by_passage: list[list[_Candidate]], scored_ones: list[_Candidate],
                         scored: _Scores) -> _Steps | None:
        """For a question asking how to do something, the steps among the passages that
        answer it (`_step_lists`): those most like the question taken whole (the mean of
        their pieces' vectors, their introduction's too), if that is at least _STEPS_SHARE
        of the cosine of the best sentence besides them (of `scored_ones`, whose cosines
        `scored` holds). One step alone says little ("Click Save.") and scores below the
        prose around it; the steps together say how it is done."""
        if scored.query is None:
            return None
        best, best_likeness = None, -np.inf
        for steps in _step_lists(by_passage):
            vectors = self._vectors_of(steps.pieces)
            if vectors is None:
                continue
            mean = vectors.mean(axis=0)
            norm = float(np.linalg.norm(mean))
            likeness = float(mean @ scored.query) / norm if norm else 0.0
            own = {c.text for c in steps.pieces}
            besides = [cosine for c, cosine in zip(scored_ones, scored.cosines, strict=True)
                       if c.text not in own]
            if likeness > best_likeness and likeness >= _STEPS_SHARE * max(besides, default=0.0):
                best, best_likeness = steps, likeness
        return best

    def _vectors_of(self, pieces: Sequence[_Candidate]) -> np.ndarray | None:
        """The pieces' vectors as ingest stored them, else embedded now; None when the
        embedder cannot embed them all."""
        if all(c.stored is not None for c in pieces):
            return np.stack([c.stored for c in pieces])
        texts = [c.text for c in pieces]
        try:
            counts = self.embedder.count_tokens_many(texts)
            if max(counts) > self.embedder.max_tokens:
                return None
            return self.embedder.embed_documents(texts, counts)
        except (AIError, InputTooLongError) as exc:
            log.warning("steps not weighed as a whole: %s", exc)
            return None


@dataclass(frozen=True)
class _Scores:
    """The sentences' scores (`total`), the bonus each had for holding what the question
    asks for (`typed`), their cosines to the question, and the question's vector, None where
    the embedder could not help and words alone scored."""
    total: np.ndarray
    typed: np.ndarray
    cosines: np.ndarray
    query: np.ndarray | None


@dataclass(frozen=True)
class _Steps:
    """A numbered list's items in a passage (`items`, with the sentences they go on in),
    after the sentence introducing them or, where none does, the one right before them in
    their section, if any."""
    introduction: _Candidate | None
    items: list[_Candidate]

    @property
    def pieces(self) -> list[_Candidate]:
        return ([self.introduction] if self.introduction else []) + self.items


def _step_lists(by_passage: list[list[_Candidate]]) -> Iterator[_Steps]:
    """The passages' numbered lists of two items or more ("1. Open the Users page.", "2.
    ..."), each with its introduction (`_Steps`): how a document writes what to do, in order.
    From its first step: not a list whose beginning is in the chunk before (`cut_before`), or
    one that a program between its items cuts ("2." after "1." and its code), which would
    read as whole."""
    seen: set[tuple[int, int]] = set()
    for group in by_passage:
        for c in group:
            if ((c.passage, c.index) in seen or c.is_lead_in or c.introduced_elsewhere
                    or not _is_step(c)):
                continue
            items = _list_around(c, by_passage)
            seen.update((a.passage, a.index) for a in items)
            numbered = [item[0] for item in _list_items(items)]
            if (len(numbered) >= 2 and all(_is_step(a) for a in numbered)
                    and _step_number(numbered[0]) == 1
                    and not any(a.cut_before for a in items)):
                yield _Steps(_list_introduction(items[0], by_passage)
                             or _sentence_before(items[0], by_passage), items)


# a step list's pieces by the keys of them all and the question's words they hold together
_StepPieces = dict[tuple[int, int], tuple[tuple[tuple[int, int], ...], frozenset[str]]]


def _steps_unasked(by_passage: list[list[_Candidate]],
                   held: dict[tuple[int, int], frozenset[str]]) -> _StepPieces:
    """For a question asking no how-to, each step list's pieces (`_step_lists`), with the keys
    of all its pieces and the question's words they hold together (`held`)."""
    pieces: _StepPieces = {}
    for steps in _step_lists(by_passage):
        keys = tuple((c.passage, c.index) for c in steps.pieces)
        words = frozenset().union(*(held.get(key, frozenset()) for key in keys))
        pieces.update(dict.fromkeys(keys, (keys, words)))
    return pieces


def _pads_with_steps(c: _Candidate, said: dict[tuple[int, int], float], best: _Candidate,
                     held: dict[tuple[int, int], frozenset[str]],
                     unasked_steps: _StepPieces) -> bool:
    """Whether `c`, a piece of a step list the question does not ask for, would bring its
    steps without answering: the list holds none of the question's words, or fewer than
    the best sentence does and none of its pieces scores within _STEPS_SHARE of it (`said`:
    each one's own score). Steps are only like such a question, a procedure on its subject
    ("To book an appointment:" for "Who runs the clinic?", "3. Pay the fare ..." after
    what a concession fare is), where the steps answering it ("What are the three passes of
    argument matching?") hold its words."""
    found = unasked_steps.get((c.passage, c.index))
    if found is None:
        return False
    keys, words = found
    if not words:
        return True
    best_key = (best.passage, best.index)
    return (not held.get(best_key, frozenset()) <= words
            and max(said.get(k, -np.inf) for k in keys) < _STEPS_SHARE * said[best_key])


def _sentence_before(c: _Candidate, by_passage: list[list[_Candidate]]) -> _Candidate | None:
    """The sentence right before `c` in its section, if any: what a list no sentence
    introduces follows on from ("Membership changes are made in the admin console." then
    "1. Open the Users page.")."""
    if not c.index:
        return None
    before = by_passage[c.passage - 1][c.index - 1]
    if (before.is_title or before.is_lead_in or before.heading != c.heading
            or is_code(before.text) or _in_list(before) or not _long_enough(before.text)):
        return None
    return before


def _is_step(c: _Candidate) -> bool:
    """Whether `c` is a numbered list's item ("3. Tick the groups the user should join.")."""
    return is_list_item(c.text) and _ITEM_COUNT.match(c.text) is not None


def _step_number(c: _Candidate) -> int:
    """A numbered item's number: 3 of "3. Tick the groups ..."."""
    number = _ITEM_COUNT.match(c.text)
    return int(number.group(1)) if number else 0


def _kind_bonuses(question: str, candidates: list[_Candidate],
                  holds: Callable[[str], object] | None, overlap: np.ndarray,
                  date_bonus: float, matched: np.ndarray | None = None) -> np.ndarray:
    """Each sentence's bonus for holding what the question asks for (`holds`: a date, a
    number, a name): for a date, in full to the dated sentences of a passage naming its
    subject (`_subject_shares`); and, asked how two things differ, for telling them apart
    (`states_difference`) rather than saying what one of them is; one only naming both, where
    it matches the question otherwise (`matched`: its score without bonuses) within
    _DIFFERENCE_SHARE of the best: one naming them in passing is not lifted past those on
    them."""
    texts = [c.text for c in candidates]
    holding = np.array([bool(holds and holds(text)) for text in texts], dtype=bool)
    if asks_for_date(question):
        passages = np.array([c.passage for c in candidates])
        shares = np.ones(len(candidates), dtype=np.float32)
        for passage in set(passages.tolist()):
            within = passages == passage
            shares[within] = _subject_shares(overlap[within], holding[within])
        bonuses = date_bonus * holding * shares
    else:
        bonuses = _TYPE_BONUS * holding.astype(np.float32)
    differs = states_difference(question)
    if differs is not None:
        how = np.array([differs(text) for text in texts])
        telling = how == CONTRASTS
        naming = how == NAMES_BOTH
        if matched is not None and len(matched):
            # naming both may be in passing ("a vector, matrix, array or data frame"): it
            # counts only in a sentence about them, matching the question as well as the best
            naming &= matched >= _DIFFERENCE_SHARE * float(matched.max())
        telling |= naming
        bonuses = bonuses + _TYPE_BONUS * telling.astype(np.float32)
    return bonuses.astype(np.float32)


def _subject_shares(overlap: np.ndarray, dated: np.ndarray) -> np.ndarray:
    """The share of the date bonus each of a passage's sentences has (`overlap`: the share of
    the question's terms it holds; `dated`: whether it holds a date): the whole for the dated
    ones holding the most terms, which name what the question asks the date of ("The team
    moved the code to GitHub in 2014." for "When did the project move to GitHub?"), and the
    square of their part of that for the others: the passage's other dates ("The project was
    started in 2011.") are of other things. Another passage, of another document perhaps,
    may say the same in other words ("set to start on June 12" for "When does the trial
    begin?"), and is weighed on its own."""
    most = float(overlap[dated].max()) if dated.any() else 0.0
    if most <= 0:
        return np.ones(len(overlap), dtype=np.float32)
    return np.minimum(overlap / most, 1.0) ** 2


def _shows_only(needed: list[tuple[int, int]], code: Collection[tuple[int, int]],
                held: dict[tuple[int, int], frozenset[str]]) -> bool:
    """Whether `needed` is a program and what introduces it, none of it a sentence holding a
    word of the question (`held`): it shows, and says nothing itself."""
    return (any(key in code for key in needed)
            and all(key in code or not held.get(key) for key in needed))


def _examples_last(chosen: dict[tuple[int, int], float],
                   examples: Collection[tuple[int, int]]) -> None:
    """`examples` (`_shows_only`) scored as the lowest of the other sentences chosen and put
    after them, so that they are quoted after them (`_compose` keeps a tie's order): a
    program's literals may match the question best ("0.1 + 0.2 == 0.3"), but "Here is another
    example:" and its program answer nothing before the sentence explaining."""
    saying = [score for key, score in chosen.items() if key not in examples]
    if not examples or not saying:
        return
    lowest = min(saying)
    for key in sorted(examples):
        chosen[key] = min(chosen.pop(key), lowest)


def _compose(chosen: list[tuple[_Candidate, float]], question: str = "") -> Iterator[str]:
    """Groups by passage, and within one by the section under each of its headings, the
    best-scoring group first; document order within each group; every sentence followed by
    its citation. A passage may hold two sections ("Release checklist", "Rollback"): read in
    document order, the one answering would come after the other's sentences. A reference
    entry's description comes after its signatures where the reader could not tell whose it
    is (`_shows_signature`)."""
    groups: dict[tuple[int, str], list[tuple[_Candidate, float]]] = {}
    for c, score in chosen:
        groups.setdefault((c.passage, c.heading), []).append((c, score))
    order = sorted(groups, key=lambda key: -max(s for _, s in groups[key]))
    quoted = [c for key in order for c, _ in sorted(groups[key], key=lambda x: x[0].index)]
    # the functions whose reference entries the answer quotes, by their signatures
    entries = {name for _, heading in groups if heading and (name := signed_name(heading))}
    after_block = False
    signed: set[tuple[int, str]] = set()  # the sections quoted after their signatures
    for n, c in enumerate(quoted):
        text = without_answer_label(without_bullet(c.text), c.heading)
        before = quoted[n - 1] if n else None
        opens = n == 0  # the answer, or the lines after a signature: nothing to set it apart
        if _shows_signature(c, before, len(entries) > 1, question):
            # fenced on lines of its own, the description on the line after it
            yield Quoted(("\n\n" if n else "") + _signatures_shown(c.heading) + "\n")
            signed.add((c.passage, c.heading))
            opens = True
        elif before is not None and (before.passage, before.heading) in signed - {
                (c.passage, c.heading)}:
            after_block = True  # a paragraph of its own: it is not that entry's
        after = quoted[n + 1] if n + 1 < len(quoted) else None
        # a list's items quoted one after another, or after the sentence introducing them:
        # a list's lines, as Markdown shows them; items left out between two are said to be
        # an item's sentence after its first goes on the item's line
        joined = c.continues_item and _next_to(before, c) and _in_list(before)
        listed = joined or is_list_item(c.text) and (_of_one_list(before, c)
                                                     or _of_one_list(c, after))
        if listed and not joined and _of_one_list(before, c) and c.index > before.index + 1:
            yield Quoted("\n…")
        if is_code(text):
            # fenced on lines of its own, as Markdown shows code; its citation after the fence,
            # and that of the page its rest is on after it
            block = _joined_code(text, c.goes_on) if c.goes_on else text
            yield Quoted(("\n\n" if n else "") + _closed_code(block) + "\n")
            yield f"[{c.cites or c.passage}]"
            if c.goes_on_cites:
                yield f" [{c.goes_on_cites}]"
        elif listed:
            bare = item_text(c.text)  # a bullet becomes Markdown's dash; a number stays
            if joined:
                yield Quoted(f" {c.text}")
            else:
                yield Quoted(("" if opens else _line_break(before, c))
                             + (c.text if bare == c.text else f"- {bare}"))
            yield f" [{c.cites or c.passage}]"
            if c.items_left:
                at_least = "at least " if c.items_left_open else ""
                noun = "item" if c.items_left == 1 else "items"
                yield f"\n… ({at_least}{c.items_left} more {noun})"
        else:
            # an item quoted alone, as its marker shows it, is a line of its own too, and so
            # are a table's row and a field's value: run together they would read as one
            apart = after_block or is_list_item(text) or _is_row(text) or _is_field_line(text)
            if c.speaker and not c.opens_turn and not _next_to(before, c):
                # a turn's later sentence, quoted without the one before it, says whose it is:
                # after another speaker's it would read as theirs
                text = f"{c.speaker}: … {text}"
            yield Quoted(text if opens else ("\n\n" if apart else " ") + text)
            if c.cut_short:
                yield Quoted(" …")
            yield f" [{c.cites or c.passage}]"
        # and no sentence goes on on an item's line but its own
        after_block = (is_code(text) or listed or _in_list(c) or _is_row(text)
                       or _is_field_line(text))


def _line_break(before: _Candidate | None, item: _Candidate) -> str:
    """What goes before a list's `item` in the answer: a line break, and a paragraph's after
    a sentence of another passage or section (another list's item too), which the list would
    otherwise read as going on from."""
    apart = before is not None and (before.passage, before.heading) != (item.passage, item.heading)
    return "\n\n" if apart else "\n"


def _is_field_line(text: str) -> bool:
    """Whether a piece is a field's value, not a sentence after a label ("adm: Group adm is
    used for system monitoring.") nor a table's row naming its values ("Tier: Gold; Response:
    1 hour"): "Check-out: 10:30", no stop at its end."""
    return (_is_field(text) and _SENTENCE_END.search(text) is None
            and row_values(text) is None)


def _form_lines(text: str) -> set[tuple[int, int]]:
    """Where a form's fields lie in `text`: lines each wholly a field ("Check-in: 15:00",
    `_is_field_line`) one after another, or each a paragraph of its own next to another
    such (a Word document's paragraphs). Not one line closing a paragraph of prose ("...
    (in Mb). Default: 5" then "Type: int"), which says what that prose is about."""
    lines = [(found.start() + len(found.group()) - len(found.group().lstrip()),
              found.start() + len(found.group().rstrip()))
             for found in _LINE.finditer(text) if found.group().strip()]
    fields = [_is_field_line(text[start:end]) for start, end in lines]
    # whether a blank line comes between each line and the next
    apart = [text.count("\n", end, after) > 1
             for (_, end), (after, _) in itertools.pairwise(lines)]
    run = [fields[i] and ((i > 0 and not apart[i - 1] and fields[i - 1])
                          or (i + 1 < len(lines) and not apart[i] and fields[i + 1]))
           for i in range(len(lines))]
    alone = [fields[i] and (i == 0 or apart[i - 1]) and (i + 1 == len(lines) or apart[i])
             for i in range(len(lines))]
    return {line for i, line in enumerate(lines) if run[i] or alone[i] and (
        (i > 0 and (run[i - 1] or alone[i - 1]))
        or (i + 1 < len(lines) and (run[i + 1] or alone[i + 1])))}


def _cut_at_form_lines(text: str, found: list[Sentence],
                       form: set[tuple[int, int]]) -> list[Sentence]:
    """The pieces `found`, each one holding lines of a form (`form`) cut into them: with no
    stop at their ends the splitter runs a form's lines together ("Check-in: 15:00
    Check-out: 10:30"), and an answer to one would quote them all. A line after a field
    that ends no sentence goes on with its value ("Address: 2 Quay Road" then "Leith")."""
    if not form:
        return found
    cut: list[Sentence] = []
    for piece in found:
        lines = sorted(line for line in form if piece.start <= line[0] and line[1] <= piece.end)
        if not lines or piece.text != " ".join(text[piece.start:piece.end].split()):
            cut.append(piece)
            continue
        spans: list[tuple[int, int]] = []
        at = piece.start
        for line in [*lines, (piece.end, piece.end)]:
            gap = _stripped_span(text, at, line[0])
            if gap is not None:
                if spans and spans[-1] in lines and not _SENTENCE_END.search(text[slice(*gap)]):
                    spans[-1] = (spans[-1][0], gap[1])
                else:
                    spans.append(gap)
            if line[0] < line[1]:
                spans.append(line)
            at = line[1]
        cut += [Sentence(" ".join(text[start:end].split()), start, end) for start, end in spans]
    return cut


def _stripped_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """`text[start:end]` without the white space around it, or None when it holds none else."""
    piece = text[start:end]
    if not piece.strip():
        return None
    return start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip())


def _is_row(text: str) -> bool:
    """Whether a piece is a table's row: its values named ("Tier: Gold; Response: 1 hour"), or
    its cells apart, no stop at its end ("Voltage | 230 V"); not a sentence writing an operator
    ("Whereas & and | apply element-wise to vectors, ...")."""
    return row_values(text) is not None or (CELL_SEPARATOR in text
                                            and _SENTENCE_END.search(text) is None)


def _with_code_introduced(by_passage: list[list[_Candidate]], passages: Sequence[Hit]
                          ) -> list[list[_Candidate]]:
    """The passages' sentences, each passage ending on a sentence that introduces the code
    another passage opens with (`Hit.code_after`: the chunk after it, on the next page)
    followed by that code, which cites the passage it is in (`_Candidate.cites`): there it
    is quoted only after its introduction, which says what it is for."""
    numbers = {hit.chunk_id: n for n, hit in enumerate(passages, start=1)}
    found = [list(group) for group in by_passage]
    for n, hit in enumerate(passages, start=1):
        at, group = numbers.get(hit.code_after or ""), found[n - 1]
        if at is None or at == n or not group or group[-1].is_title or not _introduces_code(
                group[-1].text):
            continue
        opening = _opening_code(found[at - 1])
        if opening is None:
            continue
        code = found[at - 1][opening]
        found[at - 1][opening] = replace(code, introduced_elsewhere=True)
        last = group[-1]
        group.append(replace(code, passage=n, index=len(group), cites=at, heading=last.heading,
                             entry=last.entry, continues_entry=last.continues_entry,
                             outline=last.outline, introduced_elsewhere=False))
    return found


def _opening_code(group: list[_Candidate]) -> int | None:
    """Where the code block a passage opens with is among its pieces (past its lead-in), or
    None when it opens with words."""
    opening = next((i for i, c in enumerate(group) if not c.is_lead_in), None)
    return opening if opening is not None and is_code(group[opening].text) else None


def _with_code_going_on(by_passage: list[list[_Candidate]], passages: Sequence[Hit]
                        ) -> list[list[_Candidate]]:
    """The passages' sentences, each passage ending its page on a program whose rest another
    passage opens with (`Hit.code_goes_on`: the chunk after it, on the next page) holding that
    rest with its last piece (`_Candidate.goes_on`): quoted apart, the program's first lines
    would not parse and its rest would say nothing of what it is. That rest, in its own
    passage, is quoted only so."""
    numbers = {hit.chunk_id: n for n, hit in enumerate(passages, start=1)}
    found = [list(group) for group in by_passage]
    for n, hit in enumerate(passages, start=1):
        at, group = numbers.get(hit.code_goes_on or ""), found[n - 1]
        if at is None or at == n or not group or not is_code(group[-1].text):
            continue
        opening = _opening_code(found[at - 1])
        if opening is None:
            continue
        rest = found[at - 1][opening]
        found[at - 1][opening] = replace(rest, introduced_elsewhere=True)
        group[-1] = replace(group[-1], goes_on=rest.text, goes_on_cites=at)
    return found


def _joined_code(block: str, rest: str) -> str:
    """A program and its rest, each a block of its own (a page break cut it), as one block:
    the first's fences around both's lines, where both are fenced."""
    head, _, closing = block.rpartition("\n")
    opening, _, tail = rest.partition("\n")
    if head and tail and closing.startswith(_FENCE) and opening.startswith(_FENCE):
        return f"{head}\n{tail}"
    return f"{block}\n{rest}"


def _shows_signature(c: _Candidate, before: _Candidate | None, entries: bool,
                     question: str) -> bool:
    """Whether `c`, the first quoted sentence of a reference entry headed by its signatures
    ("isequaln (x1, x2, ...)"), comes after them: its description does not name the function
    again, and the reader could not tell whose it is where the answer quotes other entries
    too (`entries`: "Return true if all of x1, x2, ... are equal." is isequal's and, with
    more, isequaln's), where the question does not name it, or where it says "This function
    ..." (`leans_back`)."""
    name = signed_name(c.heading) if c.heading else None
    if (name is None or is_code(c.text) or writes(c.text, name)
            or (before is not None and (before.passage, before.heading)
                == (c.passage, c.heading))):
        return False
    return entries or not writes(question, name) or leans_back(c.text)


def _signatures_shown(block: str) -> str:
    """A reference entry's signature block as shown above a description: whole, or its first
    line where it has more than _SIGNATURE_LINES (quit's seven forms would outweigh the
    sentence; the name is what tells whose it is)."""
    opening, *lines, closing = block.split("\n")
    if len(lines) <= _SIGNATURE_LINES:
        return block
    return "\n".join([opening, lines[0], closing])


def _list_weight(items: Sequence[_Candidate]) -> int:
    """How many sentences a list's `items` count as against the answer's limit: one for each
    _LIST_WORDS of their words begun, one at least."""
    words = sum(len(a.text.split()) for a in items)
    return max(1, -(-words // _LIST_WORDS))


def _list_around(c: _Candidate, by_passage: list[list[_Candidate]]) -> list[_Candidate]:
    """The list `c` is an item of, or a sentence of one, as far as its passage holds it: the
    run of items around `c` under its heading."""
    passage = by_passage[c.passage - 1]
    start = end = c.index
    while (start > 0 and _in_list(passage[start - 1]) and not passage[start - 1].is_title
           and passage[start - 1].heading == c.heading):
        start -= 1
    while (end + 1 < len(passage) and _in_list(passage[end + 1])
           and not passage[end + 1].is_title and passage[end + 1].heading == c.heading):
        end += 1
    return passage[start:end + 1]


def _take_short_list(c: _Candidate, by_passage: list[list[_Candidate]],
                     chosen: dict[tuple[int, int], float], score: float,
                     uncounted: set[tuple[int, int]], left: _ItemsLeft,
                     listed: set[tuple[int, int]], introduced_code: set[tuple[int, int]],
                     max_sentences: int) -> bool:
    """Chooses the whole list `c` is an item of, when no sentence introduces it ("... will
    normally have a special form." then two bullets) and it fits the room left, with the
    program its last item introduces ("4. To quit the R program the command is" then "> q()"):
    one of its items alone would read as the whole list, and what the sentence after it says
    of "this arrangement" would speak of the one item. Whether it did."""
    if not _in_list(c) or c.cut_before:
        return False  # a list the chunk before begins is not whole here
    items = _list_around(c, by_passage)
    keys = [(a.passage, a.index) for a in items]
    code = [(a.passage, a.index) for a in _introduced(items[-1], by_passage) if is_code(a.text)]
    room = max_sentences - len(chosen) + len(uncounted)
    if (len(_list_items(items)) < 2 or any(key in chosen for key in keys + code)
            or _list_weight(items) + len(code) > room):
        return False
    needed: list[tuple[int, int]] = []
    _take_list(items, items, needed, uncounted, left)
    listed.update(keys)
    introduced_code.update(code)
    for key in needed + code:
        chosen[key] = score
    return True


def _without_broken_promises(chosen: dict[tuple[int, int], float],
                             by_passage: list[list[_Candidate]],
                             follows: dict[int, int] | None = None) -> None:
    """Leaves out of `chosen` each sentence promising what follows it ("... might look as
    follows.", "Here is a small example:", "The following variables are read:") that is
    not followed by some of what it promises: the answer would promise a table, a list or a
    program it does not show (its passage may end before them, the chunk after holding
    them). Not the last one left: a promise says more than no answer."""
    followed = set((follows or {}).values())
    for passage, index in list(chosen):
        sentences = by_passage[passage - 1]
        if (len(chosen) > 1 and _promises(sentences[index], sentences[index + 1:], followed)
                and not _shows_promised(sentences[index + 1:], chosen)):
            del chosen[(passage, index)]


def _promises(c: _Candidate, after: list[_Candidate], followed: Collection[int]) -> bool:
    """Whether a sentence promises what follows it: an example, or what it introduces with a
    colon ("... are read at start-up:") where its passage ends after it and the passage after
    it in its document, which holds what it introduces, is among those found (`followed`).
    Not a field or a table's row; nor where that passage is not found, when the sentence is
    all the answer can say of what follows ("He gave his response the next day:")."""
    if promises_example(c.text):
        return True
    return (c.text.endswith(":") and row_values(c.text) is None and not is_code(c.text)
            and not after and c.passage in followed)


def _shows_promised(after: list[_Candidate], chosen: Collection[tuple[int, int]]) -> bool:
    """Whether some of what a promise introduces is chosen: a piece of the run after it that
    is no sentence of prose (code, a list's item, a line with no stop: "[on_true] if
    [expression] else [on_false]", an example's line, a table's row), before the next
    sentence or title."""
    for c in after:
        if c.is_title or not (is_code(c.text) or _in_list(c)
                              or _SENTENCE_END.search(c.text) is None):
            return False
        if (c.passage, c.index) in chosen:
            return True
    return False


def _in_list(c: _Candidate | None) -> bool:
    """Whether `c` is a list's item or a sentence of one after its first."""
    return c is not None and (is_list_item(c.text) or c.continues_item)


def _list_items(pieces: list[_Candidate]) -> list[list[_Candidate]]:
    """A list's pieces by item: each item with the sentences it goes on in."""
    items: list[list[_Candidate]] = []
    for piece in pieces:
        if piece.continues_item and items:
            items[-1].append(piece)
        else:
            items.append([piece])
    return items


def _items_within(pieces: list[_Candidate], room: int) -> list[_Candidate]:
    """A list's leading items, with their sentences, that weigh no more than `room` sentences
    (`_list_weight`): all of them when they fit, the first one at least."""
    items = _list_items(pieces)
    within = items[0]
    for item in items[1:]:
        if _list_weight([*within, *item]) > room:
            break
        within = [*within, *item]
    return within


def _part_shown(items: list[_Candidate], best: _Candidate, introduction: _Candidate,
                room: int) -> list[_Candidate]:
    """The part of a list too long to quote whole that is quoted: the item of the `best`
    sentence, where that is an item; else, the best being the `introduction`, its leading
    items within `room`."""
    return (_item_of(items, best) if best is not introduction
            else _items_within(items, room))


def _item_of(pieces: list[_Candidate], c: _Candidate) -> list[_Candidate]:
    """The item of a list's `pieces` that `c` is or goes on in, with its sentences."""
    return next(item for item in _list_items(pieces) if c in item)


def _take_list(pieces: list[_Candidate], shown: list[_Candidate], needed: list[tuple[int, int]],
               uncounted: set[tuple[int, int]], left: _ItemsLeft) -> None:
    """Adds the items `shown` of a list's `pieces` to `needed`, those beyond the sentences they
    weigh to `uncounted`, and the number of the list's items after the last shown to `left`,
    which is said after it."""
    keys = [(a.passage, a.index) for a in shown]
    needed += keys
    uncounted.update(keys[_list_weight(shown):])
    after = len(_list_items([a for a in pieces if a.index > shown[-1].index]))
    after += pieces[-1].items_beyond
    if after:
        left[keys[-1]] = (after, pieces[-1].items_beyond_open)


def _of_one_list(first: _Candidate | None, second: _Candidate | None) -> bool:
    """Whether `second` is an item of the list `first` introduces or is an item of, after it
    in its section (items between them may be left out)."""
    return (first is not None and second is not None
            and (first.passage, first.heading) == (second.passage, second.heading)
            and second.index > first.index and is_list_item(second.text)
            and (_in_list(first) or _opens_list(first.text)))


def _goes_on_from(best: _Candidate, c: _Candidate) -> bool:
    """Whether `c` is `best` or comes after it in its section (its passage, its heading)."""
    return (c.passage, c.heading) == (best.passage, best.heading) and c.index >= best.index


def _next_to(first: _Candidate | None, second: _Candidate | None) -> bool:
    """Whether `second` comes right after `first` in the same passage."""
    return (first is not None and second is not None and first.passage == second.passage
            and second.index == first.index + 1)


def _leaned_on(c: _Candidate, by_passage: list[list[_Candidate]]) -> _Candidate | None:
    """The sentence before `c` in its passage, when `c` leans on it ("He ...", "However,
    ...") and it is no title; past an aside in parentheses, which "Hence" does not follow
    from, to the sentence before that. Code leans on the sentence introducing it ("Install it
    with pip:")."""
    if not c.index:
        return None
    passage = by_passage[c.passage - 1]
    if is_code(c.text):
        before = passage[c.index - 1]
        return before if _introduces_code_after(before, passage) else None
    if _goes_on_after_code(c, passage):
        return passage[c.index - 1]
    # an aside in parentheses ("(The choice is made by the 'LazyData' field ...)") remarks
    # on the sentence before it
    if not (leans_back(c.text) or _is_aside(c.text)):
        return None
    before = passage[c.index - 1]
    if _is_aside(before.text) and c.index > 1 and not passage[c.index - 2].is_title:
        before = passage[c.index - 2]
    # a list's last item is not what a sentence after the list is about ("- Verifier" then
    # "By default it creates a weekly backup."): quoted alone it would read as its subject;
    # nor is a pointer ("See Chapter 5 [Strings], page 71." then "Once this function is
    # defined, ..."), which names no subject of its own
    return (None if before.is_title or is_list_item(before.text)
            or _points_within(before.text) else before)


def _leaning_run(c: _Candidate, by_passage: list[list[_Candidate]],
                 chosen: Collection[tuple[int, int]]) -> list[tuple[int, int]]:
    """`c` after the run of sentences it leans on (`_leaned_on`), back to the one naming what
    they are about ("It was built ... It is 330 metres tall."), or to one already chosen,
    which came with its own run. Cut short, the run's first sentence would dangle: "These
    exist as terminal connections in R." without "... special files stdin, stdout and
    stderr." reads as about the sentence quoted before it."""
    run = [(c.passage, c.index)]
    leaning = c
    while (before := _leaned_on(leaning, by_passage)) is not None:
        key = (before.passage, before.index)
        if key in chosen:
            break
        run.insert(0, key)
        leaning = before
    return run


def _followed_up(c: _Candidate, by_passage: list[list[_Candidate]],
                 held: dict[tuple[int, int], frozenset[str]]) -> list[_Candidate]:
    """The sentence right after `c` in its section, when it leans on `c` and holds a word
    of the question `c` lacks (`held`: the question's words each holds): the set-up "It is
    quite common ... to have all trailing empty fields ... omitted." says what the next one
    answers, "To read such files set fill = TRUE." ("read"). One saying more of what `c`
    names ("However, over the past decade Warsaw has ...") would take the room of a sentence
    answering on its own, and a name or a number is in most sentences of a story."""
    passage = by_passage[c.passage - 1]
    if c.index + 1 >= len(passage):
        return []
    after = passage[c.index + 1]
    if (after.is_title or after.heading != c.heading or is_code(after.text)
            or not held.get((after.passage, after.index), frozenset())
            - held.get((c.passage, c.index), frozenset())
            or _leaned_on(after, by_passage) is not c):
        return []
    return [after]


def _introduced(c: _Candidate, by_passage: list[list[_Candidate]]) -> list[_Candidate]:
    """What `c` introduces right after it in its passage: the code block after "Install it
    with pip:", a list's items after "the following:" or "..., such as", which stops in the
    middle of a sentence without them."""
    passage = by_passage[c.passage - 1]
    if c.index + 1 >= len(passage):
        return []
    after = passage[c.index + 1]
    if is_code(after.text):
        return [after] if _introduces_code_after(c, passage) else []
    if not _opens_list(c.text):
        return []
    items = []
    for item in passage[c.index + 1:]:
        if not _in_list(item) or item.is_title:
            break
        items.append(item)
    return items


def _follows(passages: Sequence[Hit]) -> dict[int, int]:
    """Each passage's citation number, by that of the passage it goes on from: the chunk
    right before it in its document."""
    numbers = {(hit.doc_id, hit.position): n for n, hit in enumerate(passages, start=1)}
    return {n: before for n, hit in enumerate(passages, start=1)
            if (before := numbers.get((hit.doc_id, hit.position - 1))) is not None}


def _with_lists_introduced(by_passage: list[list[_Candidate]], follows: dict[int, int]
                           ) -> list[list[_Candidate]]:
    """The passages' sentences, each passage ending on a sentence introducing a list ("This
    is done by a three-pass process:") followed by the items the passage after it opens with
    (`follows`: the chunker cut between them), which cite the passage they are in
    (`_Candidate.cites`): there they are quoted only after their introduction."""
    found = [list(group) for group in by_passage]
    for after, before in follows.items():
        group, opening = found[before - 1], found[after - 1]
        items = _opening_items(opening)
        if not (group and items) or group[-1].is_title or not _opens_list(group[-1].text):
            continue
        found[after - 1] = [replace(c, introduced_elsewhere=True) if c in items else c
                            for c in opening]
        last = group[-1]
        group += [replace(c, passage=before, index=len(group) + i, cites=after,
                          heading=last.heading, entry=last.entry, outline=last.outline,
                          cut_before=False) for i, c in enumerate(items)]
    return found


def _opening_items(passage: list[_Candidate]) -> list[_Candidate]:
    """The items of the list a passage opens with where the chunker cut it."""
    opening = [c for c in passage if not c.is_lead_in]
    return list(itertools.takewhile(lambda c: c.cut_before, opening))


def _with_items_beyond(by_passage: list[list[_Candidate]], follows: dict[int, int]
                       ) -> list[list[_Candidate]]:
    """The passages' sentences, each passage ending in a list's item marked with the number
    of the list's items the passage after it holds (`_Candidate.items_beyond`), when that one
    was found too (`follows`): a list the chunker cut is not whole where a passage ends."""
    found = [list(group) for group in by_passage]
    for after, before in follows.items():
        group = found[before - 1]
        if not group or not _in_list(group[-1]):
            continue
        beyond = _items_going_on(_list_items(_list_around(group[-1], found)),
                                 found[after - 1])
        if beyond:
            group[-1] = replace(group[-1], items_beyond=beyond,
                                items_beyond_open=_list_goes_past(after, found, follows))
    return found


def _list_goes_past(after: int, found: list[list[_Candidate]], follows: dict[int, int]) -> bool:
    """Whether the list going on in passage `after` may go on past it: it ends that passage,
    and the passage after it is not found or opens with items too."""
    if not found[after - 1][-1].cut_before:
        return False
    following = next((n for n, before in follows.items() if before == after), None)
    return following is None or bool(_opening_items(found[following - 1]))


def _items_going_on(items: list[list[_Candidate]], following: list[_Candidate]) -> int:
    """How many items of `following` (the next passage's sentences) go on the list of
    `items`: numbered on from its last ("3." after "2."), anywhere before a title; or, its
    items unnumbered, those the passage opens with, but for the ones the chunks' overlap
    repeats."""
    last = _ITEM_COUNT.match(items[-1][0].text)
    if last is None:
        quoted = {piece.text for item in items for piece in item}
        return sum(1 for c in _opening_items(following)
                   if not c.continues_item and c.text not in quoted)
    number, going_on = int(last.group(1)), 0
    for c in following:
        if c.is_title:
            break
        found = _ITEM_COUNT.match(c.text) if is_list_item(c.text) else None
        if found is not None and int(found.group(1)) == number + going_on + 1:
            going_on += 1
    return going_on


def _goes_on(code_block: str) -> bool:
    """Whether the program `code_block` goes on from one a chunk before cut (its first line
    "…"): the document introduced it there, so it is no transcript standing alone."""
    return code_block.split("\n", 2)[1:2] == ["…"]


def _code_introduction(c: _Candidate, by_passage: list[list[_Candidate]],
                       follows: dict[int, int]) -> _Candidate | None:
    """The sentence or heading right before the program `c`, which says what it shows
    ("## Usage"): in its passage (the sentence ingest kept from the chunk before, for a
    passage opening with it), or the last of the passage it goes on from (`follows`). None
    for a program after another or after a list's item not introducing it ("3) By passing a
    mutable object:" does), or cut before its opening."""
    if not is_code(c.text) or _goes_on(c.text):
        return None
    if c.index:
        before = by_passage[c.passage - 1][c.index - 1]
    elif c.passage in follows and by_passage[follows[c.passage] - 1]:
        before = by_passage[follows[c.passage] - 1][-1]
    else:
        return None
    if is_code(before.text) or (_in_list(before) and not _introduces_code(before.text)):
        return None
    return before


def _list_introduction(c: _Candidate, by_passage: list[list[_Candidate]]) -> _Candidate | None:
    """The sentence introducing the list `c` is an item of, or a sentence of one, when its
    passage holds it ("The survey used the following instruments:" before "- a theodolite"):
    an item is quoted in its list, after it, never alone. A label too short to quote ("At
    startup:", "Lists:") introduces nothing an answer would show."""
    if not _in_list(c):
        return None
    passage = by_passage[c.passage - 1]
    at = c.index
    while at > 0 and _in_list(passage[at - 1]) and not passage[at - 1].is_title:
        at -= 1
    if at == 0:
        return None
    before = passage[at - 1]
    if before.is_title or before.is_lead_in or not _long_enough(before.text):
        return None
    return before if c in _introduced(before, by_passage) else None


def _goes_on_item(text: str, before: Sentence | None, piece: Sentence,
                  previous: _Candidate | None) -> bool:
    """Whether `piece` is a sentence of the list item `previous` is, or goes on in, after its
    first: on the item's line ("1. Switch it off. Wait ten seconds."), or on a line indented
    under it. A line that is not indented after an item begins what follows the list."""
    if (before is None or previous is None or previous.is_title or not _in_list(previous)
            or is_list_item(piece.text) or is_code(piece.text)):
        return False
    gap = text[before.end:piece.start]
    return "\n" not in gap or (gap.count("\n") == 1 and gap.endswith((" ", "\t")))


def _completing_code(c: _Candidate, by_passage: list[list[_Candidate]]) -> _Candidate | None:
    """The code right after `c` in its passage that completes it, written without a stop
    ("the command is" before "> source("commands.R")")."""
    passage = by_passage[c.passage - 1]
    if c.index + 1 >= len(passage) or is_code(c.text) or not c.text[-1:].isalnum():
        return None
    after = passage[c.index + 1]
    return after if is_code(after.text) else None


def _list_after(c: _Candidate, by_passage: list[list[_Candidate]]) -> list[_Candidate]:
    """A short introduction right after `c` in its section with the list or program it
    introduces: "Something which sometimes puzzles users is that install.packages() may
    report that a package ... is not found." then "Some possible reasons:" and its items. The
    introduction says nothing without `c`, and its list is what `c` leads up to."""
    passage = by_passage[c.passage - 1]
    # a table's row is whole: what follows the table is not what it leads up to
    if c.index + 1 >= len(passage) or _opens_list(c.text) or row_values(c.text) is not None:
        return []
    after = passage[c.index + 1]
    if (after.is_title or after.heading != c.heading or not after.text.endswith(":")
            or is_list_item(after.text) or is_code(after.text)
            or len(after.text.split()) > _LIST_INTRODUCTION_WORDS):
        return []
    items = _introduced(after, by_passage)
    return [after, *items] if items else []


def _points_elsewhere(text: str) -> bool:
    """Whether a sentence says only where its subject is described ("The NAMESPACE file is
    described in the section on Section 1.5 [Package namespaces], page 52.", "See Section
    3.1 for details."): a section, a page or an address after the pointer, and no clause of
    its own."""
    pointer = _POINTING.match(text)
    if pointer is None:
        return False
    rest = text[pointer.end():]
    # a title's words are another section's ("[What is R, and why?]"), no clause of this one
    return (_ELSEWHERE.search(rest) is not None
            and _CLAUSE_AFTER.search(references.without_titles(rest)) is None)


def _points_within(text: str) -> bool:
    """Whether a sentence only points to another part of the documents (`_points_elsewhere`:
    "See Chapter 5 [Strings], page 71."), whose own sentences say what it names; not to an
    address, which they do not hold: a web FAQ's "See https://www.python.org/about/success
    for a list of projects that use Python." is its answer."""
    return _points_elsewhere(text) and _ADDRESS.search(text) is None


def _introduces_code_after(c: _Candidate, passage: list[_Candidate]) -> bool:
    """Whether `c` introduces the code after it in its `passage` (`_introduces_code`), or is
    a caption in a run of captioned programs: a sentence of its own right after a program
    that a sentence before introduces ("Example Code: Clear all variables starting with 'x'"
    then its program, then "Clear the specific variable "foobar" and ..." then its own)."""
    if c.is_title or is_code(c.text):
        return False
    if _introduces_code(c.text):
        return True
    if (c.index < 2 or not is_code(passage[c.index - 1].text) or not c.text[:1].isupper()
            or leans_back(c.text)):
        return False
    caption = passage[c.index - 2]
    return not caption.is_title and _introduces_code(caption.text)


def _goes_on_after_code(c: _Candidate, passage: list[_Candidate]) -> bool:
    """Whether `c` goes on a sentence the program right before it interrupted: it opens in
    lower case ("which stops the function execution ...", "adapts a function ..."), and
    alone it would read as a whole sentence."""
    return (c.index > 0 and c.text[:1].islower() and not is_list_item(c.text)
            and is_code(passage[c.index - 1].text))


def _introduces_code(text: str) -> bool:
    """`introduces_code`, but for a table's row ("Port: Scrabster; Datum: 2.10 m"), which is
    whole and introduces nothing."""
    return row_values(text) is None and introduces_code(text)


def _opens_list(text: str) -> bool:
    """Whether a sentence goes on in a list after it: "the following:", "..., such as". An
    item ending "; and" goes on in the next item, but says its own part whole, and so does a
    table's row ("Name: Ines Carvalho; Role: ferry pilot")."""
    if row_values(text) is not None:
        return False
    return (text.endswith(":") or promises_example(text)
            or (_TRAILING_FRAGMENT.search(text) is not None and not is_list_item(text)))


def _is_aside(text: str) -> bool:
    """A sentence wholly in parentheses: "(In fact, ... far too expensive.)"."""
    body = text.rstrip(".!?")
    if not (body.startswith("(") and body.endswith(")")):
        return False
    depth = 0
    for char in body[:-1]:  # the first bracket stays open until the last
        depth += (char == "(") - (char == ")")
        if depth == 0:
            return False
    return True


def _closed_code(code: str) -> str:
    """A code block as quoted: one its passage cuts (a chunk's end) closed after a line
    saying that the program goes on."""
    if not is_cut_code(code):
        return code
    fence = code[:len(code) - len(code.lstrip("`"))]
    return f"{code}\n…\n{fence}"


def _whole_block(text: str, piece: Sentence) -> bool:
    """Whether a passage's last piece is a block of its own, whole without a closing stop,
    rather than a sentence the chunk's end cut: a short one (a list item), a table's row
    however long its named values make it ("Code: W0001; ...; Action: Enable NTP"), or a
    log's record that ends its line."""
    if is_log_record(piece.text) and _ends_line(text, piece):
        return True
    return (text[:piece.start].rstrip(" \t").endswith("\n\n")
            and (len(piece.text.split()) <= _BLOCK_WORDS or row_values(piece.text) is not None))


def _starts_line(text: str, piece: Sentence) -> bool:
    return text[:piece.start].rstrip(" \t").endswith("\n") or not text[:piece.start].strip()


def _ends_line(text: str, piece: Sentence) -> bool:
    return text[piece.end:].lstrip(" \t")[:1] in ("", "\n")


def _is_listed(piece: Sentence, before: Sentence | None, after_item: bool = False) -> bool:
    """Whether the document marks `piece` as a list's item, which is content however few
    and capitalised its words ("- Ann Linklater", "• Washer"): a bullet, or a number or a
    letter after the list's introduction or another of its items ("The crew on duty are:"
    then "1. Erlend Heddle", "It might be passed as one of" then "1. Function Handle"). A
    number after a paragraph heads a section ("1. Encoding", "3. Grant of Patent License.").
    `after_item`: `before` is a sentence of an item after its first ("Wait ten seconds." in
    "1. Switch it off. Wait ten seconds.")."""
    if item_text(piece.text) != piece.text:
        return True
    return (is_list_item(piece.text) and before is not None
            and (after_item or _opens_list(before.text) or is_list_item(before.text)))


def _is_title_block(hit: Hit, piece: Sentence) -> bool:
    """The unclosed lines a document opens with ("Apache License / Version 2.0, January 2004
    / http://..."), however many words they hold; one line alone may be a sheet's first row."""
    return (hit.position == 0 and piece.start == 0 and not _CLOSED.search(piece.text)
            and "\n" in hit.text[piece.start:piece.end].strip())


def _is_title_line(text: str, piece: Sentence) -> bool:
    """A line of its own in title case, no closing stop: every word capitalised but the small
    ones ("Using Box<T> to Point to Data on the Heap"), two capitalised at least. Not a list
    item in sentence case ("Fill the kettle halfway") or a sheet's row of named values
    ("Region: North; Q1: 1200")."""
    words = [w for w in piece.text.split() if any(ch.isalpha() for ch in w)]
    if (not 2 <= len(words) <= _TITLE_CASE_WORDS or _CLOSED.search(piece.text)
            or ";" in piece.text or "\n" in piece.text or _is_value_row(piece.text)
            or _is_field(piece.text) or _holds_figures(piece.text)
            or not _starts_line(text, piece)
            or not _ends_line(text, piece)):
        return False
    # a name may open in lower case ("macOS", "iPhone")
    capitalised = [w[0].isupper() or any(ch.isupper() for ch in w) for w in words]
    return sum(capitalised) >= 2 and all(
        up or not w[0].isalpha() or w.lower() in lexical.STOP_WORDS
        for w, up in zip(words, capitalised, strict=True))


def _is_question_line(text: str, piece: Sentence) -> bool:
    """A question on a line of its own: an FAQ's ("Q: How do I delete my account?", an HTML
    FAQ's heading), which heads the answer under it and answers nothing. Not a line of
    dialogue ("“Where is he?”"), a story's own."""
    return (piece.text.endswith("?") and piece.text[:1] not in _QUOTE_MARKS
            and len(piece.text.split()) <= _QUESTION_LINE_WORDS
            and _starts_line(text, piece) and _ends_line(text, piece))


def _is_table_header(text: str, piece: Sentence) -> bool:
    """A table's header as ingest writes it ("Dataset | Paper | Number of training tuples"),
    the row after it naming its values by the header's cells ("Dataset: Reddit comments;
    Paper: ..."): it says nothing the rows do not. At a passage's end, where the chunk cut
    the table after its header, cells without a figure: a row of a table without a header
    ("Voltage | 230 V") holds values."""
    if CELL_SEPARATOR not in piece.text or not _starts_line(text, piece):
        return False
    after = text[piece.end:].strip()
    if not after:
        return not any(char.isdigit() for char in piece.text)
    return names_cells_of(after.split("\n", 1)[0], piece.text)


def _is_table_caption(text: str, piece: Sentence) -> bool:
    """A line of its own with no closing stop right above a table's header ("Response times
    by tier" over "Tier | Severity | Response"): the table's title, which its rows say more
    of, and which under no heading of theirs would be quoted after them."""
    if not (_starts_line(text, piece) and _ends_line(text, piece)) or _CLOSED.search(piece.text):
        return False
    header, _, rows = text[piece.end:].strip().partition("\n")
    row = rows.strip().split("\n", 1)[0]
    return CELL_SEPARATOR in header and bool(row) and names_cells_of(row, header)


def _is_document_title(hit: Hit, text: str) -> bool:
    """A piece that is its document's title ("Users and Groups in the Debian System", the
    first line of that HTML page's text) or the heading its section is cited by (a Word
    document's "Installation steps", a slide's title), in whatever case and punctuation."""
    said = _words(text)
    if hit.title and said == _words(hit.title):
        return True
    return bool(hit.locator and said.strip()) and _words(hit.locator or "").endswith(said)


def _is_opening_title(hit: Hit, piece: Sentence) -> bool:
    """A document's first line with a blank line after it, of a few words, closed by no stop
    or comma, no field ("Deadline: March 31") nor value row ("Weight 4.2 kg"): a plain-text
    file's title ("Depot memo 5", "Skara Brae visitor info"). No mark tells it, as
    Markdown's `#` does, and it may hold a figure or words in lower case, as a title in
    title case does not."""
    return (hit.position == 0 and not hit.text[:piece.start].strip()
            and _BLANK_LINE_AFTER.match(hit.text, piece.end) is not None
            and "\n" not in piece.text and len(piece.text.split()) <= _TITLE_CASE_WORDS
            and not _CLOSED.search(piece.text) and not piece.text.endswith(",")
            and not (_is_value_row(piece.text) or _is_field(piece.text)))


def _is_heading_paragraph(text: str, piece: Sentence) -> bool:
    """A paragraph of a few words in sentence case, with no stop, over a paragraph of prose
    that ends on one and names what it names ("Descaling your kettle" over "... We recommend
    descaling the K2 every four weeks ..."): a web page's or a Word document's heading
    without its markup, which answers nothing itself. Not a field, a row of figures or a
    list's item, nor an instruction the prose after it is not about ("Fill the kettle
    halfway" then "Robert Gentleman and Ross Ihaka wrote it.")."""
    words = piece.text.split()
    if (not 2 <= len(words) <= _HEADING_PARAGRAPH_WORDS or not piece.text[:1].isupper()
            or "\n" in piece.text or _CLOSED.search(piece.text) or piece.text.endswith(",")
            or ";" in piece.text or _is_value_row(piece.text) or _is_field(piece.text)
            or _holds_figures(piece.text) or is_list_item(piece.text)):
        return False
    before = text[:piece.start].rstrip(" \t")
    after = _BLANK_LINE_AFTER.match(text, piece.end)
    if (before and not before.endswith("\n\n")) or after is None:
        return False
    paragraph = text[after.end():].split("\n\n", 1)[0].strip()
    return (len(paragraph.split()) > len(words) and "\n" not in paragraph
            and _SENTENCE_END.search(paragraph) is not None and not is_list_item(paragraph)
            and bool(lexical.term_set(piece.text) & lexical.term_set(paragraph)))


def _is_value_row(text: str) -> bool:
    """A table's row naming a value ("Voltage | 230 V", "Weight 4.2 kg"): a measure, or a
    figure in a row of cells. Its key is capitalised and its unit short, as a title's words
    are, but it says what the question asks."""
    return holds_measure(text) or ("|" in text and any(ch.isdigit() for ch in text))


def _is_field(text: str) -> bool:
    """A field: a short label, a colon and its value ("Deadline: March 31", "Check-out: by
    10:30", "**Budget:** 50,000 EUR"), which says what a question asks as a sentence does."""
    return _FIELD.match(text) is not None


def _holds_figures(text: str) -> bool:
    """Whether a piece holds a figure as a word of its own: a table's row ("Double 110 GBP
    130 GBP"), which a title does not."""
    return any(_FIGURE.fullmatch(word) for word in text.split())


def _is_title(text: str) -> bool:
    """A few capitalised words and no closing stop: "Users and Groups", not "Fill it
    halfway" (a list item), "K200 | 1.7 litres" or "Voltage | 230 V" (a table's row) or
    "Region: North; Q1: 1200" (a sheet's row, its values named), a field ("Deadline: March
    31") or a line holding figures ("Double 110 GBP 130 GBP"). A numbered one may be longer
    and end on a stop: "3. Grant of Patent License." """
    if ";" in text or _is_value_row(text) or _is_field(text):
        return False
    numbered = _ITEM_NUMBER.match(text)
    if numbered:
        text = text[numbered.end():].removesuffix(".")
    if _holds_figures(text):
        return False
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    return (len(words) <= (_NUMBERED_TITLE_WORDS if numbered else _TITLE_WORDS)
            and not _CLOSED.search(text)
            and all(w[0].isupper() for w in words if len(w) > 3))


def _without_echoes(question: str, candidates: list[_Candidate]) -> list[_Candidate]:
    """The candidates but those restating the whole question (`_echoes`): a heading or a
    cross-reference ("see Section 2.10 [What is CRAN?], page 9") outscores the answer, which
    it is not. All of them if nothing else is left, or if the question is short (its words
    as written: "AB-1234-X" is one, not three) or no question but a phrase looked up."""
    if len(question.split()) <= _ECHO_WORDS or not _ASKS.match(question.strip()):
        return candidates
    asked = _WORD.findall(question.lower())
    kept = [c for c in candidates if not _echoes(asked, c.text)]
    return kept or candidates


def _echoes(asked: list[str], text: str) -> bool:
    """Whether `text` holds the question's words (`asked`, in order) as a question of their
    own: alone, as a heading ("2.10 What is CRAN?"), in brackets or quotes, after a colon,
    or ending on its question mark. Inside a clause of the sentence ("Erlend Heddle, who
    photographed the coast ...", "It was Erlend Heddle who ...") they follow a subject the
    sentence names, which is what the question asks."""
    found = list(_WORD.finditer(text.lower()))
    words = [m.group() for m in found]
    for start in range(len(words) - len(asked) + 1):
        if words[start:start + len(asked)] != asked:
            continue
        end = found[start + len(asked) - 1].end()
        if (not _in_clause(text[:found[start].start()])
                or text[end:].lstrip().startswith("?")):
            return True
    return False


def _in_clause(before: str) -> bool:
    """Whether words ahead of the question's in a sentence (`before`) make it part of a
    clause of their own: they end on a word or a comma ("Erlend Heddle, who"), not a
    bracket, quote, colon or a heading's number, and name something besides where to look
    ("see Section 2.10")."""
    before = before.rstrip()
    if not before or not (before[-1].isalpha() or before[-1] == ","):
        return False
    return bool(lexical.term_set(_ELSEWHERE.sub(" ", _SEE.sub(" ", before))))


def _without_pointers(question: str, candidates: list[_Candidate]) -> list[_Candidate]:
    """The candidates but those pointing to a section that is among them by a cross-reference
    whose title holds every term of the question ("see Section 7.2 [How can I save my
    workspace?], page 28" for "How do I save my workspace?"): the pointer shares the
    question's words and outscores the section's own sentences, which answer it. All of them
    if nothing else is left."""
    asked = lexical.term_set(question)
    headings = [_words(c.heading) for c in candidates if c.heading]
    if not asked or not headings:
        return candidates

    def points_among(c: _Candidate) -> bool:
        return any(asked <= lexical.term_set(title) and any(_words(title) in h for h in headings)
                   for title in references.CROSS_REFERENCE.findall(c.text))

    kept = [c for c in candidates if not points_among(c)]
    return kept or candidates


def _defines_heading(request: GenerationRequest, c: _Candidate,
                     by_passage: list[list[_Candidate]]) -> bool:
    """Whether `c` opens its section by saying what the question's "What is X?" asks, X
    being the heading right above it ("# all-MiniLM-L6-v2" then "This is a ... model"), or
    the document's title when it opens the document."""
    hit = request.passages[c.passage - 1]
    if c.index:
        above = by_passage[c.passage - 1][c.index - 1]
        names = [above.text.lstrip("#").strip()] if above.is_title else []
    else:
        names = [hit.title] if hit.position == 0 else []
    return bool(names) and defined_by_reference(request.question, c.text, names)


def _asked_fields(asked: frozenset[str], passages: Sequence[Hit]) -> set[str]:
    """The names of the document facts (a Markdown file's front matter fields, "license:
    apache-2.0") the question, of terms `asked`, asks for: it names the field and the
    document, as "What license is all-MiniLM-L6-v2 released under?" does."""
    fields = set()
    for hit in passages:
        field = ENTRY_LABEL.match(hit.text) if hit.locator == FRONT_MATTER else None
        if field is None:
            continue
        named, title = lexical.term_set(field.group(1)), lexical.term_set(hit.title)
        if named and title and named | title <= asked:
            fields.add(field.group(1))
    return fields


def _in_named_fields(question: str, candidates: list[_Candidate]) -> list[_Candidate]:
    """When the question names the label of some fields (`_names_label`), the candidates but
    the other fields (`_fields_asked`): "Check-in: 15:00" shares the words and the form of
    "Check-out: 10:30", and scores as high for "When is check-out?"."""
    asked = lexical.stems(question)
    if not any(_is_field_line(c.text) and _names_label(asked, c.text) for c in candidates):
        return candidates
    fields = _fields_asked(question, candidates)
    return [c for c in candidates if not _is_field_line(c.text) or (c.passage, c.index) in fields]


def _unasked_fields(question: str, candidates: list[_Candidate]) -> set[tuple[int, int]]:
    """The fields among `candidates` (`_is_field_line`) the question does not ask for: it
    names neither the field's label (`_fields_asked`) nor the whole heading it is under
    ("What are the house rules?")."""
    asked_terms = lexical.term_set(question)
    fields = _fields_asked(question, candidates)
    unasked = set()
    for c in candidates:
        if not _is_field_line(c.text) or (c.passage, c.index) in fields:
            continue
        heading = lexical.term_set(c.heading)
        if not (heading and heading <= asked_terms):
            unasked.add((c.passage, c.index))
    return unasked


def _fields_asked(question: str, candidates: list[_Candidate]) -> set[tuple[int, int]]:
    """The fields among `candidates` whose labels the question names (`_names_label`), and,
    when it names some, for a part of it naming none (`_QUESTION_PARTS`) those whose values
    hold what that part asks for (`answer_kind`): "How much water does the kettle hold and
    how powerful is it?" names "Power", and "Capacity: 1.7 litres" answers its first half."""
    fields = [c for c in candidates if _is_field_line(c.text)]
    asked = lexical.stems(question)
    named = {(c.passage, c.index) for c in fields if _names_label(asked, c.text)}
    kinds = [kind for part in (_QUESTION_PARTS.split(question) if named else ())
             if (kind := answer_kind(part)) is not None
             and not any(_names_label(lexical.stems(part), c.text) for c in fields)]
    return named | {(c.passage, c.index) for c in fields
                    if any(kind(c.text.split(":", 1)[1]) for kind in kinds)}


def _names_label(asked: Sequence[str], field_line: str) -> bool:
    """Whether the question, of stems `asked` (`lexical.stems`), names the field's label: as
    a phrase ("check-out" in "When is check-out?", but not "Check-in"), or most of its words
    ("How long is the kettle warranty?" of "Kettle warranty terms")."""
    label = lexical.stems(field_line.split(":", 1)[0])
    named = set(label) & set(asked)
    return _holds_phrase(asked, label) or 2 * len(named) > len(set(label))


def _holds_phrase(words: Sequence[str], phrase: Sequence[str]) -> bool:
    """Whether `phrase`'s words stand in `words` one after another."""
    size = len(phrase)
    return size > 0 and any(list(words[at:at + size]) == list(phrase)
                            for at in range(len(words) - size + 1))


def _in_named_entries(candidates: list[_Candidate], named: set[str]) -> list[_Candidate]:
    """When the question names a list entry ("What is the staff group for?" of a list of
    "plugdev: ...", "staff: ..."), the candidates but those of the other entries, and those
    that may go on with an entry from the passage before: they share the list's words
    ("group") and would lead the answer in document order."""
    if not named:
        return candidates
    kept = [c for c in candidates
            if c.entry in named or not (c.entry or c.continues_entry)]
    return kept or candidates


def _holds_code(c: _Candidate, codes: Sequence[str]) -> bool:
    """Whether the sentence, or a heading it is under, writes a code the question names."""
    return bool(codes) and any(writes(f"{c.outline}\n{c.heading}\n{c.text}", code)
                               for code in codes)


def _subject_terms(question: str) -> frozenset[str]:
    """The question's terms (`lexical.asked_terms`) but the word after "how", which asks for
    a kind of answer ("How many", "How quickly"), and its verbs of asking (`_ASKING_VERB`)."""
    asking = frozenset(term for word in _HOW_WORD.findall(question)
                       for term in lexical.terms(word))
    return lexical.asked_terms(_ASKING_VERB.sub(" ", question)) - asking


def _unsaid_terms(question: str, passages: Sequence[Hit]) -> frozenset[str]:
    """The question's terms that none of the passages, nor the names they go by, holds as
    written or as a variant (`lexical.variant_stubs`); but for the word after "how", which
    asks for a kind of answer ("How many", "How quickly"), not about a subject, and the verbs
    of asking (`_ASKING_VERB`: "happened", "take effect"). None for a
    question with a slip the passages write a letter apart ("factrs"): its cosine to them is
    already lowered by its typing, and a higher bar would decline it for that."""
    asked = _subject_terms(question)
    texts = [f"{hit.text} {cited_names(hit.title, hit.locator)}" for hit in passages]
    said = frozenset().union(*map(lexical.term_set, texts))
    said_stubs = lexical.variant_stubs(said)
    unsaid = frozenset(term for term in asked - said if term not in said_stubs
                       and said.isdisjoint(lexical.variant_stubs(frozenset((term,)))))
    together = "\n".join(texts)
    if any(unsaid.intersection(lexical.terms(word)) and spelling.writes_apart(word, together)
           for word in spelling.unknown_words(question)):
        return frozenset()
    return unsaid


def _none_writes_currency(request: GenerationRequest, best: int) -> bool:
    """Whether the question names a currency ("How much is it in euros?") that none of the
    passages of the document answering the rest of it (that of the best sentence, of passage
    number `best`) writes in any way ("€", "EUR"): their amounts are in another, or there
    are none, and an amount in dollars does not answer a question asking for euros; nor does
    a figure in euros of another document, about something else."""
    answering = request.passages[best - 1].doc_id
    return any(not any(writes_currency(hit.text, currency) for hit in request.passages
                       if hit.doc_id == answering)
               for currency in currencies_named(request.question))


def _none_writes_operators(request: GenerationRequest) -> bool:
    """Whether the question asks about operators ("&&", "%in%", "<<-") and none of its
    passages writes any of them: they cannot be about what it asks, however like its other
    words ("What is the difference between && and &?") they are. An operator has no other
    way of being written, as a code or a name has ("CO2", "carbon dioxide")."""
    asked = operators(request.question)
    return bool(asked) and not any(operator in operators(hit.text)
                                   for hit in request.passages for operator in asked)


def _telling_codes(codes: list[str], passages: Sequence[Hit]) -> list[str]:
    """The codes and names the question looks up that tell its passages' sentences apart: not
    a dotted name or an operator most of the passages write ("Which argument of read.table
    ...?" of a chapter on read.table, "<-" of R's code), which they are all about, or all
    show, without each sentence saying so."""
    def context(code: str) -> bool:
        written = sum(writes(f"{hit.written_names()}\n{hit.text}", code) for hit in passages)
        return len(passages) > 1 and 2 * written > len(passages)
    return [code for code in codes
            if not ((is_dotted_name(code) or is_operator(code)) and context(code))]


def _asked_entries(question: str, candidates: list[_Candidate]) -> list[str]:
    """The functions the question names whose reference entries the candidates are from,
    headed by their signatures ("isempty" of "isempty (a)" for "What does isempty return?"):
    a plain word, which the question does not write as a code, but the entry is what it
    asks about, as a changelog's version heading is. Not a name of one letter, nor a stop
    word ("I", the imaginary unit's, in "How do I ...?"), nor a call heading only the end of
    a sentence it interrupted ("quad (@(x) ...)" over "adapts a function ..."): an entry
    describes its function in a sentence of its own."""
    signed = {name for heading in {c.heading for c in candidates
                                   if c.heading and not c.text[:1].islower()}
              if (name := signed_name(heading))}
    return sorted(name for name in signed
                  if len(name) >= _SHORTEST_ENTRY_NAME and name.lower() not in lexical.STOP_WORDS
                  and writes(question, name))


def _of_codes(codes: Sequence[str], candidates: list[_Candidate]) -> list[_Candidate]:
    """When the question names a code or a version ("2.10.2", "E1047") and some candidates
    sit under a heading writing it (a changelog's version, a reference's error, a document
    titled by it), those alone: the others are about other codes (the next version's
    fixes), however like the question's words ("fixed") they are. Not by the sentences' own
    words: a sentence of the section may say "It" for the code its first one names; but an
    option's line in a list of options, which opens with it, defines it."""
    coded = [c for c in candidates
             if any(writes(f"{c.outline}\n{c.heading}", code) or defines_option(c.text, code)
                    for code in codes)]
    return coded or candidates


def _on_best_ones_subject(ranked: list[_Candidate], request: GenerationRequest,
                          codes: Sequence[str]) -> np.ndarray:
    """Which of the `ranked` sentences (the best first) may be quoted: when the best one's
    passage writes codes the question names ("Gannet05", "K17"), those of the passages
    writing one of them too. Another passage's sentences are about another thing of its
    kind ("The depot manager is Rowan03 MacLeod." in depot Gannet03's memo), and would give
    a second answer to a question about one. `codes`: the codes the question looks up as
    written, no operator (`_telling_codes`)."""
    held = _codes_written(request.passages[ranked[0].passage - 1], codes) if ranked else set()
    if not held:
        return np.ones(len(ranked), dtype=bool)
    about = [bool(_codes_written(hit, held)) for hit in request.passages]
    return np.array([about[c.passage - 1] for c in ranked], dtype=bool)


def _codes_written(hit: Hit, codes: Collection[str]) -> set[str]:
    """Those of `codes` a passage writes, in its text or in the names it goes by."""
    text = f"{hit.written_names()}\n{hit.text}"
    return {code for code in codes if writes(text, code)}


def _in_named_rows(question: str, asked: frozenset[str], candidates: list[_Candidate]
                   ) -> list[_Candidate]:
    """When the question (its terms, `asked`) names a value of a table's rows ("order 1002",
    "Ben Okafor", "cancelled"), the candidates but the rows holding fewer of its terms among
    their values than the rows holding most: every row shares its table's column names with
    the question ("status", "start date") and would be quoted, in the table's order. A number
    the question names is the value it asks about, held by a row writing it or a range
    holding it ("2500" in "2000-4999", "6000" in "5000+"): rows holding more of its numbers
    come first, whatever words other rows share with it ("pallet")."""
    numbers = numbers_in(question)
    held = {i: _values_held(asked, numbers, values) for i, c in enumerate(candidates)
            if (values := row_values(c.text)) is not None}
    most = max(held.values(), default=(0, 0))
    if not any(most):
        return candidates
    return [c for i, c in enumerate(candidates) if held.get(i, most) == most]


def _values_held(asked: frozenset[str], numbers: Sequence[float], values: str
                 ) -> tuple[int, int]:
    """How many of the question's numbers a row's values hold (written, or within a range
    they write), and how many of its other terms (`asked`)."""
    terms = lexical.term_set(values)
    written = [n for n in numbers if lexical.term_set(f"{n:g}") <= terms]
    ranged = [n for n in in_ranges(numbers, values) if n not in written]
    figures = frozenset().union(*(lexical.term_set(f"{n:g}") for n in numbers))
    return len(written) + len(ranged), len((asked - figures) & terms)


def _on_named_day(question: str, candidates: list[_Candidate]
                  ) -> tuple[list[_Candidate], bool]:
    """When the question names a day ("What happened on 14.06.2021?") that a candidate names
    in any form (`dates.names_day`), the candidates but those naming only other days, and
    True: the sentence telling what happened that day answers it, however little else of it
    is like the question, and one of another day is about something else."""
    asked = dates.days_named(question)
    on_day = [any(dates.names_day(c.text, day) for day in asked) for c in candidates]
    if not any(on_day):
        return candidates, False
    return [c for c, on in zip(candidates, on_day, strict=True)
            if on or not dates.days_named(c.text)], True


def _words(text: str) -> str:
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def _overlap(question: str, sentences: list[str], names: list[str] | None = None
             ) -> np.ndarray:
    """The share of the question's terms each sentence contains, with the names it goes by
    (`rag.types.cited_names`, one a sentence) when they are given."""
    if names is None:
        return np.array(lexical.term_shares(question, sentences), dtype=np.float32)
    return np.array([lexical.term_shares(question, [sentence], name)[0]
                     for sentence, name in zip(sentences, names, strict=True)],
                    dtype=np.float32)
