"""Misspelt question words: which words are taken as misspelt, when a text writes one a
letter apart, and the question written as the texts write it. The bundled WordPiece
vocabulary is the list of known words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rag.text import spelling


@pytest.fixture()
def fresh_caches() -> Iterator[None]:
    spelling.unknown_words.cache_clear()
    yield
    spelling.unknown_words.cache_clear()


def misspelt(question: str) -> list[str]:
    return list(spelling.unknown_words(question))


def test_words_the_vocabulary_does_not_know_are_taken_as_misspelt() -> None:
    assert misspelt("How do I convert factrs to numric?") == ["factrs", "numric"]
    assert misspelt("Where did the plane land after the storm?") == []  # all known
    assert misspelt("Why did he sever family ties?") == []  # "severe" is known: a form of it
    assert misspelt("Who is Gadhalfi? Whre is tme?") == ["gadhalfi"]  # "whre", "tme": short


@pytest.mark.parametrize("question", [
    "Which ailment does the remedy treat?", "Who is the sender?",
    "Is the climate invigorating?"])
def test_an_english_word_the_models_vocabulary_lacks_is_no_misspelling(question: str) -> None:
    """The vocabulary's 22,500 words leave out common English ones ("ailment", "sender"):
    an English dictionary of 128,000 words knows them, and still no common slip."""
    assert misspelt(question) == []
    assert misspelt("Which ailmnet does the sendr recieve?") == ["ailmnet", "recieve", "sendr"]
    # the dictionary lists names too; capitalised, a word may be one
    assert misspelt("What did Specter say to Mubarak about the sender?") == ["mubarak",
                                                                              "specter"]


@pytest.mark.parametrize("question", [
    "Why couldnt I install it?", "Why doesnt it start?", "Why shouldnt I?",
    "Theyre late", "Theyve gone", "Youll see", "Wouldve known"])
def test_a_contraction_typed_without_its_apostrophe_is_no_misspelling(question: str) -> None:
    """Texts split "couldn't" into "couldn" and "t": "couldnt" must not be read as "couldn"."""
    assert misspelt(question) == []


def test_a_slip_ending_as_a_contraction_does_is_still_a_misspelling() -> None:
    assert misspelt("Who was the gaint?") == ["gaint"]  # "giant", not "gain" and "t"


@pytest.mark.parametrize(("question", "text"), [
    ("How many convoys travelled throuhg Niger?", "Convoys went through Niger."),  # swapped
    ("Who made inquieies?", "The police made inquiries."),  # changed
    ("Who sliped the chain off?", "She slipped the chain off."),  # missing
    ("What do condons do?", "Codons code for amino acids."),  # added
    ("How large is a Celsuis degree?", "A CELSIUS degree is large."),  # any case
])
def test_a_text_writing_the_word_a_letter_apart_writes_it(question: str, text: str) -> None:
    (word,) = misspelt(question)
    assert spelling.writes_apart(word, text)


@pytest.mark.parametrize(("word", "text"), [
    ("numric", "Use the metric system."),
    ("fundrasier", "A fundraising letter."),
    ("throuhg", "Walk throughout."),
    ("convoys", "Convey it."),  # a letter changed and one added
])
def test_a_word_two_letters_apart_is_another_word(word: str, text: str) -> None:
    assert not spelling.writes_apart(word, text)


@pytest.mark.parametrize(("word", "text"), [
    ("lapply", "Use tapply() to apply a function to groups of values."),  # another name
    ("mapply", "Sapply simplifies the result."),
])
def test_a_word_a_first_letter_apart_is_another_word(word: str, text: str) -> None:
    assert not spelling.writes_apart(word, text)
    assert spelling.corrected(f"What does {word} do?", [text]) == f"What does {word} do?"


def test_a_name_the_library_writes_only_a_first_letter_apart_is_said_to_be_unmentioned(
        service, tmp_path) -> None:
    notes = tmp_path / "apply.md"
    notes.write_text("# Grouped summaries\n\nThe function tapply applies a function to each "
                     "group of values of a vector, grouped by a factor.\n")
    service.ingest([notes])
    answer = service.ask("What does lapply do?")
    assert "".join(answer).startswith("Your documents do not mention “lapply”.")
    assert answer.query == "What does lapply do?"  # searched as asked, not as "tapply"


def test_without_the_vocabulary_no_word_is_taken_as_misspelt(
        monkeypatch: pytest.MonkeyPatch, fresh_caches: None) -> None:
    monkeypatch.setattr(spelling, "known_words", frozenset)
    assert misspelt("How do I convert factrs to numric?") == []


def test_a_question_is_respelt_as_the_texts_write_its_misspelt_word() -> None:
    texts = ["Moammar Gadhafi led Libya.", "Libya is in Africa."]
    assert spelling.corrected("What country did Gadhalfi lead?", texts) \
        == "What country did Gadhafi lead?"
    assert spelling.corrected("WHO IS GADHALFI?", texts) == "WHO IS GADHAFI?"


@pytest.mark.parametrize(("question", "texts"), [
    ("Who is Gadhalfi?", ["Gadhafi led Libya.", "Gadhalfi is a name too."]),  # theirs
    ("Where did the plane land?", ["The plant is on land."]),  # a known word
    ("Who is Gadhalfi?", ["Libya is in Africa."]),  # nothing a letter apart
])
def test_a_question_is_left_as_asked(question: str, texts: list[str]) -> None:
    assert spelling.corrected(question, texts) == question


@pytest.mark.parametrize(("question", "texts", "name"), [
    # a name a library need not write, a letter from a word it does
    ("How do I read a Stata file?", ["The stats package fits models.", "Load stats first."],
     "Stata"),
    ("Can I use Quarto with R?", ["The quartz device draws on macOS."], "Quarto"),  # words both
    ("What is readr?", ["It reads the file.", "read.csv reads a table."], "readr"),  # its end
    # a letter added that doubles none beside it, as names are made of words
    ("How do I configure Gradle?", ["Each student gets a grade at the end of term."],
     "Gradle"),
    ("Who sets the Gradle for each student?", ["Each student gets a grade."], "Gradle"),
    ("How do I install Redis?", ["The reds and blues of the flag."], "Redis"),
])
def test_a_name_a_letter_from_a_word_is_no_misspelling(question: str, texts: list[str],
                                                       name: str) -> None:
    """Neither respelt nor taken as written: the answer can say it is unmentioned."""
    assert spelling.corrected(question, texts) == question
    assert spelling.unwritten(question, texts) == [name]
    assert spelling.unwritten(question, texts, meant=False) == []


@pytest.mark.parametrize(("question", "texts", "respelt"), [
    # a slip of a name the texts write capitalised, and of a dictionary word a name
    ("Who spoke with Bilge?", ["Mary J. Blige sang."], "Who spoke with Blige?"),
    ("How wide were the Sundra Straits?", ["The Sunda Straits are narrow."],
     "How wide were the Sunda Straits?"),
    ("Stata or R?", ["The stats package fits models."], "Stats or R?"),  # no name said
    ("How often do I descale with vinegr?", ["Descale it with vinegar."],  # no word and "r"
     "How often do I descale with vinegar?"),
    # the vowel of "-er" or "-or" left out: a word and "r", but no name of one
    ("Which group gives access to the printr?", ["Members of lp use the printer."],
     "Which group gives access to the printer?"),
    ("What is the address of the routr?", ["The router is at 192.168.1.1."],
     "What is the address of the router?"),
    ("What is the heatr set to?", ["The heater is set to 20."], "What is the heater set to?"),
    ("Where is the numbr?", ["The serial number is on the back."], "Where is the number?"),
    ("Which editr opens it?", ["The default editor opens it."], "Which editor opens it?"),
    ("What is readr?", ["A reader reads the file."], "What is reader?"),  # nothing tells
    # a capitalised label with letters swapped, dropped or added: no name's shape
    ("Where is the Netwrok tab?", ["Open the network tab."], "Where is the Network tab?"),
    ("Where is the Netwok tab?", ["Open the network tab."], "Where is the Network tab?"),
    ("Where is the Networrk tab?", ["Open the network tab."], "Where is the Network tab?"),
    ("Where is the Printr?", ["Members of lp use the printer."], "Where is the Printer?"),
])
def test_a_slip_of_a_name_or_at_a_questions_start_is_respelt(
        question: str, texts: list[str], respelt: str) -> None:
    assert spelling.corrected(question, texts) == respelt


def test_a_word_the_library_holds_is_no_misspelling_whatever_the_texts_write() -> None:
    texts = ["The stats package fits models."]
    assert spelling.corrected("What is stata?", texts) == "What is stats?"
    assert spelling.corrected("What is stata?", texts, {"stata"}.__contains__) \
        == "What is stata?"


def test_of_several_near_words_the_one_most_texts_write_is_meant() -> None:
    texts = ["A weld holds the frame.", "Knights wield swords.", "Few could wield it."]
    assert spelling.corrected("Which sword did he weild?", texts) \
        == "Which sword did he wield?"


def test_a_misspelt_words_likely_spellings_are_dictionary_words_a_letter_apart() -> None:
    assert spelling.likely_spellings("diffrence")[0] == "difference"
    # the first letter is kept: "htem" is no "them", and "lapply" no "apply"
    assert all(word.startswith("l") for word in spelling.likely_spellings("lapply"))


def test_a_word_typed_as_two_joined_is_likely_the_two_written_apart() -> None:
    assert "data frame" in spelling.likely_spellings("dataframe")
    assert spelling.likely_spellings("zorblaxqua") == []


def test_a_short_unknown_word_or_a_possessive_is_no_likely_spelling() -> None:
    """R's "pmatch" and "agrep" are names a letter apart from "patch" and "agree"; "saver's"
    is no spelling of "saverds"."""
    assert spelling.likely_spellings("pmatch") == spelling.likely_spellings("agrep") == []
    assert all(word.replace(" ", "").isalpha() for word in spelling.likely_spellings("saverds"))


def test_a_word_the_vocabulary_lacks_that_a_text_writes_is_written() -> None:
    """Octave's "bitshift", named only in a passage's "See also" line, which the library's
    lexical index leaves out: the passage writes it, so no notice may call it unmentioned."""
    texts = ["See also: [bitand], page 62, [bitshift], page 63."]
    assert spelling.unwritten("What does bitshift do?", texts) == []
    assert spelling.unwritten("What does bitshift do?", ["Shifts the bits."]) == ["bitshift"]
