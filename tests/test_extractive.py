"""The offline answer: whole sentences, the best 2 to 4, predecessors they lean on, document
order within a passage, each group cited. Real model, hand-made passages."""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ingest.embedding import embed_chunks
from rag.answering.citations import CitationChecker
from rag.errors import AIError
from rag.evaluation.metrics import first_citation
from rag.providers.generators.base import GenerationRequest
from rag.providers.generators.extractive import (
    WEAK_MATCH,
    ExtractiveGenerator,
    _Candidate,
    _compose,
    _followed_up,
    _passage_sentences,
    hedge,
    not_mentioned,
)
from rag.text import lexical
from rag.text.answer_types import defined_by_reference
from rag.text.sentences import sentences, split
from rag.types import GenerationRecord, Hit, SentenceVectors
from tests.conftest import answer_from

PASSAGES = [
    "Marie Curie was born in Warsaw in 1867. She won two Nobel Prizes, in physics and in "
    "chemistry. Her laboratory was in Paris. The radium she isolated was kept in a shed.",
    "The letter did not mention Mr. Darcy by name. It was signed by Mrs. Bennet's sister, "
    "who wrote at 4.30 p.m. on a Tuesday. Nobody in the village read it aloud.",
    "Lighthouses guide ships at night. Their lamps turn once every 10 seconds. Keepers lived "
    "in the tower until the 1980s. However, most lights are automatic today.",
    "Sourdough needs a starter of flour and water. The dough rises for twelve hours. Bakers "
    "score the loaf before it goes in the oven.",
]
_CITED = re.compile(r"(.+?) \[(\d+)\](?: |$)")


def hits(order: list[int]) -> list[Hit]:
    return [Hit(f"d{i}", f"doc{i}.txt", None, f"c{i}", 1.0 - n / 10, PASSAGES[i])
            for n, i in enumerate(order)]


def quote(embedder, question: str, passages: list[Hit], **kw) -> str:
    """The whole extractive answer to `question` from `passages`."""
    return "".join(ExtractiveGenerator(embedder, **kw).stream(
        GenerationRequest(question, passages), GenerationRecord()))


def answer(embedder, question: str, order: list[int], **kw) -> tuple[str, list[Hit]]:
    passages = hits(order)
    return quote(embedder, question, passages, **kw), passages


def groups(text: str) -> list[tuple[list[str], int]]:
    """(sentences quoted, passage number) for each passage's run of sentences, in order;
    every sentence carries its own citation."""
    found = _CITED.findall(text)
    assert "".join(f"{body} [{n}] " for body, n in found).strip() == text
    runs: list[tuple[list[str], int]] = []
    for body, n in found:
        assert len(sentences(body)) == 1, body  # one sentence per citation
        if runs and runs[-1][1] == int(n):
            runs[-1][0].append(body)
        else:
            runs.append(([body], int(n)))
    return runs


QUESTIONS = [
    ("How many Nobel Prizes did Marie Curie win?", [0, 1, 2, 3]),
    ("Who did the letter not mention?", [1, 0, 3, 2]),
    ("Are lighthouse lights automatic today?", [2, 3, 0, 1]),
    ("How long does sourdough rise?", [3, 2, 1, 0]),
]


@pytest.mark.parametrize(("question", "order"), QUESTIONS)
def test_answers_quote_whole_sentences_in_document_order(embedder, question, order) -> None:
    text, passages = answer(embedder, question, order)
    quoted = groups(text)
    total = sum(len(s) for s, _ in quoted)
    assert 2 <= total <= 4, text
    assert len({n for _, n in quoted}) == len(quoted)  # one group per passage
    for said, number in quoted:
        own = sentences(passages[number - 1].text)
        assert all(s in own for s in said), (said, own)  # whole sentences, never a piece
        assert [own.index(s) for s in said] == sorted(own.index(s) for s in said)


def test_a_sentence_that_leans_back_brings_its_predecessor(embedder) -> None:
    text, _ = answer(embedder, "How many Nobel Prizes did she win?", [0, 1, 2, 3])
    assert "Marie Curie was born in Warsaw in 1867. [1] She won two Nobel Prizes" in text
    text, _ = answer(embedder, "Are most lighthouse lights automatic?", [2, 3, 0, 1])
    assert "in the tower until the 1980s. [1] However, most lights are automatic today." in text


def test_a_leaning_sentence_reaches_past_an_aside_to_what_it_leans_on(embedder) -> None:
    # "Hence" follows from the sentence before the parenthesised aside, not from the aside
    faq = ("In S this does not happen, because everything is saved in disk files. (In fact, "
           "the developers felt that changing their approach to storage cost too much.) Hence, "
           "when doing important work, you might consider saving often to guard against "
           "crashes.")
    passage = Hit("d0", "faq.pdf", 19, "c0", 1.0, faq,
                  sentence_vectors=embed_chunks(embedder, [faq], sentences=True).sentences[0])
    text = quote(embedder, "Why should I save my work often?", [passage], max_sentences=2)
    assert text == ("In S this does not happen, because everything is saved in disk files. [1] "
                    "Hence, when doing important work, you might consider saving often to "
                    "guard against crashes. [1]")


def test_a_run_of_leaning_sentences_is_quoted_from_the_one_naming_its_subject(embedder) -> None:
    # "How tall is it?" after a question about the Tokyo Tower: the Eiffel Tower's "It is 330
    # metres tall" alone would read as the Tokyo Tower's height
    towers = ["The Tokyo Tower is a communications tower in Minato, Tokyo. It was completed in "
              "1958 and is 333 metres tall.",
              "The Eiffel Tower is a wrought-iron lattice tower in Paris. It was built between "
              "1887 and 1889 by the company of Gustave Eiffel. It is 330 metres tall."]
    passages = [Hit(f"d{i}", f"tower{i}.txt", None, f"c{i}", 1.0 - i / 10, text)
                for i, text in enumerate(towers)]
    text = quote(embedder, "How tall is it?", passages)
    quoted = [body for body, _ in _CITED.findall(text)]
    for n, body in enumerate(quoted):
        if body.startswith("It "):  # never a leaning sentence without what it leans on
            assert n and (quoted[n - 1].startswith("The ") or quoted[n - 1].startswith("It ")), \
                text
    if "It is 330 metres tall." in quoted:
        assert "The Eiffel Tower is a wrought-iron lattice tower in Paris." in quoted, text


# R-data's section on connections: "These ...", "They ..." and an aside on them follow the
# sentence naming what they are about
_CONNECTIONS = ("Connections\n\nFiles compressed via the algorithm used by gzip can be used as "
                "connections created by the function gzfile, whereas files compressed by bzip2 "
                "can be used via bzfile.\n\nUnix programmers are used to dealing with special "
                "files stdin, stdout and stderr. These exist as terminal connections in R. They "
                "may be normal files, but they might also refer to input from and output to a "
                "GUI console. (Even with the standard Unix R interface, stdin refers to the "
                "lines submitted from readline rather than a file.)\n\nThe three terminal "
                "connections are always open, and cannot be opened or closed.")


@pytest.mark.parametrize("room", [2, 3, 4])
def test_a_run_of_leaning_sentences_is_quoted_whole_or_not_at_all(embedder, room) -> None:
    """Quoted after the gzip sentence without "Unix programmers ...", "These exist as
    terminal connections in R." read as if gzip files were terminal connections; with too
    little room for the whole run, the answer is shorter rather than dangling."""
    text = quote(embedder, "How do I read a gzip-compressed file?",
                 [_stored(_CONNECTIONS, embedder)], max_sentences=room)
    quoted = [body for body, _ in _CITED.findall(text)]
    assert quoted and quoted[0].startswith("Files compressed via the algorithm used by gzip")
    run = split(_CONNECTIONS)[2:6]
    for before, leaning in itertools.pairwise(s.text for s in run):
        if leaning in quoted:
            assert quoted.index(before) == quoted.index(leaning) - 1, text


def test_a_pronoun_after_an_opening_phrase_brings_the_sentence_naming_it(embedder) -> None:
    # "it" is SPSS Data Entry, which the sentence before names: alone it reads as read.spss
    manual = ("Function read.spss can read files created by the ‘save’ and ‘export’ commands "
              "in SPSS.\nIt returns a list with one component for each variable in the saved "
              "data set. SPSS variables\nwith value labels are optionally converted to R "
              "factors.\nSPSS Data Entry is an application for creating data entry forms. By "
              "default it creates\ndata files with extra formatting information that read.spss "
              "cannot handle, but it is possible\nto export the data in an ordinary SPSS format.")
    text = quote(embedder, "Which package reads SPSS files?", [_stored(manual, embedder)],
                 max_sentences=2)
    assert text.startswith("Function read.spss can read files"), text
    assert "By default it creates" not in text or "forms. [1] By default it creates" in text, text


def test_a_sentence_after_an_aside_closing_on_a_quotation_brings_what_it_leans_on(
        embedder) -> None:
    # the aside's stop after a quote mark ends it: "This is used ..." opens a sentence, and
    # leans past the aside to the sentence naming R_PAPERSIZE
    manual = ("B.3 Setting paper size\n\nOne common variable to change is R_PAPERSIZE, which "
              "defaults to ‘a4’, not ‘letter’. (Valid values are ‘a4’, ‘letter’, ‘legal’ and "
              "‘executive’.) This is used both when configuring R to set the default, and when "
              "running R to override the default. It is also used to set the paper size when "
              "making PDF manuals.")
    text = quote(embedder, "How do I set the default paper size?", [_stored(manual, embedder)],
                 max_sentences=2)
    assert text.startswith("One common variable to change is R_PAPERSIZE"), text


def test_an_option_asked_about_is_answered_by_its_entry_of_a_texinfo_table(embedder) -> None:
    manual = ("Configuration options\n\nconfigure has many options: running ./configure --help "
              "will give a list. Probably the most important ones are (defaults in brackets)\n"
              "--with-readline\nuse readline library (if available) [yes]\n"
              "--enable-R-profiling\nattempt to compile support for Rprof() [yes]\n"
              "--enable-memory-profiling\nattempt to compile support for Rprofmem() and "
              "tracemem() [no]\n--enable-R-shlib\nbuild R as a shared/dynamic library [no]\n"
              "You can use --without-foo or --disable-foo for the negatives.")
    text = quote(embedder, "What does --enable-memory-profiling do?", [_stored(manual, embedder)])
    assert ("--enable-memory-profiling attempt to compile support for Rprofmem() and "
            "tracemem() [no] [1]") in text, text
    assert "[yes] --enable-memory-profiling" not in text, text


def test_a_sentence_that_leans_back_counts_the_words_of_its_predecessor(embedder) -> None:
    # "he rescued" names no keeper: the sentence before it does, and it is quoted with it
    story = ("The lighthouse keeper lit the lamp at dusk. Later that night he rescued a young "
             "fisherman from the rocks. The storm lasted until dawn. The lighthouse keeper "
             "wrote in his log.")
    passage = Hit("d0", "keeper.txt", None, "c0", 1.0, story,
                  sentence_vectors=embed_chunks(embedder, [story], sentences=True).sentences[0])
    text = quote(embedder, "Who did the lighthouse keeper rescue?", [passage], max_sentences=2)
    assert text == ("The lighthouse keeper lit the lamp at dusk. [1] Later that night he "
                    "rescued a young fisherman from the rocks. [1]")


def test_a_passage_opening_on_a_leaning_sentence_brings_the_one_before_it(embedder) -> None:
    """Its predecessor ends the chunk before, on the same page (`Hit.lead_in`): quoted before
    it, under the passage's citation."""
    text = ("He then realized there was a leak in his mask. The crew brought a spare one at "
            "once. The dive went ahead an hour later.")
    chunk = Hit("d0", "dive.pdf", 4, "c3", 1.0, text, position=3,
                sentence_vectors=embed_chunks(embedder, [text], sentences=True).sentences[0],
                lead_in="Dr. Kent checked the air tanks before the dive.")
    answer = quote(embedder, "Who had a leak in his mask?", [chunk], max_sentences=2)
    assert answer == ("Dr. Kent checked the air tanks before the dive. [1] He then realized "
                      "there was a leak in his mask. [1]")


# R-data's read.table section: the set-up, then what to do about it
_FILL = ("Its fields are separated by commas. It is quite common for a file exported from a "
         "spreadsheet to have all trailing empty fields (and their separators) omitted. To read "
         "such files set fill = TRUE. The file is assumed to contain the string NA to "
         "represent missing values. Empty fields in numeric columns are also regarded as "
         "missing values. A separator within a quoted string is read as part of the field.")


def _stored(text: str, embedder, **kw) -> Hit:
    return Hit("d0", "R-data.pdf", 13, "c0", 1.0, text,
               sentence_vectors=embed_chunks(embedder, [text], sentences=True).sentences[0],
               **kw)


def test_a_chosen_sentence_brings_the_one_after_it_that_answers_on_its_terms(embedder) -> None:
    """"To read such files set fill = TRUE." leans on the sentence before it, and answers
    the question that sentence sets up: quoted right after it."""
    text = quote(embedder, "My CSV has lines with the trailing empty fields missing; how do "
                 "I read it?", [_stored(_FILL, embedder)])
    assert ("(and their separators) omitted. [1] To read such files set fill = TRUE. [1]"
            in text), text
    assert len(_CITED.findall(text)) <= 4


def test_a_following_sentence_without_the_questions_words_is_not_brought(embedder) -> None:
    # "She spoke about her nerves." leans on the sentence before, but says nothing asked
    story = ("The interview was long and friendly. The newest Miss USA was interviewed on "
             "Wednesday for a show. She spoke about her nerves. The show airs in June.")
    text = quote(embedder, "What day was the interview?", [_stored(story, embedder)],
                 max_sentences=2)
    assert "She spoke" not in text, text


def test_a_following_sentence_holding_only_the_words_of_the_one_before_is_not_brought(
        ) -> None:
    """It says more of what the sentence before it names, and would take the room of one
    answering on its own; one holding a word of the question the other lacks answers."""
    text = ("The plan to rebuild Warsaw after the war was a major success. However, Warsaw "
            "saw little of that plan carried out. It is quite common for a file to have its "
            "trailing fields omitted. To read such files set fill = TRUE.")
    passage = _passage_sentences(1, Hit("d0", "a.txt", None, "c0", 1.0, text))

    def held(question: str) -> dict:
        return {(c.passage, c.index): lexical.term_set(question) & lexical.term_set(c.text)
                for c in passage}

    assert _followed_up(passage[0], [passage], held("When did Warsaw rebuild?")) == []
    assert _followed_up(passage[2], [passage], held("How do I read a file with fields "
                                                    "omitted?")) == [passage[3]]


def test_a_lead_in_is_quoted_only_with_the_sentence_leaning_on_it(embedder) -> None:
    chunk = Hit("d0", "dive.pdf", 4, "c3", 1.0, "The crew brought a spare mask at once.",
                position=3, lead_in="Dr. Kent checked the air tanks before the dive.")
    answer = quote(embedder, "Who checked the air tanks before the dive?", [chunk])
    assert "The crew brought a spare mask at once. [1]" in answer and "Kent" not in answer


def test_abbreviations_and_times_do_not_end_a_sentence(embedder) -> None:
    text, _ = answer(embedder, "Who did the letter not mention by name?", [1, 0, 2, 3])
    quoted = [s for said, _ in groups(text) for s in said]
    assert "The letter did not mention Mr. Darcy by name." in quoted
    assert not any(s.endswith("Mr.") for s in quoted)
    text, _ = answer(embedder, "When did Mrs. Bennet's sister write?", [1, 0, 2, 3])
    assert "who wrote at 4.30 p.m. on a Tuesday." in text


def test_the_first_citation_is_the_passage_holding_the_answer(embedder) -> None:
    # the answering passage is ranked second: the best sentence still leads the answer
    text, _ = answer(embedder, "How long does the sourdough dough rise?", [2, 3, 0, 1])
    first_said, first_cited = groups(text)[0]
    assert first_cited == 2 and "The dough rises for twelve hours." in first_said


def test_a_who_question_is_answered_by_a_sentence_naming_someone(embedder) -> None:
    story = Hit("d0", "story.txt", None, "c0", 1.0,
                "The queen stood at the window of the palace. The queen sighed and looked at "
                "the rain. Guards waited by the queen's door all night. Merrill and Azaelia "
                "seized the diminutive queen at dawn. The queen's crown fell to the floor.")
    answer = quote(embedder, "Who grabbed the queen?", [story], max_sentences=2)
    assert answer.startswith("Merrill and Azaelia seized the diminutive queen at dawn. [1]")
    # a capitalised word opening a sentence ("Guards") is no name
    assert "Guards" not in answer


@pytest.mark.parametrize(("question", "text", "expected"), [
    ("What time was the explosion?",
     "The explosion destroyed a house on Mardi Gras Drive. Firefighters said the explosion "
     "was loud. The blast was reported at about 1:30 p.m. by a neighbour.",
     "The blast was reported at about 1:30 p.m. by a neighbour."),
    ("What day was the interview?",
     "The interview was long and friendly. The newest Miss USA was interviewed on Wednesday "
     "for a show. She spoke about her interview nerves.",
     "The newest Miss USA was interviewed on Wednesday for a show."),
    ("What time was the explosion?",
     "The explosion destroyed a house on Mardi Gras Drive. Firefighters said the explosion "
     "was loud. The blast was reported at about 2 pm by a neighbour.",
     "The blast was reported at about 2 pm by a neighbour."),
])
def test_a_question_asking_when_is_answered_by_a_time_or_a_day(embedder, question, text,
                                                                expected) -> None:
    answer = quote(embedder, question, [Hit("d0", "news.txt", None, "c0", 1.0, text)],
                   max_sentences=1)
    assert answer == f"{expected} [1]"


@pytest.mark.parametrize("question", ["What colour was the door of the bakery?",
                                      "What color was the bakery's door?"])
def test_a_question_asking_a_colour_is_answered_by_a_colour(embedder, question) -> None:
    text = ("The bakery stood on the corner of the square. Its door was painted bright green "
            "last spring. The door of the bakery opened at six every morning.")
    answer = quote(embedder, question, [Hit("d0", "town.txt", None, "c0", 1.0, text)],
                   max_sentences=1)
    assert answer == "Its door was painted bright green last spring. [1]"


def test_with_stored_vectors_every_sentence_is_scored(embedder) -> None:
    """Without stored vectors only the 12 sentences sharing most of the question's words are
    embedded; with them, a sentence sharing none can still answer."""
    decoys = ["The bakers' van was painted red.", "The bakers paid their rent in March.",
              "Two bakers played chess on Sundays.", "The bakers' cat slept by the door.",
              "The bakers voted in the town election.", "One of the bakers sang in the choir.",
              "The bakers bought a new bicycle.", "The bakers' shop had a blue sign.",
              "The bakers' children went to the village school.",
              "The bakers took a holiday in August.", "A letter for the bakers arrived late.",
              "The bakers kept bees behind the house."]
    answering = "Wild yeast from a sourdough starter made the dough rise."
    plain = Hit("d0", "bakery.txt", None, "c0", 1.0, " ".join([*decoys, answering]))
    found = split(plain.text)
    stored = replace(plain, sentence_vectors=SentenceVectors(
        tuple((s.start, s.end) for s in found),
        np.stack(embedder.embed_documents([s.text for s in found]))))
    question = "What did the bakers use to make their bread rise?"
    for hit, scored in ((plain, 12), (stored, 13)):
        record = GenerationRecord()
        answer = "".join(ExtractiveGenerator(embedder).stream(
            GenerationRequest(question, [hit]), record))
        assert record.sentences_scored == scored
        assert (answering in answer) == (hit is stored), answer


def test_one_sentence_answers_when_asked_for_one(embedder) -> None:
    text, _ = answer(embedder, "How often do lighthouse lamps turn?", [2, 0, 1, 3],
                     max_sentences=1)
    assert groups(text) == [(["Their lamps turn once every 10 seconds."], 1)]


def test_a_fragment_at_a_chunks_start_is_not_quoted(embedder) -> None:
    fragment = Hit("d9", "doc9.txt", None, "c9", 1.0,
                   "and kept in a shed for decades. The shed stood behind the laboratory.",
                   position=3)
    text = quote(embedder, "Where was the radium kept?", [fragment] + hits([0]))
    assert "and kept in a shed for decades" not in text


def test_a_piece_going_on_a_sentence_after_an_ellipsis_is_not_quoted(embedder) -> None:
    """A "!" in an example's comment ends the sentence around it: what is left, "... slip by.",
    is no sentence wherever it stands in the passage."""
    warning = Hit("d9", "octave.txt", None, "c9", 1.0,
                  "Disabling the warning may also let real errors like\n"
                  "if (x = 1) # intended to test (x == 1)!\n...\nslip by unnoticed.\n"
                  "Extra parentheses suppress the warning for one statement.", position=0)
    text = quote(embedder, "Which errors slip by unnoticed?", [warning])
    assert "... slip by" not in text
    assert "Extra parentheses suppress the warning" in text


def test_a_document_that_starts_in_lower_case_is_quoted(embedder) -> None:
    """Its first chunk begins the document: it cannot begin inside a sentence."""
    note = Hit("d9", "falcon.txt", None, "c9", 1.0, "the falcon budget is 5 dollars")
    text = quote(embedder, "What is the falcon budget?", [note])
    assert groups(text) == [(["the falcon budget is 5 dollars"], 1)]


def test_a_sentence_running_on_past_a_chunks_end_is_not_quoted(embedder) -> None:
    """A chunk at a page's end can stop mid-sentence (the rest is on the next page)."""
    page_end = Hit("d9", "doc9.pdf", 4, "c9", 1.0,
                   "The radium was kept in a shed. Curie carried the radium home in")
    text = quote(embedder, "Where did Curie carry the radium?", [page_end] + hits([0]))
    assert "The radium was kept in a shed. [1]" in text
    assert "carried the radium home" not in text


def test_a_table_of_contents_is_not_quoted(embedder) -> None:
    """Contents pages share every heading's words with the questions, dot leaders and all."""
    contents = Hit("d9", "manual.pdf", 3, "c9", 1.0,
                   "2.1 Where is the radium kept? . . . . . . . . . . . . 14\n"
                   "2.2 Who isolated radium? . . . . . . . . . . . . . . 15")
    text = quote(embedder, "Where was the radium kept?", [contents] + hits([0]))
    assert ". . ." not in text
    assert "The radium she isolated was kept in a shed. [2]" in text


def test_a_sentence_that_restates_the_question_is_not_the_answer(embedder) -> None:
    """An FAQ's heading or a manual's cross-reference holds the question word for word and
    outscores the sentence that answers it."""
    manual = Hit("d9", "faq.pdf", 9, "c9", 1.0,
                 "For uploads see Section 2.10 [What is CRAN?], page 9. The Comprehensive R "
                 "Archive Network (CRAN) is a collection of sites which carry R and its "
                 "packages.")
    text = quote(embedder, "What is CRAN?", [manual] + hits([3]))
    assert text.startswith("The Comprehensive R Archive Network (CRAN) is a collection")
    assert "[What is CRAN?]" not in text


@pytest.mark.parametrize("answering", [
    "Erlend Heddle, who photographed the coast from the hills, later printed the plates.",
    "Erlend Heddle was the one who photographed the coast from the hills.",
])
def test_a_sentence_holding_the_question_in_a_clause_of_its_own_answers_it(
        embedder, answering: str) -> None:
    """A sentence holding the question's words after a subject of its own ("Erlend Heddle,
    who ...", "... was the one who ...") says who, which the question asks; the question
    restated alone is the echo left out."""
    survey = Hit("d9", "survey.md", None, "c9", 1.0,
                 f"Who photographed the coast from the hills? {answering} Isla Flett kept the "
                 "accounts. Tom Rendall drew the charts.")
    text = quote(embedder, "Who photographed the coast from the hills?", [survey] + hits([3]))
    assert not text.startswith(WEAK_MATCH)
    assert text.startswith(f"{answering} [1]")
    assert "hills? " not in text


@pytest.mark.parametrize("asked", ["AB-1234-X", "flowgate_2.10.3_amd64.deb",
                                   "e-mail alert template"])
def test_a_code_or_phrase_looked_up_is_answered_by_the_sentence_holding_it(
        embedder, asked: str) -> None:
    """Looked up, not asked, a code or a phrase restates nothing: the sentences holding it
    are what is looked for, not the near misses beside them. "AB-1234-X" is one word as
    written, three as the search splits it."""
    parts = Hit("d1", "parts.csv", None, "c1", 1.0,
                "Part number: AB-1234-Y; Description: Bracket; Unit price (EUR): 15.75\n\n"
                "Part number: AB-1234-X; Description: Bracket; Unit price (EUR): 12.50")
    notes = Hit("d2", "notes.md", None, "c2", 0.9,
                "Install flowgate_2.10.3_amd64.deb with dpkg. Fixed the e-mail alert template "
                "for outages.")
    older = Hit("d3", "notes-2.1.md", None, "c3", 0.8,
                "Install flowgate_2.1.3_amd64.deb with dpkg.")
    text = quote(embedder, asked, [parts, notes, older])
    wanted = {"AB-1234-X": "Part number: AB-1234-X;",
              "flowgate_2.10.3_amd64.deb": "Install flowgate_2.10.3_amd64.deb with dpkg.",
              "e-mail alert template": "Fixed the e-mail alert template for outages."}[asked]
    assert text.startswith(wanted), text


def test_a_table_s_last_row_is_whole_however_many_words_its_names_make_it(embedder) -> None:
    """A chunk's last piece ending on a word in lower case is taken for a sentence its end
    cut, but a table's row on a line of its own is whole without a stop."""
    table = Hit("d1", "alarms.csv", None, "c1", 1.0,
                "Code | Name | Meaning | Action\n\n"
                "Code: A100; Name: FAN_STALL; Meaning: The cooling fan stopped turning; "
                "Action: Replace the fan module\n\n"
                "Code: A300; Name: PSU_LOW; Meaning: The supply voltage fell below the limit "
                "for more than a second; Action: Check the power supply and the cabling to it")
    text = quote(embedder, "What does A300 mean?", [table])
    assert text.startswith("Code: A300; Name: PSU_LOW;"), text
    assert "A100" not in text


def test_the_sentence_holding_the_code_asked_about_outweighs_one_shaped_like_the_question(
        embedder) -> None:
    """"error" and "mean" are held as much by a sentence about another code: the one holding
    "E1047" is what is asked for, and a log's last record is whole without a stop."""
    faq = Hit("d1", "faq.md", None, "c1", 1.0,
              "Error 0x80070005 means access denied. Run the installer as an administrator.")
    log = Hit("d2", "gateway-log.txt", None, "c2", 0.9,
              "2026-11-30T08:14:02.118Z INFO [main] flowgate starting\n"
              "2026-11-30T08:17:45.001Z ERROR [upstream] E1047 certificate for collector "
              "expired on 2026-11-29")
    text = quote(embedder, "What does error E1047 mean?", [faq, log])
    assert "[upstream] E1047 certificate for collector expired on 2026-11-29 [2]" in text, text
    assert "flowgate starting" not in text


@pytest.mark.parametrize(("asked", "wanted"), [
    ("What changed in v2.10.3?", "- Fixed the crash when exporting empty reports. [1]"),
    ("What was fixed in 2.10.2?", "Search no longer ignores accented words. [1]"),
    ("What changed in 2.10.1?", "Added dark mode. [1]"),
])
def test_a_version_asked_about_is_answered_from_its_section_of_a_changelog(
        embedder, asked: str, wanted: str) -> None:
    """The version is in the heading, not in the changes under it, and another version's
    "Fixed the crash" shares "fixed" with the question."""
    changelog = Hit("d1", "CHANGELOG.md", None, "c1", 1.0,
                    "# Changelog\n\n## v2.10.3 (2026-11-02)\n\n"
                    "- Fixed the crash when exporting empty reports.\n"
                    "- The login page remembers the language.\n\n"
                    "## [2.10.2] - 2026-10-15\n\n### Fixed\n\n"
                    "- Search no longer ignores accented words.\n\n"
                    "## 2.10.1 — 2026-10-01\n\n- Added dark mode.")
    text = quote(embedder, asked, [changelog])
    assert text.startswith(wanted), text
    assert hedge(text) is None
    others = {"v2.10.3": ["accented", "dark mode"], "2.10.2": ["crash", "dark mode"],
              "2.10.1": ["crash", "accented"]}
    version = next(v for v in others if v in asked)
    assert not any(other in text for other in others[version]), text


def test_a_pointer_to_a_section_among_the_passages_gives_way_to_the_section(embedder) -> None:
    """A cross-reference whose title holds the question ("see Section 7.2 [How can I save my
    workspace?], page 28" for "How do I save my workspace?") points to the answer; when that
    section is among the passages, its sentences are quoted, not the pointer."""
    pointer = Hit("d8", "faq.pdf", 23, "c8", 1.0,
                  "In S everything is saved in disk files. Hence, when doing important work, "
                  "you might consider saving often (see Section 7.2 [How can I save my "
                  "workspace?], page 28) to safeguard against possible crashes.")
    section = Hit("d8", "faq.pdf", 32, "c9", 0.9,
                  "7.2 How can I save my workspace?\nsave.image() saves the objects in the "
                  "user's .GlobalEnv to the file .RData in the R startup directory. Using "
                  "save.image(file) one can save the image under a different name.")
    question = "How do I save my workspace?"
    text = quote(embedder, question, [pointer, section])
    assert text.startswith("save.image() saves the objects"), text
    assert "[How can I save my workspace?]" not in text
    # without the section, the pointer is what the passages have
    text = quote(embedder, question, [pointer] + hits([3]))
    assert "saving often (see Section 7.2 [How can I save my workspace?], page 28)" in text


_MANUAL_FILES = (
    "The DESCRIPTION and INDEX files are described in the subsections below. The NAMESPACE\n"
    "file is described in the section on Section 1.5 [Package namespaces], page 52.\n"
    "The optional files configure and cleanup are (Bourne) shell scripts which are, "
    "respectively, executed before and (if option --clean was given) after installation on "
    "Unix-alikes, see Section 1.2 [Configure and cleanup], page 22.")
_NAMESPACES = (
    "1.5 Package namespaces\n\nR has a namespace management system for code in packages. "
    "This system allows the\npackage writer to specify which variables in the package should "
    "be exported.\nThe namespace for a package is specified by the NAMESPACE file in the top "
    "level package\ndirectory. This file contains namespace directives describing the imports "
    "and exports of the\nnamespace.")


def test_a_sentence_saying_only_where_its_subject_is_described_ranks_below_the_description(
        embedder) -> None:
    """"The NAMESPACE file is described in ... Section 1.5 [Package namespaces], page 52."
    holds every word of the question and names none of what the section says; the section,
    ranked second by the search, answers first."""
    pointer = replace(_stored(_MANUAL_FILES, embedder), page=11, score=9.09)
    section = replace(_stored(_NAMESPACES, embedder), chunk_id="c1", page=59, score=8.38)
    text = quote(embedder, "What is the NAMESPACE file for?", [pointer, section])
    assert groups(text)[0][1] == 2, text
    assert "The namespace for a package is specified by the NAMESPACE file" in text
    # beside the section's own sentences, the pointer to it says nothing more
    assert "is described in the section on" not in text
    # alone, the pointer is what the passages have
    text = quote(embedder, "What is the NAMESPACE file for?", [pointer])
    assert "The NAMESPACE file is described in the section on Section 1.5" in text, text


def test_a_short_introduction_after_the_best_sentence_brings_its_list(embedder) -> None:
    """"Some possible reasons:" and the reasons after it are what the sentence before them
    leads up to; neither holds the question's words."""
    manual = ("install.packages can look in several repositories, specified as a character "
              "vector by\nthe argument repos. Function setRepositories() can select amongst "
              "those\nrepositories that the R installation is aware of.\nSomething which "
              "sometimes puzzles users is that install.packages() may report that\na package "
              "which they believe should be available is not found. Some possible reasons:\n"
              "• The package, such as grid or tcltk, is part of R itself and not otherwise "
              "available.")
    text = quote(embedder, "Why does install.packages say a package is not available?",
                 [_stored(manual, embedder)])
    assert ("is not found. [1] Some possible reasons: [1]\n- The package, such as grid or "
            "tcltk, is part of R itself") in text, text


def test_an_aside_in_parentheses_brings_the_sentence_it_remarks_on(embedder) -> None:
    manual = ("1.1.6 Data in packages\n\nThe data subdirectory is for data files, either to be "
              "made available via lazy-loading or for\nloading using data(). (The choice is "
              "made by the ‘LazyData’ field in the DESCRIPTION file:\nthe default is not to do "
              "so.) It should not be used for other data files needed by the package.")
    text = quote(embedder, "What does the LazyData field do?", [_stored(manual, embedder)],
                 max_sentences=2)
    assert text.startswith("The data subdirectory is for data files"), text
    assert "loading using data(). [1] (The choice is made by the ‘LazyData’ field" in text


def test_a_sentence_about_that_thing_brings_the_one_naming_it(embedder) -> None:
    manual = ("A function’s environment is the environment that was active at the time that "
              "the function\nwas created. Any symbols bound in that environment are captured "
              "and available to the\nfunction. This combination of the code of the function "
              "and the bindings in its environment\nis called a ‘function closure’, a term from "
              "functional programming theory.")
    text = quote(embedder, "Which symbols are captured and available to a function?",
                 [_stored(manual, embedder)], max_sentences=2)
    assert text.startswith("A function’s environment is the environment that was active"), text
    assert "[1] Any symbols bound in that environment are captured" in text, text


def test_a_section_heading_is_neither_quoted_nor_glued_to_its_first_sentence(embedder) -> None:
    text = ("Builtins evaluate their arguments.\n2.1.8 Promise objects\nPromise objects are "
            "part of the lazy evaluation mechanism. They hold a value and an expression.")
    passages = [Hit("d0", "lang.pdf", 10, "c0", 1.0, text)]
    answer = quote(embedder, "What are promise objects?", passages)
    assert answer.startswith("Promise objects are part of the lazy evaluation mechanism. [1]")
    assert "2.1.8" not in answer


def test_a_numbered_title_on_its_own_line_is_neither_quoted_nor_glued_to_its_sentence(
        embedder) -> None:
    text = ("The next steps read the file.\n1. Encoding\nIf the file contains non-ASCII "
            "character fields, you need to know the encoding. The file may be UTF-8.\n"
            "2. Header line\nWe recommend that you specify the header argument.")
    passages = [Hit("d0", "R-data.pdf", 12, "c0", 1.0, text)]
    answer = quote(embedder, "What if the file contains non-ASCII characters?", passages)
    assert answer.startswith("If the file contains non-ASCII character fields, you need to "
                             "know the encoding. [1]")
    assert "Encoding" not in answer and "Header line" not in answer


def test_titles_are_not_quoted_and_a_sentence_about_this_group_brings_its_subject(
        embedder) -> None:
    text = ("Users and Groups\n\nadm: Group adm is used for system monitoring. Members of this "
            "group can read the log files.\n\nOther groups have no user.")
    passages = [Hit("d0", "groups.html", None, "c0", 1.0, text)]
    answer = quote(embedder, "Which group can read the log files?", passages, max_sentences=2)
    assert answer == ("adm: Group adm is used for system monitoring. [1] Members of this group "
                      "can read the log files. [1]")


def test_a_question_naming_a_list_entry_is_answered_from_that_entry(embedder) -> None:
    # every entry says "group"; only one is named by the question, and it is not the first
    text = ("Some groups have special uses.\n\n"
            "plugdev: Members of this group can access removable devices. Since pmount always "
            "mounts with the nodev option, this group is not root-equivalent.\n\n"
            "staff: Allows users to add local modifications to the system without root. "
            "Compare with group adm, which is about monitoring.\n\n"
            "audio: This group gives a set of users access to an audio device.")
    passages = [Hit("d0", "groups.html", None, "c0", 1.0, text)]
    answer = quote(embedder, "What is the staff group for?", passages)
    assert "staff: Allows users to add local modifications to the system without root. [1] " \
           "Compare with group adm" in answer
    assert "plugdev" not in answer and "audio" not in answer
    # a label that opens no line is a sentence's own colon, not an entry
    prose = Hit("d1", "notes.txt", None, "c1", 1.0,
                "Audio devices need care. The staff rule: ask before you unplug the speakers. "
                "Members of the audio group may use them.")
    answer = quote(embedder, "Who may use the audio devices?", [prose])
    assert "Members of the audio group may use them. [1]" in answer


def test_the_list_entry_a_question_names_opens_the_answer(embedder) -> None:
    # "users" and "group" are on every line; the entry named "users" is what is asked
    general = Hit("d0", "groups.html", None, "c0", 1.0,
                  "This document describes the users and groups of the system. Every user has "
                  "a group of the same name, and the groups are listed below.")
    entries = Hit("d0", "groups.html", None, "c1", 0.9,
                  "staff: Allows users to add local changes.\n\n"
                  "users: Some prefer a traditional group system. In that system, each user is "
                  "a member of one shared group.")
    answer = quote(embedder, "What is the users group?", [general, entries])
    assert answer.startswith("users: Some prefer a traditional group system. [2]"), answer


def test_an_entry_of_several_names_is_named_by_any_of_them(embedder) -> None:
    text = ("staff: Allows users to add local changes to the system without root.\n\n"
            "nobody, nogroup: Daemons that need not own any files run as user nobody and "
            "group nogroup.\n\n"
            "audio: This group gives a set of users access to an audio device.")
    answer = quote(embedder, "What is the nogroup group for?",
                   [Hit("d0", "groups.html", None, "c0", 1.0, text)])
    assert answer.startswith("nobody, nogroup: Daemons that need not own any files"), answer
    assert "staff" not in answer and "audio" not in answer


def test_a_heading_in_title_case_on_a_line_of_its_own_is_a_title_not_a_sentence(
        embedder) -> None:
    # a web page's or a Word document's heading has no number or Markdown mark to tell it by
    text = ("Installing Rust on Linux, macOS, and Windows\n\nCreating a Project with Cargo\n\n"
            "Let's create a new project using Cargo and look at how it differs.\n\n"
            "Using Box<T> to Point to Data on the Heap\n\n"
            "Fill the kettle halfway\n\n"
            "Robert Gentleman and Ross Ihaka wrote it.")
    passages = [Hit("d0", "book.html", None, "c0", 1.0, text, position=3)]
    answer = quote(embedder, "How do I create a project with Cargo?", passages)
    assert answer.startswith("Let's create a new project using Cargo"), answer
    assert "Creating a Project" not in answer and "Using Box<T>" not in answer
    assert "macOS" not in answer
    # a list item in sentence case stays something to quote, and so does a sentence
    answer = quote(embedder, "How full should the kettle be?", passages)
    assert "Fill the kettle halfway [1]" in answer, answer


def test_the_heading_a_section_is_cited_by_is_a_title_in_any_case(embedder) -> None:
    # a Word document's section starts with its heading, which names the section
    text = "Installation steps\n\nRun the installer and restart the kettle's base station."
    section = Hit("d0", "manual.docx", None, "c0", 1.0, text, position=0,
                  locator="Installation steps")
    answer = quote(embedder, "What are the installation steps?", [section])
    assert answer == "Run the installer and restart the kettle's base station. [1]", answer


def test_a_later_chunk_opening_inside_another_entry_is_not_taken_for_the_named_one(
        embedder) -> None:
    # the chunk was cut between staff's two paragraphs: its first goes on about staff
    text = ("Note that the ability to modify the system is equivalent to root access, so add "
            "only trusted users to this group.\n\n"
            "users: Some prefer a traditional group system. In that system, each user is a "
            "member of the users group.\n\n"
            "lpadmin: Allows a user to add, modify, and remove printers.")
    later = Hit("d0", "groups.html", None, "c16", 1.0, text, position=16)
    answer = quote(embedder, "What is the users group?", [later])
    assert answer.startswith("users: Some prefer a traditional group system. [1]"), answer
    assert "Note that" not in answer and "lpadmin" not in answer
    # a document's first chunk has nothing before it: its opening is the list's introduction
    first = Hit("d0", "groups.html", None, "c0", 1.0, text.replace("Note that the ability",
                "The groups below differ. Note that the ability"), position=0)
    answer = quote(embedder, "What is the users group?", [first])
    assert "users: Some prefer" in answer and "lpadmin" not in answer


def test_a_table_row_or_list_item_that_ends_a_passage_is_quoted(embedder) -> None:
    # blocks of their own (a Word document's list items and table rows), whole without a stop
    text = ("Cleaning\n\nDescale the kettle every month with white vinegar.\n\nFill it halfway"
            "\n\nModel | Capacity\n\nK200 | 1.7 litres")
    passages = [Hit("d0", "kettle.docx", None, "c0", 1.0, text)]
    answer = quote(embedder, "What is the capacity of the K200?", passages, max_sentences=2)
    assert "K200 | 1.7 litres [1]" in answer
    assert "Model | Capacity" not in answer and "Cleaning" not in answer  # titles
    sheet = Hit("d1", "costs.xlsx", None, "c1", 1.0,
                "Region: North; Q1: 1200\n\nRegion: South; Q1: 900")  # short named rows
    answer = quote(embedder, "What did the South region spend in Q1?", [sheet], max_sentences=2)
    assert "Region: South; Q1: 900 [1]" in answer


@pytest.mark.parametrize("bullet", ["•", "▪", "-", "*", "–", "\uf0b7"])
def test_a_list_item_is_quoted_without_its_bullet(embedder, bullet: str) -> None:
    """The bullet is the list's layout, not the item's words ("• Finally, ..."): an item
    quoted alone (its list too long for the answer) has none, and a list quoted whole is
    Markdown's, each item after a dash. An item in lower case is a fragment of the list, and
    reads as one with it."""
    text = (f"At startup:\n{bullet} Finally, if a function .First() exists in the workspace, "
            "in the site profile or in the user's own profile, it is executed after the "
            "packages have been attached and the saved image has been loaded.\n"
            f"{bullet} The memory available to R is set by options at startup.")
    startup = Hit("d0", "R-intro.pdf", 98, "c0", 1.0, text)
    answer = quote(embedder, "How is the memory available to R set at startup?", [startup],
                   max_sentences=1)
    assert answer == "The memory available to R is set by options at startup. [1]"
    answer = quote(embedder, "How is the memory available to R set at startup?", [startup])
    assert answer.endswith("\n- The memory available to R is set by options at startup. [1]")
    assert answer.startswith("- Finally, if a function .First() exists"), answer
    listed = Hit("d1", "R-intro.pdf", 19, "c1", 1.0,
                 f"Lists:\n{bullet} data frames are matrix-like structures, in which the columns "
                 "can be of different types.")
    answer = quote(embedder, "What are data frames?", [listed])
    assert f"{bullet} data frames are matrix-like" in answer  # a fragment keeps its item's mark


def test_a_sentence_under_a_heading_that_names_the_question_s_subject_comes_first(
        embedder) -> None:
    # the sentence that answers says "recycled" once; its heading names the subject
    manual = Hit("d0", "R-lang.pdf", 21, "c0", 1.0,
                 "In this section, we discuss the finer points of the rules that apply to basic "
                 "operation like\naddition or multiplication of two vectors or matrices.\n"
                 "3.3.1 Recycling rules\nIf one tries to add two structures with a different "
                 "number of elements, then the shortest is\nrecycled to length of longest. That "
                 "is, if for instance you add c(1, 2, 3) to a six-element\nvector then you will "
                 "really add c(1, 2, 3, 1, 2, 3).")
    files = Hit("d1", "octave.pdf", 978, "c1", 0.8,
                "val = recycle ()\nold_val = recycle (new_val)\nQuery or set the preference for "
                "recycling deleted files.\nWhen recycling is enabled, commands which would "
                "permanently erase files instead\nmove them to a temporary location.")
    answer = quote(embedder, "What is the recycling rule?", [manual, files])
    first_group, cited = groups(answer)[0]
    assert cited == 1
    assert any(s.startswith("If one tries to add two structures") for s in first_group)
    assert "3.3.1" not in answer


def test_markdown_and_numbered_titles_are_not_quoted(embedder) -> None:
    card = Hit("d0", "model-card.md", None, "c0", 1.0,
               "#### Training data\n\nWe trained the model on one billion sentence pairs from "
               "many datasets.\n\n6. Trademarks. This License does not grant permission to use "
               "the trade names of the Licensor.\n\n3. Grant of Patent License. Each "
               "Contributor grants You a patent license.")
    answer = quote(embedder, "What data was the model trained on? Trademarks? Patents?", [card])
    assert answer.startswith("We trained the model on one billion sentence pairs")
    assert "####" not in answer and "Trademarks." not in answer and "Grant of" not in answer


def test_quoted_code_keeps_its_lines_and_fences(embedder) -> None:
    """Code is quoted as the document shows it, fenced on lines of its own, so the chat shows
    a program and the `rag` command prints one, with its citation on the line after it."""
    code = ("```python\nfrom openai import OpenAI\n\nclient = OpenAI(base_url=\"http://"
            "localhost:8501/api/v1\")\nprint(client.models.list())\n```")
    guide = Hit("d0", "api.md", None, "c0", 1.0,
                f"## Clients\n\nThe official OpenAI SDK works unchanged:\n\n{code}\n\n"
                "Streaming works as well.")
    answer = quote(embedder, "How do I use the OpenAI SDK with the API?", [guide])
    assert f"\n\n{code}\n[1]" in answer
    assert answer.startswith("The official OpenAI SDK works unchanged: [1]\n\n```python\n")


def test_a_sentence_introducing_code_brings_it_along(embedder) -> None:
    """"The official OpenAI SDK works unchanged:" says little without the program after it,
    which holds few of the question's words: it comes with its introduction."""
    code = ("```python\nclient = OpenAI(base_url=URL, api_key=KEY)\nreply = client.chat."
            "completions.create(model=M, messages=m)\n```")
    guide = Hit("d0", "api.md", None, "c0", 1.0,
                f"The official OpenAI SDK works unchanged:\n\n{code}\n\nThe OpenAI SDK "
                "always sends an API key. The OpenAI SDK stops waiting after its timeout.")
    answer = quote(embedder, "Does the official OpenAI SDK work with the API?", [guide],
                   max_sentences=2)
    assert answer == f"The official OpenAI SDK works unchanged: [1]\n\n{code}\n[1]"


def test_code_brings_the_sentence_introducing_it(embedder) -> None:
    """A program quoted for its words ("retries", "timeout") comes after what it is for."""
    code = ("```python\nclient = OpenAI(base_url=URL, max_retries=5, timeout=30)\n```")
    guide = Hit("d0", "api.md", None, "c0", 1.0,
                "The API answers the official OpenAI SDK. A client that waits longer than "
                f"usual can be made like this:\n\n{code}\n\nThe client sets its own timeout "
                "and retries.")
    answer = quote(embedder, "How do I pass max_retries=5 and timeout=30 to "
                   "OpenAI(base_url=URL)?", [guide], max_sentences=2)
    assert ("A client that waits longer than usual can be made like this: [1]"
            f"\n\n{code}\n[1]") in answer


def test_a_pdfs_program_lines_are_quoted_as_code_after_the_sentence_they_complete(
        embedder) -> None:
    """A manual's PDF writes "the command is" then "> help(solve)" on a line of its own: the
    command is quoted as code, fenced, after the words it completes, and the next sentence
    is not run into it. R's output "[1] FALSE" in it is the program's, not a citation."""
    manual = Hit("d0", "R-intro.pdf", 5, "c0", 1.0,
                 "R has an inbuilt help facility similar to the man facility of UNIX. To get "
                 "more information on any specific named function, for example solve, the "
                 "command is\n> help(solve)\nAn alternative is\n> ?solve\nFor a feature "
                 "specified by special characters, the argument must be enclosed in double\n"
                 "or single quotes, making it a character string.")
    answer = quote(embedder, "How do I get help on a function?", [manual], max_sentences=2)
    assert ("for example solve, the command is [1]\n\n```\n> help(solve)\n```\n[1]"
            in answer), answer
    assert "is > help" not in answer and "An alternative is > ?solve For" not in answer
    other = Hit("d1", "R-data.pdf", 3, "c1", 1.0, "Data can be imported from spreadsheets.")
    faq = Hit("d0", "R-FAQ.pdf", 41, "c0", 0.9,
              "Floating point numbers are rounded. Here is another example, this time using "
              "addition:\nR> .3 + .6 == .9\n[1] FALSE\nR> .3 + .6 - .9\n[1] -1.110223e-16\n")
    deltas = list(ExtractiveGenerator(embedder, max_sentences=2).stream(
        GenerationRequest("Is .3 + .6 == .9 in R?", [other, faq]), GenerationRecord()))
    checker = CitationChecker(2, [other.text, faq.text])
    answer = "".join(checker.filter(iter(deltas)))
    assert ("```\nR> .3 + .6 == .9\n[1] FALSE\nR> .3 + .6 - .9\n[1] -1.110223e-16\n```\n[2]"
            in answer), answer
    assert checker.cited == {2} and first_citation(answer) == 2


def test_a_transcript_matching_the_questions_figures_leaves_room_for_the_sentences(
        embedder) -> None:
    """A session's transcript holds the question's literals ("0.1 + 0.2 == 0.3") as no
    sentence does: it is quoted with its introduction, but the sentences saying why are held
    to the best sentence's score, not to the program's, and two of them come, before it: its
    lead-in says nothing of the question."""
    session = Hit("d0", "R-FAQ.pdf", 41, "c0", 1.0,
                  "Here is another example, this time using addition:\nR> .3 + .6 == .9\n"
                  "[1] FALSE\nR> 0.1 + 0.2 == 0.3\n[1] FALSE\n")
    why = Hit("d1", "R-FAQ.pdf", 40, "c1", 0.9,
              "7.31 Why doesn't R think these numbers are equal?\n\nThe only numbers that can "
              "be represented exactly in R's numeric type are integers and fractions whose "
              "denominator is a power of 2. All other numbers are internally rounded to "
              "(typically) 53 binary digits accuracy.")
    answer = quote(embedder, "Why is 0.1 + 0.2 == 0.3 FALSE in R?", [session, why],
                   max_sentences=4)
    assert answer.startswith("The only numbers that can be represented exactly"), answer
    assert ("whose denominator is a power of 2. [2] All other numbers are internally rounded "
            "to (typically) 53 binary digits accuracy. [2] Here is another example, this time "
            "using addition: [1]\n\n```") in answer, answer


def test_a_sentence_the_code_after_it_completes_is_quoted_with_it(embedder) -> None:
    """"... glm() which uses the form" then the call on a line of its own: the sentence says
    nothing without the code, and brings it, however few of the question's words it holds."""
    robust = Hit("d1", "R-intro.pdf", 70, "c1", 1.0,
                 "Robust regression\n\nThere are several functions available for fitting "
                 "regression models in a way resistant to the influence of extreme outliers in "
                 "the data. The loess() function fits a nonparametric regression by using a "
                 "locally weighted regression.")
    glm = Hit("d0", "R-intro.pdf", 68, "c0", 0.98,
              "The R function to fit a generalized linear model is glm() which uses the form\n"
              "> fitted.model <- glm(formula, family=family.generator, data=data.frame)\n"
              "The only new feature is the family.generator, which is the instrument by which "
              "the family is described.")
    answer = quote(embedder, "Which function fits a linear regression model?", [robust, glm],
                   max_sentences=3)
    assert ("glm() which uses the form [2]\n\n```\n> fitted.model <- glm(formula, "
            "family=family.generator, data=data.frame)\n```\n[2]") in answer, answer


def test_a_dotted_name_most_passages_write_is_their_subject_not_the_question(
        embedder) -> None:
    """"Which argument of read.table ...?" of a chapter on read.table: most passages name
    it, one under a heading naming it, and the sentence answering need not say it again."""
    passages = [Hit(f"d{n}", "R-data.pdf", 12 + n, f"c{n}", 1.0 - n / 10, text) for n, text in
                enumerate([
                    "By default the file is assumed to contain the string NA to represent "
                    "missing values, but this can be changed by the argument na.strings. "
                    "Quotes can be escaped by doubling them, as read.table reads them.",
                    "2.1 Variations on read.table\n\n"
                    "The function read.table is the most convenient way to read in a grid of "
                    "data. Several other functions call read.table with other arguments.",
                    "Beware that read.table is an inefficient way to read in large matrices."])]
    answer = quote(embedder, "Which argument of read.table tells it which strings mean "
                   "missing values?", passages)
    assert "changed by the argument na.strings." in answer, answer


def test_code_does_not_answer_a_question_asking_for_a_number_or_a_name(embedder) -> None:
    """A program's identifiers hold the question's words ("model_output", "dimension") and
    its literals hold numbers; the sentences say how many, and who."""
    code = ("```python\ndef mean_pooling(model_output, dimension=1):\n    vectors = "
            "model_output[0]\n    return vectors.sum(dimension) / vectors.size(dimension)\n```")
    card = Hit("d0", "card.md", None, "c0", 1.0,
               f"## Usage\n\n{code}\n\nThe model outputs vectors of 384 dimensions. It was "
               "trained by the Sentence Transformers team.")
    for question, said in [("How many dimensions does the model output?", "384 dimensions"),
                           ("Who trained the model?", "Sentence Transformers team")]:
        answer = quote(embedder, question, [card])
        assert said in answer and "```" not in answer, answer
    # asked how, the program answers
    assert code in quote(embedder, "How do I use mean_pooling on model_output?", [card])


ERROR = "no valid set of coefficients has been found: please supply starting values"


def test_a_program_is_quoted_after_the_sentence_introducing_it_and_one_alone(embedder) -> None:
    """Transcripts writing an error message match a question quoting it as no sentence does;
    quoted on their own they would fill the answer with programs and not say what they show:
    a program is quoted after the sentence before it, one only, and none opening its passage
    with no sentence to say what it is."""
    passages = [
        Hit("d0", "R-exts.pdf", 125, "c0", 1.0,
            "An object called last.dump has appeared in the workspace. We can examine this "
            "at a later time by calling the function debugger.\n\n"
            f"```\n> debugger()\nMessage: Error: {ERROR}\nAvailable environments had "
            "calls:\n```", position=9),
        Hit("d0", "R-exts.pdf", 123, "c1", 0.95,
            f"```\n> glm(resp ~ 0+predictor, family = binomial(link=\"log\"))\nError: {ERROR}"
            f"\n> traceback()\n3: stop(\"{ERROR}\", call. = FALSE)\n```", position=2),
        Hit("d0", "R-exts.pdf", 124, "c2", 0.9,
            "Once we have located the error, we have some choices. Set options(error = "
            "dump.frames) and run the code again:\n\n```\n> options(error = dump.frames)\n"
            f"> glm(resp ~ 0 + predictor, family = binomial(link =\"log\"))\nError: {ERROR}"
            "\n```", position=6)]
    answer = quote(embedder, f'What does "{ERROR}" mean?', passages)
    assert answer.count("```") == 2, answer
    assert "> traceback()" not in answer, answer
    introduction = "calling the function debugger. [1]" if "debugger()" in answer else \
        "run the code again: [3]"
    assert f"{introduction}\n\n```" in answer, answer


def test_a_program_opening_its_passage_comes_after_the_passage_before_it(embedder) -> None:
    """A chunk's end may fall between a sentence and the program it introduces: the
    program is quoted after that sentence, the last of the passage it goes on from."""
    code = ("```\nplot(1:8, xaxt = \"n\")\ntext(1:8, par(\"usr\")[3] - 0.25, srt = 45, "
            "labels = labels, xpd = TRUE)\n```")
    passages = [
        Hit("d0", "R-FAQ.pdf", 40, "c1", 1.0, f"{code}\n\nYou can adjust the offset to move "
            "the labels.", position=180),
        Hit("d0", "R-FAQ.pdf", 40, "c0", 0.9, "7.27 How can I create rotated axis labels?\n\n"
            "To rotate axis labels, you need to use text(), rather than mtext(), as the "
            "latter does not support par(\"srt\").", position=179),
        Hit("d1", "R-intro.pdf", 12, "c2", 0.8, "```\naxis(1, labels = FALSE)\n```",
            position=7)]
    answer = quote(embedder, "How do I rotate the axis labels on a plot?", passages)
    assert f'does not support par("srt"). [2]\n\n{code}\n[1]' in answer, answer
    assert "axis(1, labels = FALSE)" not in answer, answer


def test_a_program_with_no_sentence_is_quoted_where_nothing_else_is(embedder) -> None:
    """Passages holding programs alone still answer: the best program is quoted."""
    passages = [Hit("d0", "notes.md", None, "c0", 1.0,
                    f"```\n> glm(resp ~ 0+predictor)\nError: {ERROR}\n```", position=4)]
    answer = quote(embedder, f'What does "{ERROR}" mean?', passages)
    assert passages[0].text in answer, answer


def test_quoted_code_the_passage_cuts_says_it_goes_on(embedder) -> None:
    """A chunk's end may cut a program: its lines are quoted, closed after a line saying
    that the program goes on, rather than run into what the answer says next."""
    code = ("```sh\nexport RAG_GENERATOR=openai\nexport OPENAI_BASE_URL="
            "http://localhost:11434/v1  # Ollama's port\n\n# the model you pulled, as Ollama "
            "names it\nexport RAG_OPENAI_CHAT_MODEL=llama3.1  # or qwen")
    setup = Hit("d0", "providers.md", None, "c0", 1.0,
                f"To run Ollama as the generator, set:\n\n{code}\n", position=3)
    answer = quote(embedder, "How do I run Ollama as the generator?", [setup])
    assert f"\n\n{code}\n…\n```\n[1]" in answer


def test_the_names_a_passage_goes_by_do_not_lengthen_its_answer(embedder) -> None:
    """Every sentence of the handbook's "Expenses" section holds "expense" by its heading: that
    places them all, and lets no more of them into the answer than their own words would (a
    quarter's budget and a revision date came in behind the receipts)."""
    text = ("Expenses\n\nUnused budget can be carried into the next quarter by the finance "
            "team.\n\nClaims are paid within 30 days.\n\nStaff get a form from the office "
            "manager.\n\nThis applies to every office. Ask your manager when in doubt. The "
            "rules were last revised in March.\n\nReceipts must be kept for six years.")
    expenses = Hit("d0", "handbook.docx", None, "c2", 1.0, text, position=2,
                   title="Staff handbook", locator="Expenses",
                   sentence_vectors=embed_chunks(embedder, [text], sentences=True).sentences[0])
    answer = quote(embedder, "How long must expense receipts be kept?", [expenses])
    assert answer == ("Claims are paid within 30 days. [1] Receipts must be kept for six "
                      "years. [1]")


def test_a_title_naming_the_question_does_not_make_its_document_an_answer(embedder) -> None:
    """The title's words place a sentence; they are not evidence that it answers, so a
    question naming the library's document and asking what it does not hold is still told
    so."""
    titled = [replace(h, title="Kestrel Field Handbook") for h in hits([0, 1, 2, 3])]
    question = "Where does the Kestrel Field Handbook say to buy tickets?"
    assert quote(embedder, question, titled).startswith(WEAK_MATCH)


@pytest.mark.parametrize(("question", "sentence", "names", "defines"), [
    ("What is all-MiniLM-L6-v2?", "This is a sentence-transformers model.",
     ["all-MiniLM-L6-v2"], True),
    ("What is CRAN?", "It is a network of sites.", ["CRAN"], True),
    ("What are S4 classes?", "These are classes.", ["S4 classes"], False),  # not "this is"
    ("What is CRAN?", "This is easy.", ["Usage"], False),  # another heading's subject
    ("How do I reach CRAN?", "This is a network of sites.", ["CRAN"], False),  # not "What is"
    ("What is CRAN?", "CRAN has mirrors.", ["CRAN"], False),
])
def test_a_sentence_defining_the_heading_above_it(question: str, sentence: str,
                                                  names: list[str], defines: bool) -> None:
    assert defined_by_reference(question, sentence, names) is defines


@pytest.mark.parametrize("title", ["all-MiniLM-L6-v2", "model-card"])
def test_this_is_under_the_subjects_heading_says_what_it_is(embedder, title: str) -> None:
    """A README or a model card opens "# Name" then "This is a ...": asked "What is Name?",
    that sentence says what it is, as "Name is a ..." would, though it never writes the
    name; under the document's title or the heading naming it alike."""
    text = ("# all-MiniLM-L6-v2\nThis is a [sentence-transformers](https://www.SBERT.net) "
            "model: It maps sentences & paragraphs to a 384 dimensional dense vector space and "
            "can be used for tasks like clustering or semantic search.\n\n## Usage\n"
            "Install sentence-transformers first. This is easy with pip:\n\n```\npip install "
            "-U sentence-transformers\n```\n\nThen you can use the model like this:\n```python"
            "\nfrom sentence_transformers import SentenceTransformer\nsentences = [\"This is "
            "an example sentence\", \"Each sentence is converted\"]\n\nmodel = "
            "SentenceTransformer('sentence-transformers/all-MiniLM-L6-v2')\nembeddings = "
            "model.encode(sentences)\nprint(embeddings)\n```")
    card = Hit("d0", "model-card.md", None, "c0", 1.0, text, position=0, title=title,
               sentence_vectors=embed_chunks(embedder, [text], sentences=True).sentences[0])
    answer = quote(embedder, "What is all-MiniLM-L6-v2?", [card])
    assert answer.startswith("This is a [sentence-transformers](https://www.SBERT.net) model")
    # under another heading, "This is" is about something else
    assert "This is easy with pip" not in quote(embedder, "What is pip?", [card])[:40]


def test_a_documents_opening_title_block_is_not_quoted(embedder) -> None:
    opening = Hit("d0", "LICENSE.txt", None, "c0", 1.0,
                  "Apache License\n      Version 2.0, January 2004\n   "
                  "http://www.apache.org/licenses/\n\nEach Contributor grants You a patent "
                  "license to make and use the Work. The license ends if You sue over a patent.",
                  position=0)
    answer = quote(embedder, "What does the Apache license say about patents?", [opening])
    assert answer.startswith("Each Contributor grants You a patent license")
    assert "January 2004" not in answer
    # further on in the document the same lines are no title, and a sheet's first row (one
    # line, no stop) opening a document is its content
    later = Hit("d0", "LICENSE.txt", None, "c1", 1.0, opening.text, position=3)
    answer = quote(embedder, "Which version of the Apache License is from January 2004?", [later])
    assert "Version 2.0, January 2004" in answer
    row = Hit("d1", "costs.csv", None, "c2", 0.9, "Region: North; Quarter: Q1; Spent: 1200 "
              "euros\n\nRegion: South; Quarter: Q1; Spent: 900 euros", position=0)
    answer = quote(embedder, "What did the North region spend in Q1?", [row])
    assert answer.startswith("Region: North; Quarter: Q1; Spent: 1200 euros [1]")


def test_the_documents_own_title_is_not_quoted(embedder) -> None:
    """An HTML page's title opens its text as a block of its own, one line: quoted, an answer
    about staff ended "Users and Groups in the Debian System [2]"."""
    titled = Hit("d0", "groups.html", None, "c0", 0.8,
                 "Users and Groups in the Debian System\n\nJoey Hess\n\nThis document "
                 "describes the users and groups of a Debian system.", position=0,
                 title="Users and Groups in the Debian System")
    entry = Hit("d0", "groups.html", None, "c9", 1.0,
                "staff: Allows users to add local modifications to the system without root "
                "privileges.", position=9, title=titled.title)
    answer = quote(embedder, "What are the groups of a Debian system for?", [entry, titled])
    assert "This document describes the users and groups" in answer
    assert "Debian System [" not in answer


def test_a_list_entry_opening_a_later_chunk_is_whole_not_a_fragment(embedder) -> None:
    """A chunk after a document's first may begin inside a sentence; "video: This group
    ..." begins in lower case but is a whole entry, and the one the question names."""
    groups_text = ("video: This group can be used locally to give a set of users access to a "
                   "video device.\nplugdev: Allows members to mount and umount removable "
                   "devices through pmount.\nstaff: Allows users to add local modifications "
                   "to the system without needing root privileges.")
    passage = Hit("d0", "groups.txt", None, "c0", 1.0, groups_text, position=3)
    text = quote(embedder, "What is the video group for?", [passage])
    assert text.startswith("video: This group can be used locally"), text


def test_a_question_for_a_maximum_or_a_limit_asks_for_a_number() -> None:
    from rag.text.answer_types import answer_kind

    for question in ("What is the maximum input length of all-MiniLM-L6-v2?",
                     "What's the minimum version of Python needed?",
                     "What is the upload limit?"):
        holds = answer_kind(question)
        assert holds is not None, question
        assert holds("Input longer than 256 word pieces is truncated.")
        assert not holds("Longer input is truncated.")


@pytest.mark.parametrize(("sentence", "says_a_number"), [
    ("We trained our model on a TPU v3-8.", False),  # digits inside a name
    ("We used the pretrained MiniLM-L6-H384-uncased model.", False),
    ("The F-16 first flew in the seventies.", False),
    ("The sequence length was limited to 128 tokens.", True),
    ("It fell to -5 degrees, then rose by 2.5.", True),
    ("Tickets cost $1,200 each.", True),
    ("We train it during 100k steps.", True),
    ("Roughly half of them stayed.", True),
])
def test_a_number_asked_for_is_a_number_not_a_name_holding_digits(
        sentence: str, says_a_number: bool) -> None:
    from rag.text.answer_types import answer_kind

    holds = answer_kind("How many steps was the model trained for?")
    assert bool(holds(sentence)) is says_a_number


OFF_TOPIC = "What is the capital of Australia?"


def test_a_question_the_passages_do_not_answer_is_said_so_before_the_closest_quotes(
        embedder) -> None:
    text, _ = answer(embedder, OFF_TOPIC, [0, 1, 2, 3])
    assert text.startswith(WEAK_MATCH)
    quoted = groups(text.removeprefix(WEAK_MATCH))  # still whole sentences, each cited
    assert quoted and all(body in " ".join(PASSAGES) for bodies, _ in quoted
                          for body in bodies)
    for question, order in QUESTIONS:  # answered: nothing said first
        assert not answer(embedder, question, order)[0].startswith(WEAK_MATCH), question


def test_a_question_with_misspelt_words_is_answered_not_hedged(embedder) -> None:
    factors = Hit("d9", "faq.txt", None, "c9", 0.9,
                  "It may happen that when reading numeric data into R, they come in as "
                  "factors. If f is such a factor object, you can use as.numeric(as.character(f)) "
                  "to get the numbers back.")
    for question in ("How do I convert factors to numeric?", "how do i convert factrs to numric"):
        text = quote(embedder, question, [factors, *hits([2, 3])])
        assert not text.startswith(WEAK_MATCH), question
        assert groups(text)[0][1] == 1, question


OPTIONS = Hit("d8", "options.txt", None, "c8", 0.9,
              "Although default values may be set for any object, they are set in parent "
              "objects. The default value can be marked by enclosing it in braces.")


def test_a_word_the_library_holds_nowhere_is_said_before_the_closest_quotes(embedder) -> None:
    """An option's or a product's name the library never writes (`Retriever.unheld`): the
    passages cannot be about it, however well the rest of the question matches them."""
    uncalibrated = copy.copy(embedder)
    uncalibrated.weak_match_below = None
    request = GenerationRequest("What is the default value of stringsAsFactors?",
                                [OPTIONS, *hits([2, 3])], unheld=("stringsAsFactors",))
    for model in (embedder, uncalibrated):
        text = "".join(ExtractiveGenerator(model).stream(request, GenerationRecord()))
        assert hedge(text) == not_mentioned(["stringsAsFactors"])
        assert groups(text.removeprefix(hedge(text)))  # still whole sentences, each cited
    assert not_mentioned(["dplyr", "tidyverse"]) == (
        "Your documents do not mention “dplyr” or “tidyverse”. The passages closest to the "
        "question say:\n\n")
    assert hedge(quote(embedder, OFF_TOPIC, hits([0, 1, 2, 3]))) == WEAK_MATCH
    assert hedge(quote(embedder, *QUESTIONS[0][:1], hits(QUESTIONS[0][1]))) is None


def test_no_weak_match_is_said_without_the_models_calibration_or_its_cosines(
        embedder) -> None:
    uncalibrated = copy.copy(embedder)
    uncalibrated.weak_match_below = None
    assert not answer(uncalibrated, OFF_TOPIC, [0, 1, 2, 3])[0].startswith(WEAK_MATCH)

    class Down(type(embedder)):  # its cosines cannot be had: the words alone rank
        def embed_query(self, text: str) -> np.ndarray:
            raise AIError("the embedder is down")

    down = copy.copy(embedder)
    down.__class__ = Down
    text, _ = answer(down, OFF_TOPIC, [0, 1, 2, 3])
    assert text and not text.startswith(WEAK_MATCH)


def test_code_is_not_taken_for_the_name_a_who_question_asks_for() -> None:
    from rag.text.answer_types import answer_kind

    holds_a_name = answer_kind("Who originally wrote R?")
    assert not holds_a_name("If you call .C(), .Fortran() or .Call() yourself, you can crash "
                            "R; see $Home or user@Example.")
    assert holds_a_name("R was initially written by Ross Ihaka and (with him) Gentleman.")


def test_a_weak_sentence_does_not_open_the_answer_ahead_of_the_best(embedder) -> None:
    # the answer's second sentence is only there to make two: one from earlier in the best
    # passage, unrelated to the question, would be read first
    faq = Hit("d0", "faq.pdf", 14, "c0", 1.0,
              "The foundation does not give legal advice under any circumstances.\n"
              "2.12 Why is Zorn named Zorn?\n"
              "The name is partly based on the first names of its two authors, Zoe and "
              "Rennie.")
    other = Hit("d0", "faq.pdf", 15, "c1", 0.8,
                "Binaries are built for several systems. Most platforms are supported.")
    answer = quote(embedder, "Why is Zorn named Zorn?", [faq, other])
    assert answer.startswith("The name is partly based on the first names"), answer
    assert "legal advice" not in answer
    # nor one from another passage, on another subject: the answer is the one sentence
    assert groups(answer) == [(["The name is partly based on the first names of its two "
                                "authors, Zoe and Rennie."], 1)]


@pytest.mark.parametrize("question", ["How do I list hidden files with ls?",
                                      "What does ls -a show?"])
def test_a_short_code_block_is_quoted_not_taken_for_a_title(embedder, question: str) -> None:
    # a block of a few short words has the shape of a title ("Users and Groups"): as one, it
    # was never quoted, and headed the sentences after it
    shell = Hit("d0", "shell.md", None, "c0", 1.0,
                "Hidden files start with a dot. To see them, list the folder with ls and its a "
                "flag.\n\n```\nls -a\n```\n\nThe list is sorted by name.")
    assert "\n\n```\nls -a\n```\n[1]" in quote(embedder, question, [shell])


@pytest.mark.parametrize("lead_in", [
    "There are some differences in the modeling code, such as",
    "The modeling code differs from S in the following ways:",
])
def test_a_sentence_introducing_a_list_brings_its_first_item(embedder, lead_in: str) -> None:
    """"..., such as" says nothing until its list's first item: quoted alone, the answer
    would stop in the middle of a sentence."""
    faq = Hit("d0", "faq.pdf", 20, "c0", 1.0,
              f"3.3.2 Models\n{lead_in}\n• Whereas in S, you would use lm(y ~ x^3) to regress "
              "y on x^3, in R, you have to insulate powers of numeric vectors.\n• The glm "
              "family objects are implemented differently in R and S.")
    answer = quote(embedder, "What are the differences in the modeling code?", [faq],
                   max_sentences=2)
    # the item on a line of its own, as a list shows it
    assert answer.startswith(f"{lead_in} [1]\n- Whereas in S, you would use lm(y ~ x^3)")


def test_a_tables_header_line_is_never_quoted(embedder) -> None:
    """Ingest writes a table as its header's cells on a line, then each row naming its values
    by them ("Dataset: Reddit comments; Number of training tuples: 726,484,430"): the header
    says nothing the rows do not, and quoted it reads as a sentence that stops short."""
    card = Hit("d0", "card.md", None, "c0", 1.0,
               "We sampled each dataset given a weighted probability.\n\nDataset | Paper | "
               "Number of training tuples\n\nDataset: Reddit comments (2015-2018); Paper: "
               "paper; Number of training tuples: 726,484,430\n\nDataset: S2ORC Citation "
               "pairs; Paper: paper; Number of training tuples: 116,288,806")
    answer = quote(embedder, "How many training tuples came from each dataset?", [card])
    assert "Dataset | Paper" not in answer
    assert "726,484,430" in answer


def test_a_list_item_ending_in_and_is_quoted_alone(embedder) -> None:
    """"(a) You must give ... a copy of this License; and" is a whole condition: it does not
    need the next item, as a list's introduction does."""
    license_text = Hit("d0", "license.txt", None, "c0", 1.0,
                       "(a) You must give any other recipients of the Work a "
                       "copy of this License; and\n\n(b) You must cause any modified files to "
                       "carry prominent notices stating that You changed the files; and\n\n(c) You "
                       "must retain all copyright notices.")
    answer = quote(embedder, "Must I give recipients a copy of this License?", [license_text],
                   max_sentences=1)
    assert answer == ("(a) You must give any other recipients of the Work a copy of "
                      "this License; and [1]")


@pytest.mark.parametrize(("ending", "quoted"), [
    ("Dataset | Paper | Number of training tuples", False),
    ("K200 | 1.7 litres", True),
])
def test_a_tables_header_cut_from_its_rows_is_never_quoted(embedder, ending: str,
                                                           quoted: bool) -> None:
    """A chunk may end on a table's header, its rows in the next chunk. A line of cells
    holding a figure is a row of a table without a header, and answers."""
    card = Hit("d0", "card.md", None, "c0", 1.0,
               "We train the model during 100k steps using a batch size of 1024. We use a "
               f"learning rate warm up of 500 for the dataset.\n\n{ending}")
    answer = quote(embedder, "What batch size and K200 litres and dataset paper were used in "
                   "training?", [card])
    assert (ending in answer) == quoted


def test_a_sentence_introducing_a_list_brings_its_whole_list(embedder) -> None:
    """"The service kit contains the following parts:" is answered by its items, which hold
    few of the question's words: all of them come along, a list of short items counting as
    one sentence, as part of it would read as the whole kit."""
    guide = Hit("d0", "pump.docx", None, "c0", 1.0,
                "Contents of the kit\n\nThe service kit contains the following parts:\n\n"
                "• a replacement impeller\n\n• two O-ring seals\n\n• a tube of silicone grease"
                "\n\n• a spare fuse\n\nKeep the kit in a dry place.", title="Pump guide",
                locator="Contents of the kit")
    answer = quote(embedder, "What parts does the service kit contain?", [guide])
    assert answer == ("The service kit contains the following parts: [1]\n- a replacement "
                      "impeller [1]\n- two O-ring seals [1]\n- a tube of silicone grease [1]\n"
                      "- a spare fuse [1]")


def test_a_procedures_steps_quoted_together_are_a_lists_lines(embedder) -> None:
    """Steps quoted one after another keep their numbers, each on a line of its own, as the
    document lists them; a sentence after them is a paragraph of its own."""
    guide = Hit("d0", "pump.docx", None, "c0", 1.0,
                "1. Switch off the pump and unplug it.\n\n2. Remove the four screws of the "
                "impeller cover.\n\n3. Pull the old impeller straight out.\n\nTighten the "
                "impeller cover screws to 2 Nm.", title="Pump guide",
                locator="Replacing the impeller")
    answer = quote(embedder, "How do I replace the impeller?", [guide])
    assert answer.startswith(("1. ", "2. "))
    assert answer.endswith("cover. [1]\n3. Pull the old impeller straight out. [1]\n\n"
                           "Tighten the impeller cover screws to 2 Nm. [1]")


@pytest.mark.parametrize(("question", "row"), [
    ("What is the status of order 1002?", "order_id: 1002"),
    ("Which orders were cancelled?", "order_id: 1003"),
])
def test_a_question_naming_a_rows_value_is_answered_by_that_row(embedder, question: str,
                                                                row: str) -> None:
    """Every row of a table shares its column names ("status", "order") with the question,
    and all would be quoted in the table's order: the rows holding what the question names
    ("1002", "cancelled") are the answer."""
    orders = Hit("d0", "orders.csv", None, "c0", 1.0,
                 "order_id | customer | total | status\n\n"
                 "order_id: 1001; customer: Acme Corp; total: 250.00; status: shipped\n\n"
                 "order_id: 1002; customer: Globex; total: 99.50; status: pending\n\n"
                 "order_id: 1003; customer: Initech; total: 1200.00; status: cancelled",
                 title="orders", locator="sheet orders")
    answer = quote(embedder, question, [orders])
    assert answer.startswith(row) and answer.count("order_id:") == 1


def test_a_passages_section_answering_comes_before_another_section(embedder) -> None:
    """One passage may hold two sections: the one answering opens the answer, though the
    other comes first in the document; a list introduced by a sentence quoted after the best
    comes whole or not at all, its short items counting as one sentence, so it crowds out
    nothing."""
    guide = Hit("d0", "notes.md", None, "c0", 1.0,
                "# Release checklist\n\nBefore every release, do the following:\n\n1. Update "
                "the changelog.\n\n2. Bump the version.\n\n3. Tag the commit.\n\n## Rollback\n\n"
                "If a release breaks production, revert the tag and redeploy the previous "
                "release.", title="Release notes")
    answer = quote(embedder, "How do I roll back a release?", [guide])
    assert answer.startswith("If a release breaks production, revert the tag")
    steps = ["1. Update the changelog.", "2. Bump the version.", "3. Tag the commit."]
    assert [step in answer for step in steps] in ([False] * 3, [True] * 3), answer


def test_a_procedures_middle_step_is_not_left_out(embedder) -> None:
    """Its step shares few of the question's words, but the steps after it are quoted: left
    out, the procedure would read as whole and is not."""
    report = Hit("d0", "report.docx", None, "c0", 1.0,
                 "## How to report a safety incident\n\nTo report a safety incident, first make "
                 "the area safe and call the shift supervisor. Then fill in form HS-12 in the "
                 "Safety portal within 24 hours. Attach photographs of the scene and the names "
                 "of any witnesses. The site safety officer reviews every report within three "
                 "working days and assigns corrective actions.", title="Q3 report")
    steps = [s for s, _ in _CITED.findall(quote(embedder, "How do I report a safety incident?",
                                                [report]))]
    assert steps == ["To report a safety incident, first make the area safe and call the "
                     "shift supervisor.", "Then fill in form HS-12 in the Safety portal within "
                     "24 hours.", "Attach photographs of the scene and the names of any "
                     "witnesses.", "The site safety officer reviews every report within three "
                     "working days and assigns corrective actions."]


def test_list_items_left_out_between_two_quoted_are_said_to_be() -> None:
    items = ["The most important settings are:", "- `stations`: the stations to follow",
             "- `interval`: minutes between readings", "- `retention_days`: days kept",
             "- `database`: the SQLite file"]
    chosen = [(_Candidate(1, n, text), 1.0) for n, text in enumerate(items) if n in (0, 1, 4)]
    assert "".join(_compose(chosen)) == (
        "The most important settings are: [1]\n- `stations`: the stations to follow [1]"
        "\n…\n- `database`: the SQLite file [1]")


def test_a_sentence_quoted_only_to_make_two_brings_no_list(embedder) -> None:
    """A sentence far weaker than the best, there only to make the answer two, is never one
    introducing a list (it would bring the list's first item too, three lines of another
    subject), nor one of another document."""
    staff = Hit("d0", "staff.xlsx", 1, "c0", 1.0,
                "Name | Role | Start date\n\nName: Ana Silva; Role: Support engineer; Start "
                "date: 2024-03-01\n\nName: Ben Okafor; Role: Mobile developer; Start date: "
                "2024-05-15", title="staff", locator="sheet Staff")
    plan = Hit("d1", "plan.pptx", 1, "c1", 0.5,
               "Q3 goals\n\n• We will focus on three goals:\n\n• ship the mobile app\n\n"
               "• hire two support engineers", title="plan", locator="slide 1: Q3 goals")
    answer = quote(embedder, "What is Ben Okafor's role?", [staff, plan])
    assert answer.startswith("Name: Ben Okafor; Role: Mobile developer")
    assert "three goals" not in answer and len(re.findall(r"\[\d\]", answer)) == 1


FAQ = ("Frequently asked questions\n\nQ: How do I reset my password?\nA: Click \"Forgot "
       "password\" on the sign-in page and follow the link we email you. The link expires "
       "after 24 hours.\n\nQ: Can I change my username?\nA: Usernames are permanent, but you "
       "can change your display name in Settings.\n\nQ: How do I delete my account?\nA: Go "
       "to Settings > Account > Delete account. Your data is removed within 30 days.\n\n"
       "Q: Which browsers are supported?\nA: The latest two versions of Chrome, Firefox, "
       "Safari and Edge.")


def test_a_faqs_question_line_heads_its_answer_and_is_not_quoted(embedder) -> None:
    """A question on a line of its own ("Q: How do I delete my account?", an HTML FAQ's
    heading) is the heading of the answer under it: never quoted, its words counted for
    that answer, and each question's answer a group of its own."""
    faq = Hit("d0", "faq.txt", None, "c0", 1.0, FAQ, title="faq")
    answer = quote(embedder, "How long does account deletion take?", [faq])
    assert "?" not in answer
    assert answer.startswith("Go to Settings > Account > Delete account. [1] Your data is "
                             "removed within 30 days. [1]")


def test_an_faqs_answer_is_quoted_without_its_label(embedder) -> None:
    """"A:" under "Q: ...?" only says the line answers it; a line opening "A:" elsewhere (a
    quiz's option) keeps it."""
    answer = quote(embedder, "Which browsers are supported?",
                   [Hit("d0", "faq.txt", None, "c0", 1.0, FAQ, title="faq")])
    assert answer.startswith("The latest two versions of Chrome, Firefox, Safari and Edge. [1]")
    quiz = "Pick the capital of France.\nA: Paris is the capital of France.\nB: Lyon is not."
    answer = quote(embedder, "What is the capital of France?",
                   [Hit("d1", "quiz.txt", None, "c1", 1.0, quiz, title="quiz")])
    assert "A: Paris is the capital of France." in answer


def test_a_question_naming_only_the_document_gains_nothing_from_its_headings(embedder) -> None:
    """"What is Rich?" of rich.md: every heading of it says "Rich" ("Rich Inspect"), so none
    says which section answers; the sentence saying what Rich is does."""
    docs = "https://rich.readthedocs.io/en/latest/reference/init.html"
    texts = [f"## Rich Inspect\n\nRich has an [inspect]({docs}) function which can produce a "
             "report on any Python object, such as class, instance, or builtin.\n\nSee the "
             f"[inspect docs]({docs}#rich.inspect) for details.",
             "Rich is a Python library for _rich_ text and beautiful formatting in the "
             "terminal.\n\nThe [Rich API](https://rich.readthedocs.io/en/latest/) makes it "
             "easy to add color and style to terminal output."]
    passages = [Hit("d0", "rich.md", None, f"c{n}", score, text, title="Rich", position=n,
                    sentence_vectors=embed_chunks(embedder, [text], sentences=True).sentences[0])
                for n, score, text in ((9, 4.2, texts[0]), (4, 3.95, texts[1]))]
    answer = quote(embedder, "What is Rich?", passages)
    assert answer.startswith("Rich is a Python library for _rich_ text and beautiful formatting "
                             "in the terminal. [2]"), answer


README = ("# Uvicorn\n\n**Documentation**: [https://uvicorn.dev](https://uvicorn.dev)\n\n"
          "**Source Code**: [https://github.com/Kludex/uvicorn](https://github.com/Kludex/"
          "uvicorn)\n\nUvicorn is an ASGI web server implementation for Python. Until "
          "recently Python has lacked a minimal low-level server/application interface for "
          "async frameworks.")


def test_a_line_saying_only_where_something_is_defines_nothing(embedder) -> None:
    """A README's "Documentation: <link>" shares the name asked about, and came first for
    "What is uvicorn?"; it still answers where the documentation is."""
    readme = Hit("d0", "README.md", None, "c0", 1.0, README, title="Uvicorn")
    answer = quote(embedder, "What is uvicorn?", [readme])
    assert answer.startswith("Uvicorn is an ASGI web server implementation for Python. [1]")
    assert "https://" not in answer
    answer = quote(embedder, "Where is the uvicorn documentation?", [readme])
    assert "**Documentation**: [https://uvicorn.dev](https://uvicorn.dev) [1]" in answer


@pytest.mark.parametrize(("question", "entry"), [
    ("How do I reset my password?", "reset my password"),
    ("Can I change my username?", "change my username"),
    ("How long until my data is removed?", "delete my account"),
    ("Which browsers are supported?", "browsers"),
])
def test_an_answer_does_not_run_on_into_another_sections_answer(embedder, question: str,
                                                                 entry: str) -> None:
    """A sentence there only to make the answer two comes from the best one's section, never
    from the next entry of an FAQ, which answers another question."""
    text = quote(embedder, question, [Hit("d", "faq.txt", None, "c", 1.0, FAQ)])
    section = next(part for part in FAQ.split("\n\n") if entry in part)
    quoted = [body for body, _ in _CITED.findall(text)]
    assert quoted and all(body in section for body in quoted), text
    if question.startswith("How do I reset"):
        assert "The link expires after 24 hours." in quoted, text


def test_the_section_under_a_heading_restating_the_question_answers_it(embedder) -> None:
    """A README's "## What is Streamlit?" heads the answer; a sentence elsewhere saying
    "Streamlit is ..." about its licence reads as a definition, and outscored it."""
    readme = Hit("d0", "streamlit.md", None, "c0", 1.0,
                 "# Welcome to Streamlit\n\n**A faster way to build and share data apps.**\n\n"
                 "## What is Streamlit?\n\nStreamlit lets you transform Python scripts into "
                 "interactive web apps in minutes, instead of weeks. Build dashboards, generate "
                 "reports, or create chat apps.\n\n### Why choose Streamlit?\n\n- **Open-source "
                 "and free:** Join a vibrant community and contribute to Streamlit's future.",
                 title="Welcome to Streamlit")
    licence = Hit("d0", "streamlit.md", None, "c1", 0.9,
                  "## License\n\nStreamlit is completely free and open-source and licensed under "
                  "the Apache 2.0 license.", title="Welcome to Streamlit")
    answer = quote(embedder, "What is Streamlit?", [readme, licence])
    assert answer.startswith("Streamlit lets you transform Python scripts into interactive "
                             "web apps"), answer


def test_sentences_are_ranked_by_their_word_by_word_match(embedder) -> None:
    text = PASSAGES[2]
    plain = Hit("d2", "doc2.txt", None, "c2", 1.0, text,
                sentence_vectors=embed_chunks(embedder, [text], sentences=True).sentences[0])
    spans = plain.sentence_vectors.spans
    keepers = [text[start:end] for start, end in spans].index(
        "Keepers lived in the tower until the 1980s.")
    matched = replace(plain, sentence_matches=tuple(
        1.0 if i == keepers else 0.0 for i in range(len(spans))))
    question = "How often do lighthouse lamps turn?"
    lamps = "Their lamps turn once every 10 seconds."
    one = {"max_sentences": 1, "match_bonus": 1.0}  # a bonus the whole match can swing
    assert quote(embedder, question, [plain], **one) == f"{lamps} [1]"
    assert quote(embedder, question, [matched], **one).startswith("Keepers lived")
    # the match orders the sentences, never lengthens the answer
    assert (len(groups(quote(embedder, question, [matched], match_bonus=1.0))[0][0])
            == len(groups(quote(embedder, question, [plain]))[0][0]))
    # a passage the search did not match word by word: no sentence is ranked so
    other = replace(hits([0])[0], sentence_vectors=embed_chunks(
        embedder, [PASSAGES[0]], sentences=True).sentences[0])
    assert quote(embedder, question, [matched, other], **one) == f"{lamps} [1]"


def test_a_when_question_quotes_the_sentence_giving_a_date_in_other_words(embedder) -> None:
    # the date's sentence shares no word with the question; the other shares all but "when"
    passages = [Hit("d0", "bridge.txt", None, "c0", 1.0,
                    "The bridge opened to carts and walkers alike, with a toll at either end."),
                Hit("d1", "town.txt", None, "c1", 1.0,
                    "Traffic first crossed the river on 2 May 1887, to the sound of the town "
                    "band.")]
    text = quote(embedder, "When did the bridge open?", passages)
    assert "on 2 May 1887" in text and "The bridge opened" in text


@pytest.mark.parametrize("spec", [
    "Heater H9\n\nThe H9 is a wall-mounted heater for bathrooms.\n\nVoltage | 230 V\n\n"
    "Frequency | 50 Hz\n\nPower | 2000 W\n\nWeight | 4.2 kg",  # a Word table's rows
    "Heater H9\n\nThe H9 is a wall-mounted heater for bathrooms.\n\nVoltage 230 V\n\n"
    "Frequency 50 Hz\n\nPower 2000 W\n\nWeight 4.2 kg",  # an HTML table's, cells joined
], ids=["cells", "joined"])
def test_a_spec_sheets_row_is_quoted_not_taken_for_a_title(embedder, spec: str) -> None:
    """A key in capitals and a short unit look like a title's few capitalised words; the row
    says what the question asks."""
    passage = Hit("d0", "spec.docx", None, "c0", 1.0, spec)
    for question, row in (("What is the voltage of the H9?", "230 V"),
                          ("How much does the H9 weigh?", "4.2 kg")):
        quoted = quote(embedder, question, [passage])
        assert row in quoted, (question, quoted)


POLICY = ("Travel Policy\n\nThe policy was approved by the board on 12 September 2023 and takes "
          "effect on 1 January 2024. It was written by Lena Park of the finance team.\n\n"
          "Employees book flights through TravelDesk. Economy class is mandatory for flights "
          "under six hours.")


@pytest.mark.parametrize("question", ["When was the company founded?", "Who is the CEO?"])
def test_a_date_or_a_name_alone_does_not_make_a_sentence_an_answer(embedder,
                                                                    question: str) -> None:
    """Any date holds what "When ...?" asks for: the best sentence answers only if it is
    close to the question without that."""
    passage = Hit("d0", "policy.md", None, "c0", 1.0, POLICY)
    assert quote(embedder, question, [passage]).startswith(WEAK_MATCH)


def test_a_date_that_answers_is_quoted_without_a_warning(embedder) -> None:
    passage = Hit("d0", "policy.md", None, "c0", 1.0, POLICY)
    quoted = quote(embedder, "When does the travel policy take effect?", [passage])
    assert not quoted.startswith(WEAK_MATCH) and "1 January 2024" in quoted


RECEIPT = "CORNMILL HARDWARE\nReceipt 20417\nHammer 12.50\nNails 3.20\nTotal 15.70"


def test_a_passage_of_short_lines_alone_is_quoted_rather_than_nothing(embedder) -> None:
    """A receipt, a form or a label (OCR'd, or typed so) holds no sentence: its lines were all
    left out as titles or too short to quote, and the answer was empty."""
    receipt = [Hit("r", "receipt.png", None, "c0", 0.8, RECEIPT)]
    said = quote(embedder, "What was the total on the Cornmill receipt?", receipt)
    assert "Total 15.70 [1]" in said
    unheld = "".join(ExtractiveGenerator(embedder).stream(
        GenerationRequest("Who is counsel for the Hollymead company?", receipt,
                          unheld=("Hollymead",)), GenerationRecord()))
    assert unheld.startswith("Your documents do not mention “Hollymead”.")
    assert "Total 15.70 [1]" in unheld


def test_a_section_heading_is_never_quoted_for_a_passage_without_a_sentence(embedder) -> None:
    """A passage cut to its section's heading and the start of a sentence going on over the
    page (the fragment dropped) quoted its heading as the answer's first line."""
    cut = Hit("t", "R-intro.pdf", 24, "c1", 0.9, "4.2 The function tapply() and ragged arrays"
              "\n\nFor most purposes the only difference between ordered", position=3)
    whole = Hit("t", "R-intro.pdf", 24, "c2", 0.8, "The function tapply() is used to apply a "
                "function to each group of components of the first argument.", position=4)
    said = quote(embedder, "What does tapply do?", [cut, whole])
    assert "4.2 The function" not in said
    assert said.startswith("The function tapply() is used to apply a function to each group")


CSVREAD = ("x = csvread (filename)\nRead the comma-separated-value (CSV) file filename into "
           "the matrix x.\nSee also: dlmread, textscan.")


@pytest.mark.parametrize(("inside", "quoted"), [
    (False, True),  # ingest found a sentence ending before it: the entry opens on its call
    (None, False),  # stored before ingest said: a lower-case opening is taken for a fragment
    (True, False),
])
def test_a_passage_opening_inside_a_sentence_is_told_by_ingest(
        embedder, inside: bool | None, quoted: bool) -> None:
    entry = Hit("o", "octave.pdf", 301, "c7", 0.9, CSVREAD, position=7,
                opens_inside_sentence=inside)
    said = quote(embedder, "What does csvread do?", [entry])
    assert ("Read the comma-separated-value (CSV) file filename into the matrix x." in said) \
        is quoted, said


def test_the_best_passage_of_short_lines_is_quoted_beside_others_sentences(embedder) -> None:
    receipt = Hit("r", "receipt.png", None, "c0", 0.8, RECEIPT)
    notes = Hit("n", "notes.txt", None, "c1", 0.5, "The meeting moved to Tuesday. Bring the "
                                                   "minutes of the last one and a pen.")
    said = quote(embedder, "What was the total on the Cornmill receipt?", [receipt, notes])
    assert "Total 15.70 [1]" in said


def test_a_sentence_opening_with_the_option_asked_about_is_quoted(embedder) -> None:
    """A list of options defines each on a line opening with it: that sentence, not those
    sharing the option's common word ("persist"), answers."""
    persistent = [Hit(f"p{n}", f"variables-{n}.txt", None, f"c{n}", 0.9 - n / 10,
                      f"Note {n}. A persistent variable keeps its value between calls. What "
                      "does persist do? Persistent variables persist until they are cleared.")
                  for n in range(2)]
    options = Hit("o", "options.txt", None, "c9", 0.6,
                  "--persist\nGo to interactive mode after reading a file named on the "
                  "command line.\n--quiet\nDo not print the greeting at startup.")
    for asked in ("--persist", "–persist"):  # typed with a typographer's dash too
        said = quote(embedder, f"What does {asked} do?", [*persistent, options])
        assert said.startswith("--persist Go to interactive mode after reading a file named "
                               "on the command line. [3]"), asked


# R-ints' reference of `R CMD check`'s environment variables: each entry's sentence, then the
# line saying its default
CHECK_VARIABLES = (
    "_R_CHECK_PKG_SIZES_\nShould du be used to find the installed sizes of packages? Default: "
    "true if du is\nfound.\n_R_CHECK_PKG_SIZES_THRESHOLD_\nThreshold used for "
    "_R_CHECK_PKG_SIZES_ (in Mb). Default: 5\n_R_CHECK_DOC_SIZES_\nShould qpdf be used to "
    "check the installed sizes of PDFs? Default: true if qpdf\nis found.\n"
    "_R_CHECK_CLEAN_VIGN_TEST_\nShould the vign_test directory be removed if the test is "
    "successful? Default:\ntrue.\n")


@pytest.mark.parametrize("stored", [True, False])
def test_a_labelled_value_is_quoted_with_the_sentence_it_follows(embedder, stored: bool) -> None:
    """"Default: 5" is a piece of its own, too short to quote alone: the answer asked for the
    default quoted the entry's sentence without it."""
    manual = (_stored(CHECK_VARIABLES, embedder) if stored
              else Hit("d0", "R-ints.pdf", 60, "c0", 1.0, CHECK_VARIABLES))
    said = quote(embedder, "What does _R_CHECK_PKG_SIZES_THRESHOLD_ default to?", [manual])
    assert "Threshold used for _R_CHECK_PKG_SIZES_ (in Mb). Default: 5 [1]" in said, said
    # the entry asked about, with its default, is the best: quoted alone when one is room
    said = quote(embedder, "What is the default of _R_CHECK_CLEAN_VIGN_TEST_?", [manual],
                 max_sentences=1)
    assert said == ("_R_CHECK_CLEAN_VIGN_TEST_ Should the vign_test directory be removed if "
                    "the test is successful? Default: true. [1]")


def test_only_a_labelled_value_joins_the_sentence_before_it() -> None:
    """Not a bare number or word (a page's, a running head's), not a line after a heading,
    a cross-reference's names, a sentence's opening words or a definition list's entry."""
    text = ("Threshold used for the installed sizes (in Mb). Default: 5\nType: int\n\n55\n\n"
            "The check runs twice. Tools\n\n8.2 Options\nDefault: 7\n\nThe cache is cleared "
            "at exit.\nSee also: clean, purge.\nFor example: purge all\n\nusers: members may "
            "log in.\nstaff: members may write to /usr/local.")
    said = [c.text for c in _passage_sentences(1, Hit("d0", "a.txt", None, "c0", 1.0, text))]
    assert said == ["Threshold used for the installed sizes (in Mb). Default: 5 Type: int",
                    "55", "The check runs twice.", "Tools", "8.2 Options", "Default: 7",
                    "The cache is cleared at exit.", "See also: clean, purge.",
                    "For example: purge all", "users: members may log in.",
                    "staff: members may write to /usr/local."]


def test_a_reference_entrys_signature_heads_its_description(embedder) -> None:
    """A manual's reference entry: its signatures fenced ("idivide (x, y, op)"), then its
    description, which does not name the function again. The signatures head the entry:
    the answer opens at the description, not at the signature's arguments."""
    manual = Hit("d0", "octave.pdf", 61, "c0", 1.0,
                 "So, the result of int32 (5) ./ int32 (8) is 1.\n```\nidivide (x, y, op)\n```\n"
                 "Integer division with different rounding rules.\nThe standard behavior of "
                 "integer division is to round the result to the nearest integer.\n```\n"
                 "quit\nquit cancel\nquit (status)\n```\nQuit the current Octave session.")
    answer = quote(embedder, "What does idivide do?", [manual], max_sentences=2)
    assert answer.startswith("Integer division with different rounding rules. [1]")
    assert "```" not in answer and "(x, y, op)" not in answer


def test_descriptions_of_several_reference_entries_come_after_their_signatures(
        embedder) -> None:
    """Descriptions of two entries quoted together ("Return true if all of x1, x2, ... are
    equal.", isequal's and isequaln's) each come after their entry's signature, or the
    reader could not tell which is whose; one entry's, asked for by name, does not."""
    manual = Hit("d0", "octave.pdf", 165, "c0", 1.0,
                 "```\nisequal (x1, x2, ...)\n```\nReturn true if all of x1, x2, ... are "
                 "equal.\n```\nisequaln (x1, x2, ...)\n```\nReturn true if all of x1, x2, "
                 "... are equal under the additional assumption that NaN == NaN.")
    answer = quote(embedder, "Which function tells whether arrays are equal?", [manual])
    assert ("```\nisequaln (x1, x2, ...)\n```\nReturn true if all of x1, x2, ... are equal "
            "under") in answer
    assert "```\nisequal (x1, x2, ...)\n```\nReturn true if all of x1, x2, ... are equal. [1]" \
        in answer
    # asked for by name, the entry is the answer: the other one's is left out
    assert quote(embedder, "What does the isequaln function do?", [manual]) == (
        "Return true if all of x1, x2, ... are equal under the additional assumption that "
        "NaN == NaN. [1]")
    alone = replace(manual, text=manual.text.split("```\nisequaln")[0])
    assert quote(embedder, "What does the isequal function do?", [alone]).startswith(
        "Return true if all of x1, x2, ... are equal. [1]")


_PREDICATES = ("# 4.3 Predicates for empty values\n\n```\nsize (a)\n```\nReturn the number of "
               "rows and columns of a.\nSee also: [numel], page 46, [ndims], page 46.\n\n```\n"
               "isempty (a)\n```\nReturn true if a is an empty matrix (any one of its dimensions "
               "is zero).\nSee also: [isnull], page 48, [isa], page 41.\n")
_VALIDATORS = ("# 7.1 Validating arguments\n\n```\nmustBeNonempty (x)\n```\nRequire that input "
               "x is nonempty.\nRaise an error if the input x is empty, as determined by isempty "
               "(x).\nSee also: [mustBeMember], page 207, [isempty], page 48.\n")


def test_the_reference_entry_of_the_function_asked_about_is_the_answer(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    """"What does isempty return?" names the function its entry's signature heads: its
    description answers, however unlike the question's words, and is all that is quoted,
    with no notice that the documents do not answer; not what other entries say of it."""
    answer = answer_from({"values.md": _PREDICATES, "validators.md": _VALIDATORS},
                         "What does isempty return?", embedder, model_dir, tmp_path)
    assert answer == ("Return true if a is an empty matrix (any one of its dimensions is "
                      "zero). [1]")


def test_a_description_saying_this_function_comes_after_its_signature(embedder) -> None:
    """"This function is equivalent to x > y." says whose it is by its signature alone."""
    manual = Hit("d0", "octave.pdf", 165, "c0", 1.0,
                 "```\ngt (x, y)\n```\nThis function is equivalent to x > y.")
    answer = quote(embedder, "What does the gt function do?", [manual])
    assert answer.startswith("```\ngt (x, y)\n```\nThis function is equivalent to x > y. [1]")


def test_a_tables_last_row_is_whole_where_ingest_says_the_passage_ends_no_sentence(
        embedder) -> None:
    """A table ending its page's body has no stop to end on (its footnotes set after it):
    where ingest marked that the chunk stops inside no sentence, its last row is quoted; of a
    chunk stored without the mark, a last piece ending on a word in lower case is taken for
    a sentence the chunk's end cut."""
    table = ("Currently SEXPTYPEs 0:10 and 13:25 are in use.\n\nno SEXPTYPE Description\n"
             "0 NILSXP NULL\n1 SYMSXP symbols\n2 LISTSXP pairlists\n3 CLOSXP closures\n"
             "4 ENVSXP environments\n5 PROMSXP promises\n6 LANGSXP language objects\n"
             "10 LGLSXP logical vectors\n13 INTSXP integer vectors\n14 REALSXP numeric vectors")
    question = "Which SEXPTYPE number is used for closures?"
    marked = Hit("d0", "R-ints.pdf", 6, "c0", 1.0, table, closes_inside_sentence=False)
    assert "3 CLOSXP closures" in quote(embedder, question, [marked])
    unmarked = replace(marked, closes_inside_sentence=None)
    assert "CLOSXP" not in quote(embedder, question, [unmarked])


BUILTINS = Hit("d8", "lang.txt", None, "c8", 1.0,
               "Builtin objects and special forms. These two kinds of object contain the "
               "builtin functions of R. The difference between the two lies in the argument "
               "handling. Builtin functions have all their arguments evaluated.")
LOGICAL = Hit("d9", "ops.txt", None, "c9", 0.9,
              "Logical operators\n& And, binary, vectorized\n&& And, binary, not vectorized\n"
              "| Or, binary, vectorized\n|| Or, binary, not vectorized")


def test_an_operator_none_of_the_passages_writes_makes_a_weak_match(embedder) -> None:
    """"The difference between the two ..." shares "difference" with the question, and is
    about two other things: only a passage writing "&&" can answer it."""
    uncalibrated = copy.copy(embedder)  # the cosines' bar cannot say it
    uncalibrated.weak_match_below = None
    question = "What is the difference between && and &?"
    assert hedge(quote(uncalibrated, question, [BUILTINS])) == WEAK_MATCH
    assert hedge(quote(uncalibrated, question, [BUILTINS, LOGICAL])) is None
    # prose's "&" is no operator
    assert hedge(quote(uncalibrated, "Who runs R&D and Q & A?", [BUILTINS])) is None


def test_code_writing_the_operator_asked_about_does_not_make_an_answer(embedder) -> None:
    """A table of operators writes "|>" and says nothing of it: quotes on other subjects are
    still said to be a weak match."""
    precedence = Hit("d7", "ops.txt", None, "c7", 0.5,
                     "Operators by precedence:\n\n```\n%xyz% |>\n* /\n+ - (binary)\n```\n")
    for question in ("How does |> pass the capital of Australia on?",
                     "What is the capital of Australia, and what does |> do?"):
        assert hedge(quote(embedder, question, [*hits([0, 1, 2, 3]), precedence])) == (
            WEAK_MATCH), question


READ_TABLE = (
    "7.1 The read.table() function\n\nTo read an entire data frame directly, the external file "
    "will normally have a special form.\n• The first line of the file should have a name for "
    "each variable in the data frame.\n• Each additional line of the file has as its first item "
    "a row label and the values for each\nvariable.\nIf the file has one fewer item in its first "
    "line than in its second, this arrangement is\npresumed to be in force. So the first few "
    "lines of a file to be read as a data frame might\nlook as follows.")


def test_a_short_list_no_sentence_introduces_is_quoted_whole(embedder) -> None:
    """Two bullets after a sentence ending on a stop: one item alone would read as the whole
    list ("this arrangement" after it speaks of both)."""
    manual = Hit("d0", "R-intro.pdf", 39, "c0", 1.0, READ_TABLE, position=176,
                 opens_inside_sentence=False, closes_inside_sentence=False)
    answer = quote(embedder, "how to read csv file", [manual])
    assert ("\n- The first line of the file should have a name for each variable in the data "
            "frame. [1]\n- Each additional line of the file has as its first item a row label "
            "and the values for each variable. [1]") in answer, answer


def test_a_promise_ending_its_passage_is_left_out(embedder) -> None:
    """"... might look as follows." ends the passage: the answer would promise a table it
    does not show."""
    manual = Hit("d0", "R-intro.pdf", 39, "c0", 1.0, READ_TABLE, position=176,
                 opens_inside_sentence=False, closes_inside_sentence=False)
    assert "as follows" not in quote(embedder, "how to read csv file", [manual])


def test_a_promise_of_a_table_is_left_out_without_the_table(embedder) -> None:
    manual = Hit("d0", "R-intro.pdf", 39, "c0", 1.0, READ_TABLE, position=176,
                 opens_inside_sentence=False, closes_inside_sentence=False)
    table = replace(manual, text=READ_TABLE.partition("7.1 The read.table() function\n\n")[2]
                    + "\nInput file form with names and row labels:\nPrice Floor Area Rooms "
                    "Age Cent.heat\n01 52.00 111.0 830 5 6.2 no\n02 54.75 128.0 710 5 7.5 no\n")
    answer = quote(embedder, "what does a data frame file look like", [table])
    assert "as follows" not in answer, answer


def test_a_section_titled_by_a_function_in_lower_case_is_not_quoted(embedder) -> None:
    manual = Hit("d0", "R-intro.pdf", 37, "c0", 1.0,
                 "6.3.2 attach() and detach()\n\nThe $ notation, such as accountants$home, for "
                 "list components is not always very convenient.\nThe attach() function takes "
                 "a ‘database’ such as a list or data frame as its argument.",
                 position=160, opens_inside_sentence=False, closes_inside_sentence=False)
    answer = quote(embedder, "attach dataframe", [manual])
    assert "6.3.2" not in answer and "The attach() function takes" in answer, answer


def test_a_promise_stays_with_part_of_what_it_promises(embedder) -> None:
    """The syntax line after "as follows:" is left out, the example after it quoted: the
    promise still introduces what the answer shows."""
    faq = Hit("d0", "faq.html", None, "c0", 1.0,
              "Yes, there is. The syntax is as follows:\n\n[on_true] if [expression] else "
              "[on_false]\n\nx, y = 50, 25 small = x if x < y else y\n\nBefore this syntax was "
              "introduced in Python 2.5, a common idiom was to use logical operators:\n\n"
              "[expression] and [on_true] or [on_false]\n\nHowever, this idiom is unsafe, as it "
              "can give wrong results when *on_true* has a false boolean value.")
    other = Hit("d1", "faq2.html", None, "c1", 0.9,
                "For more complicated input parsing, regular expressions are more powerful "
                "than C's sscanf and better suited for the task.")
    answer = quote(embedder, 'Is there an equivalent of C\'s "?:" ternary operator?',
                   [faq, other])
    assert "The syntax is as follows: [1] x, y = 50, 25" in answer, answer


def test_a_short_list_quoted_whole_keeps_the_program_its_last_item_introduces(
        embedder) -> None:
    steps = Hit("d0", "R-intro.pdf", 9, "c0", 1.0,
                "In using R under UNIX the suggested procedure for the first occasion is as "
                "follows:\n1. Create a separate sub-directory, say work, to hold data files.\n"
                "```\n$ mkdir work\n$ cd work\n```\n2. Start the R program with the command\n$ R\n"
                "3. At this point R commands may be issued (see later).\n4. To quit the R "
                "program the command is\n> q()", position=51,
                opens_inside_sentence=False, closes_inside_sentence=False)
    answer = quote(embedder, "How do I quit R?", [steps])
    assert "4. To quit the R program the command is [1]\n\n```\n> q()\n```" in answer, answer


PROJECT = ("Project Apollo\n\nThis note sums up the refit project for the board.\n\n"
           "Owner: Dana Whitlock\n\nDeadline: March 31\n\nBudget: 50,000 EUR\n\n"
           "The hull inspection found no corrosion.")
HOUSE_RULES = ("House rules\n\nPlease read these rules before your stay.\n\nCheck-in: 15:00\n\n"
               "Check-out: by 10:30\n\nQuiet hours: from 22:00 to 07:00\n\n"
               "Pets are welcome in the garden rooms only.")


@pytest.mark.parametrize(("text", "question", "field"), [
    (PROJECT, "What is the deadline?", "Deadline: March 31"),
    (PROJECT, "What is the budget?", "Budget: 50,000 EUR"),
    (PROJECT, "Who is the owner of the project?", "Owner: Dana Whitlock"),
    (PROJECT.replace("Deadline:", "**Deadline:**"), "What is the deadline?",
     "**Deadline:** March 31"),
    (HOUSE_RULES, "When is check-out?", "Check-out: by 10:30"),
], ids=["date", "amount", "name", "markdown-bold-label", "time"])
def test_a_short_field_is_quoted_as_a_sentence_is(embedder, text: str, question: str,
                                                  field: str) -> None:
    """"Deadline: March 31" has a title's few capitalised words and no stop, but its label
    and colon make it a field, whose value answers the question."""
    answer = quote(embedder, question, [Hit("d0", "note.txt", None, "c0", 1.0, text)])
    assert f"{field} [1]" in answer, answer
    assert not answer.startswith(WEAK_MATCH), answer


def test_a_row_of_figures_is_quoted_and_a_numbered_caption_stays_a_title(embedder) -> None:
    text = ("Chapter 3: Room Rates\n\nRoom Price per night\n\nSingle 80 GBP 95 GBP\n\n"
            "Double 110 GBP 130 GBP\n\nPrices include breakfast and VAT.")
    answer = quote(embedder, "How much is a double room per night?",
                   [Hit("d0", "rates.html", None, "c0", 1.0, text)])
    assert "Double 110 GBP 130 GBP [1]" in answer, answer
    assert "Chapter 3" not in answer, answer


def test_rows_of_cells_are_quoted_on_lines_of_their_own(embedder) -> None:
    # a table without a header: its rows' cells apart, naming nothing
    text = ("The kettle runs on mains power.\n\nVoltage | 230 V\n\nFrequency | 50 Hz\n\n"
            "Power | 2200 W")
    answer = quote(embedder, "What voltage and frequency does the kettle need?",
                   [Hit("d0", "kettle.docx", None, "c0", 1.0, text)])
    assert "\n\nVoltage | 230 V [1]\n\nFrequency | 50 Hz [1]" in answer, answer


def test_a_sentence_writing_a_bar_runs_on_with_the_next(embedder) -> None:
    # " | " in prose is an operator, not a table's cells apart
    text = ("Whereas & and | apply element-wise to vectors, && and || apply to vectors of "
            "length one. There is a vectorized version of the if/else construct, the ifelse "
            "function.")
    answer = quote(embedder, "What is the difference between & and &&?",
                   [Hit("d0", "R-intro.pdf", 1, "c0", 1.0, text)], max_sentences=2)
    assert "\n" not in answer.split("\n\nExtractive")[0], answer


def test_a_forms_lines_are_pieces_of_their_own() -> None:
    """Without stops the splitter runs a form's lines together; a line after a field that
    ends no sentence goes on with its value; a manual's default still joins its sentence,
    but a form's field, a paragraph of its own, does not join the prose before the form."""
    text = ("House rules\nCheck-in: 15:00\nCheck-out: 10:30\nQuiet hours: 22:00 to 07:00\n"
            "Late check-out is possible for a fee.\n\nThreshold used for the sizes (in Mb). "
            "Default: 5\nType: int\n\nName: Ann Lee\nAddress: 2 Quay Road\nLeith\n\n"
            "The office is on the third floor.\n\nOpening hours: 08:00 to 18:00\n\n"
            "Badge office: room 3.12")
    said = [c.text for c in _passage_sentences(1, Hit("d0", "a.txt", None, "c0", 1.0, text))]
    assert said == ["House rules", "Check-in: 15:00", "Check-out: 10:30",
                    "Quiet hours: 22:00 to 07:00", "Late check-out is possible for a fee.",
                    "Threshold used for the sizes (in Mb). Default: 5 Type: int",
                    "Name: Ann Lee", "Address: 2 Quay Road Leith",
                    "The office is on the third floor.", "Opening hours: 08:00 to 18:00",
                    "Badge office: room 3.12"]


@pytest.mark.parametrize("stored", [True, False])
def test_a_field_is_quoted_without_the_fields_beside_it(embedder, stored: bool) -> None:
    """The form's other fields score near the asked one and filled the answer's second
    place; a sentence after the form did too."""
    text = HOUSE_RULES.replace("Check-out: by", "Check-out:").replace(
        "Pets are", "Deposit: 200 EUR\n\nPets are")
    hit = (_stored(text, embedder) if stored
           else Hit("d0", "rules.txt", None, "c0", 1.0, text))
    said = quote(embedder, "When is check-out?", [hit]).split("\n\nExtractive")[0]
    assert said == "Check-out: 10:30 [1]", said
    said = quote(embedder, "How much is the deposit?", [hit]).split("\n\nExtractive")[0]
    assert said == "Deposit: 200 EUR [1]", said
    said = quote(embedder, "What are the check-in and check-out times?", [hit])
    assert said.startswith("Check-in: 15:00 [1]\n\nCheck-out: 10:30 [1]"), said
    assert "Quiet hours" not in said and "Deposit" not in said, said


_PROMISES = ("# 2.1.8 Promise objects\n\nPromise objects are part of R’s lazy evaluation "
             "mechanism. They contain three slots: a value, an expression, and an environment. "
             "When a function is called the arguments are matched and then each of the formal "
             "arguments is bound to a promise. The expression that was given for that formal "
             "argument and a pointer to the environment the function was called from are "
             "stored in the promise.\n\nUntil that argument is accessed there is no value "
             "associated with the promise. When the argument is accessed, the stored "
             "expression is evaluated in the stored environment, and the result is returned. "
             "The result is also saved by the promise. The substitute function will extract "
             "the content of the expression slot. This allows the programmer to access either "
             "the value or the expression associated with the promise.\n\nWithin the R "
             "language, promise objects are almost only seen implicitly: actual function "
             "arguments are of this type. There is also a delayedAssign function that will "
             "make a promise out of an expression.\n")


def _ask_manual(embedder, model_dir: Path, tmp_path: Path, question: str) -> str:
    """The offline answer to `question` from a manual's section on promises, ingested."""
    return answer_from({"objects.md": _PROMISES}, question, embedder, model_dir, tmp_path)


def test_a_manual_defining_x_objects_answers_what_is_x(embedder, model_dir: Path,
                                                       tmp_path: Path) -> None:
    """A manual defines a kind of object as "Promise objects are ...", under its heading:
    the definition "What is a promise?" asks for, quoted first."""
    answer = _ask_manual(embedder, model_dir, tmp_path, "What is a promise?")
    assert answer.startswith("Promise objects are part of R’s lazy evaluation mechanism."), (
        answer)


def test_a_definite_subject_also_doing_something_comes_with_the_sentence_before(
        embedder, model_dir: Path, tmp_path: Path) -> None:
    """"The result is also saved by the promise." says what more is done with the result
    the sentence before names: never quoted without that one, which it followed "What is a
    promise?" without."""
    answer = _ask_manual(embedder, model_dir, tmp_path, "What is a promise?")
    quoted = [body for body, _ in _CITED.findall(answer)]
    if "The result is also saved by the promise." in quoted:
        at = quoted.index("The result is also saved by the promise.")
        assert at and quoted[at - 1].startswith("When the argument is accessed"), answer


KETTLE = ("Kettle K200 safety sheet\n\n"
          "Warning: Do not connect the kettle to mains power while the lid is open.\n"
          "Note: The kettle switches itself off when the water boils.\n"
          "Tip: Descale the kettle every month with white vinegar.\n"
          "Capacity: 1.7 litres\nPower: 2200 watts\n\n"
          "The kettle is covered by a two year guarantee from the date of purchase.\n")


def test_a_field_answering_a_part_of_the_question_naming_no_label_is_quoted(embedder) -> None:
    """"Hold" names no label: beside "Power", which the question names, "Capacity: 1.7
    litres" was left out as a field it does not ask for."""
    question = "How much water does the kettle hold and how powerful is it?"
    said = quote(embedder, question, [_stored(KETTLE, embedder)]).split("\n\nExtractive")[0]
    assert "Capacity: 1.7 litres [1]" in said and "Power: 2200 watts [1]" in said, said


def test_a_passage_of_only_a_cut_lists_last_items_still_gets_an_answer(embedder) -> None:
    """A chunk past its document's first that holds only the last two items of a list begun
    before it: neither is quoted as the whole list, yet the answer is never empty."""
    passage = Hit("d0", "account.md", None, "c1", 1.0,
                  "- Wait for the credit check, which takes up to 3 working days.\n"
                  "- Receive your account number by email.", position=1)
    answer = quote(embedder, "How long does the credit check take?", [passage])
    assert "credit check" in answer, answer


# two pages of a story (CoQA, CNN) as a PDF lays them out: a list's introduction ends a page,
# its items open the next, which the search ranks well above it
DENIM_ITEMS = (
    '1. Jacob Davis, a tailor in Reno, Nevada, came up with the idea of riveted '
    'pants in response to\n'
    'a customer whose pockets kept ripping. He feared someone might steal his idea '
    'and recruited\n'
    'Levi Strauss, owner of dry goods wholesaler Levi Strauss & Co., as a business '
    'partner. They\n'
    'obtained a patent on May 20, 1873. 2. Denim jeans -- or trousers, waist '
    'overalls or dungarees\n'
    '-- started out as work-wear for hard labor in mines, factories and fields. By '
    'the 1980s, as\n'
    'high fashion brands began to introduce the concept of designer jeans, the shape '
    'and fit began\n'
    'to slim down.')
DENIM_INTRODUCED = (
    'May 20, 1873, is considered the birthday of blue jeans. Readers shared their '
    'favorite and most\n'
    'cringe-inducing moments in denim (hello, acid wash) to mark the occasion. '
    '"They\'re the most\n'
    'unique piece of clothing everyone owns because they keep changing as you wear them," said\n'
    "Angelika Corrente, who runs Denimhead, global trend forecaster WGSN's denim "
    'division. A few\n'
    'facts about denim:')


def test_a_lists_items_under_an_introduction_a_page_before_are_ranked_as_found(embedder) -> None:
    """Items quoted after their introduction, the passage before theirs, are ranked by their
    own passage's place in the search, not the introduction's: ranked as the introduction's,
    the answer that opens the list read as a weak match."""
    items = Hit("d", "denim.pdf", 4, "c4", 8.0004, DENIM_ITEMS, position=3)
    introduced = Hit("d", "denim.pdf", 3, "c3", 4.9114, DENIM_INTRODUCED, position=2)
    answer = quote(embedder, "Who invented rivets on jeans?", [items, introduced])
    assert not answer.startswith(WEAK_MATCH), answer
    assert "Jacob Davis, a tailor in Reno" in answer, answer
