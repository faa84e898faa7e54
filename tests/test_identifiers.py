"""Codes and names a question looks up as written (`rag.text.identifiers`)."""

from __future__ import annotations

import pytest

from rag.text import lexical
from rag.text.identifiers import (
    dotted_names,
    identifiers,
    operators,
    writes,
    written_phrases,
)


def test_codes_and_names_are_the_written_words_mixing_letters_and_digits_or_joined() -> None:
    asked = ('What do E9999, "CVE-2023-4863" and AB-9999-X say of v2.10.3 (0x80070005)? '
             "Is retry_timeout_ms 5mm, 230V or 21st in 1990 and __init__, at 3.14 or 2.10.2?")
    assert identifiers(asked) == ["E9999", "CVE-2023-4863", "AB-9999-X", "v2.10.3",
                                  "0x80070005", "retry_timeout_ms", "2.10.2"]


def test_possessives_plurals_and_a_number_joined_to_a_word_are_no_codes() -> None:
    asked = ("What is E1047's cause, and E2001’s? Are MP3s on a 3-year, 30-day, 64-bit, "
             "2nd-floor or 24x7 plan at 1920x1080 with a 2.5-inch disk?")
    assert identifiers(asked) == ["E1047", "E2001", "MP3"]
    assert identifiers("Who ruled in the mid-1970s and the 80's?") == []
    # a code too short without its "s" is a code with it, in either case
    assert identifiers("Can it run on k8s, K8S or k3s?") == ["k8s", "K8S", "k3s"]
    assert identifiers("Were Apollo 1's tests in 1751's Transactions?") == []


@pytest.mark.parametrize(("asked", "codes"), [
    ("Does section 4(d) apply to me?", []),
    ("What does log2(x) compute, and arr[0] or f{x2}?", ["log2"]),
    ("What does rep(1:3, times=2) give?", ["times=2"]),
    ("<b>What</b> is CRAN? <script>alert(1)</script> [CRAN](javascript:alert(1))", []),
    ("Is (E1047) fatal, or [retry_timeout_ms]?", ["E1047", "retry_timeout_ms"]),
])
def test_a_bracket_inside_a_written_word_ends_its_code(asked: str, codes: list[str]) -> None:
    """A call's argument, a list's item or markup is no part of the code: cut at the bracket
    the question never names a piece it did not write ("4(d", "log2(x")."""
    assert identifiers(asked) == codes


def test_an_answer_looks_for_a_number_joined_to_a_word_as_written() -> None:
    """No library lacks "33-yard" by name, but the sentence writing it is the one asked about."""
    asked = "Who kicked the 33-yard field goal in the late 1950's for E1047's team?"
    assert written_phrases(asked) == ["33-yard", "1950's", "E1047"]
    assert writes("Gano kicked a 33-yard field goal.", written_phrases(asked)[0])


def test_a_code_among_letters_without_case_is_a_word_of_its_own() -> None:
    """Chinese, Japanese and Thai write no space around a code; their letters part it."""
    assert identifiers("E1047是什么意思？") == ["E1047"]
    assert identifiers("第3章はどこ") == []
    # a Thai or Hindi letter's marks beside the code are the letter's
    assert identifiers("ที่E9999 คืออะไร") == ["E9999"]
    assert identifiers("कोडE9999 क्या है") == ["E9999"]
    for text in ("错误代码E1047表示证书已经过期。", "エラーE1047は期限切れです", "รหัสE1047หมายถึง"):
        assert writes(text, "E1047") and not writes(text, "E104"), text


@pytest.mark.parametrize(("text", "code", "written"), [
    ("Error E9999: disk full.", "e9999", True),
    ("It affects COVID 19 wards.", "COVID-19", True),
    ("Fixed cve-2023-4863 in libwebp.", "CVE-2023-4863", True),
    ("the 9999 units", "E9999", False),  # another word's last letter is no part of it
    ("Error E9990.", "E9999", False),  # a letter apart is another code
    ("set retry_timeout_ms to 5", "retry_timeout_ms", True),
    # written with a separator added or left out, the same code
    ("It affects COVID-19 wards.", "covid19", True),
    ("It plays MP3 files.", "mp-3", True),
    ("Text is UTF-8.", "UTF8", True),
    ("Part AB-1234-X.", "ab1234x", True),
    ("Built for x86_64.", "x86-64", True),
    ("Error E9990.", "E-9999", False),
    # a version asked with its "v" is written without it, and the other way round
    ("## [2.10.2] - 2026-10-15", "v2.10.2", True),
    ("## v2.10.2", "2.10.2", True),
    ("## [2.10.2]", "v2.10.3", False),
    ("8 cylinders", "V8", False),  # a "v" before one number is the name's, not a version's
])
def test_a_text_writes_a_code_in_its_runs_whatever_separates_them(text: str, code: str,
                                                                    written: bool) -> None:
    assert writes(text, code) is written


def test_a_commands_option_is_a_code_written_with_its_dashes() -> None:
    asked = "What do --persist, --as-cran and -no-gui do, and what is -l?"
    assert identifiers(asked) == ["--persist", "--as-cran", "-no-gui"]  # "-l": too short
    assert identifiers("Is it a well-known, co-operative e-mail of -5 degrees?") == []
    assert identifiers("What do `--persist` and --k8s do?") == ["--persist", "--k8s"]
    assert writes("--persist\nGo to interactive mode.", "--persist")
    assert writes("if Octave was invoked with the –traditional option", "--traditional")
    # a question typed with a typographer's dash asks for the option all the same
    assert identifiers("What does –persist do, or —persist?") == ["–persist", "—persist"]
    assert writes("--persist\nGo to interactive mode.", "–persist")
    # its words alone, or in a longer option, are not it
    for text in ("The value of a persistent variable", "values persist", "--persistent"):
        assert not writes(text, "--persist"), text


def test_a_name_of_words_joined_by_dots_is_a_code_not_an_abbreviation_or_glued_text() -> None:
    """R's and Python's dotted names: their pieces are stop words ("as", "is") or common
    ones, so they are looked up as written."""
    asked = ("Do as.vector(), is.na(x), the as.is argument of read.table, os.path.join, "
             "Sys.Date or config.yaml differ, e.g. in the U.S.? The vector.The end at 3.14.")
    assert identifiers(asked) == ["as.vector", "is.na", "as.is", "read.table", "os.path.join",
                                  "Sys.Date", "config.yaml"]
    assert written_phrases("What does is.na return?") == ["is.na"]
    # written with its dots, in any case: "such as vector" is no "as.vector"
    assert writes("use as.vector() to coerce", "as.vector")
    assert writes("See AS.VECTOR.", "as.vector")
    assert not writes("coerced such as vector objects", "as.vector")
    assert not writes("as.vector.default", "as.vector")
    assert dotted_names("read.table(x, as.is = TRUE) e.g. end.Next 2.10.3") == [
        "read.table", "as.is"]


@pytest.mark.parametrize("asked", ["What is NA.Is it NaN?", "What is R.Is it free?",
                                   "how do I make a vector.what about a list?",
                                   "what does NA mean vs.NaN"])
def test_a_question_typed_without_a_space_after_its_stop_names_no_dotted_name(
        asked: str) -> None:
    assert identifiers(asked) == [] and dotted_names(asked) == []
    assert dotted_names("Is as.is like is.na?") == ["as.is", "is.na"]


def test_a_dotted_name_is_one_term_asked_and_indexed_whole() -> None:
    """"as" and "is" are stop words: whole, "as.is" and "is.na" are terms, and a question's
    "read.table" is asked once, not again as "read" and "table"."""
    assert lexical.term_set("as.is") == {"as.is"}
    assert lexical.term_set("What does is.na return?") == {"is.na", "na", "return"}
    assert lexical.asked_terms("Which argument of read.table do I set?") == {
        "argument", "read.table", "set"}
    assert lexical.term_shares("Which argument of read.table do I set?", [
        "Other functions call read.table with other arguments.",
        "Set the argument na.strings."]) == pytest.approx([2 / 3, 2 / 3])
    assert lexical.term_index("as.vector") in lexical.query_vector("as.vector")[0]
    assert lexical.term_index("as.vector") in lexical.document_vector("use as.vector()")[0]


def test_an_operator_is_a_run_of_signs_written_apart_from_words() -> None:
    """Its signs are no word's: "What does %in% do?" holds no other term, and "&&" is no
    "&"."""
    asked = ("How do &&, ||, <<- (using <-), ->, %in%, %% and %*% differ from ::, :::, |> "
             "or ==, and what is f(x, ...)?")
    assert identifiers(asked) == ["&&", "||", "<<-", "<-", "->", "%in%", "%%", "%*%", "::",
                                  ":::", "|>", "==", "..."]
    # a question's or a sentence's stop after one is not part of it
    assert operators("What is the difference between && and &? Use <<-. Or ...?") == [
        "&&", "<<-", "..."]
    assert operators("the special argument .... The ::: operator.") == ["...", ":::"]
    # R's operators of a name between two "%" are read glued to their operands too
    assert operators("x%in%y, x %IN% y") == ["%in%", "%in%"]


@pytest.mark.parametrize("prose", [
    "Research & development, R&D, Q&A and AT&T - all of it.",
    "He paused -- then went on... 'Why?' (he asked) \"No!\" -- and left?!",
    "It rose 50%. See http://example.org or ~/.Rprofile and --persist, x<-5 or a&&b.",
    "Title\n=====\n---\n***\n>>> 1 + 1\n.....\n?? !!",
])
def test_prose_punctuation_is_no_operator(prose: str) -> None:
    """A lone sign is prose's as often ("R & D", "-"), and so are dashes, stops, quotes and
    brackets; a run of more than three is a rule or an underline, and one glued to a word
    belongs to it ("wait...", "50%.", "--persist")."""
    assert operators(prose) == []


def test_a_text_writes_an_operator_only_as_such() -> None:
    assert writes("& And, binary, vectorized\n&& And, binary, not vectorized", "&&")
    assert not writes("Research & development, R&D", "&&")
    assert not writes("x && y", "&")  # "&" is no operator: prose writes it alone
    assert writes("y <- x %in% table", "%in%") and not writes("x %o% y", "%in%")


def test_an_operator_is_a_term_asked_and_indexed() -> None:
    assert lexical.term_set("What is the difference between && and &?") == {"differ", "&&"}
    assert lexical.asked_terms("What does %in% do?") == {"%in%"}
    assert lexical.term_index("<<-") in lexical.query_vector("What does <<- do?")[0]
    assert lexical.term_index("<<-") in lexical.document_vector("x <<- 0 sets x")[0]
    assert lexical.term_index("...") in lexical.document_vector("f <- function(x, ...) 1")[0]
    assert lexical.term_index("&") not in lexical.document_vector("R & D, Q&A")[0]
    # a collection filled before operators were terms is asked as it was filled
    assert lexical.query_vector("What does %in% do?", lexical.OPERATORLESS_SCHEME) == ([], [])
