"""What a question asks for, and whether a sentence holds it: a date or a time for "When
...?", a number for "How many ...?" or "What is the maximum ...?", a colour for "What color
...?", a name for "Who ...?", a definition for "What is X?", steps for "How do I ...?", and
what tells two things apart for "What is the difference between X and Y?".

The search's rescoring and the extractive answer both favour sentences holding it: a sentence
holding the question's words and a date is likelier the answer to "When ...?" than one
holding its words alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.text import lexical

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december")
_DATE_ASKED = re.compile(r"^\s*(when|what (year|date|time|day|month|century|decade)|"
                         r"in what year|in which year)\b", re.I)
# (question pattern, what a sentence answering it holds)
_ANSWER_TYPES = [
    (_DATE_ASKED,
     re.compile(rf"\b(1\d{{3}}|20\d{{2}}|\d{{1,2}}(st|nd|rd|th)\b|{_MONTHS}|century|"
                r"centuries|bc|ad|\d{1,2}:\d\d|[ap]\.m|\d{1,2} ?[ap]m|noon|midnight|o'clock|"
                r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)),
    # "What is the maximum ...?", "What's the upload limit?" (not "the largest city": a name)
    (re.compile(r"^\s*(how (many|much|long|old|far|big|large|tall|high|deep|often)|what "
                r"(percentage|percent|number|amount))\b|^\s*what(?:'s|\s+is|\s+are)\s+the\s+"
                r"(?:(?:maximum|minimum|max|min)\b|(?:[\w-]+\s+)?limits?\b)", re.I),
     # a figure starts its word: the digits of a name ("TPU v3-8", "F-16") count nothing
     re.compile(r"(?<![\w-])[-+]?\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|"
                r"eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|"
                r"dozen|half)\b", re.I)),
    (re.compile(r"^\s*(what|which) colou?rs?\b", re.I),
     # "white-haired", "whiteheaded", "reddish" too
     re.compile(r"\b(red|orange|yellow|green|blue|purple|violet|pink|brown|black|white|gr[ae]y|"
                r"silver|gold|golden|ivory|crimson|scarlet|maroon|navy|beige|tan|turquoise|"
                r"blond|blonde|auburn)(d?ish|-?headed|-?haired|-?eyed)?\b", re.I)),
]

# "What is CRAN?", "What are S4 classes?": the subject, of a few words
_DEFINITION_ASKED = re.compile(
    r"^\s*what\s+(?:is|are)\s+(?:(?:an?|the)\s+)?((?:[\w.+-]+\s+){0,3}[\w.+-]+)\s*\??\s*$",
    re.I)
_DEFINES = r"(?:is|are|means|refers to|stands for)\b"
# "Who grabbed the queen?", "What is the servant's name?": a sentence answering it names
# someone the question does not ("Merrill and Azaelia seized the diminutive queen.")
_NAME_ASKED = re.compile(
    r"^\s*(?:who|whom|whose)\b|\bwhat(?:'s|\s+is|\s+was)\s+(?:(?:the|his|her|their)\s+)?"
    r"(?:[\w-]+'s\s+)?(?:(?:first|last|full)\s+)?name\b", re.I)
# a capitalised word inside a sentence: the one opening it is capitalised whatever it is, and
# one in code (".Fortran()", "$Home", "user@Example") names no one
_CAPITALISED = re.compile(r"(?<=[^\w.@$/\\])[A-Z][a-z]+\b")


# "This is a sentence-transformers model", "It is a library for ...": what the heading or
# title above it names, said without naming it again
_DEFINES_THE_HEADING = re.compile(rf"^(?:this|it)\s+{_DEFINES}", re.I)


def defined_by_reference(question: str, sentence: str, names: Sequence[str]) -> bool:
    """Whether `sentence` says what the question's "What is X?" asks ("This is a ..."),
    when X is one of `names` (the heading or title it sits right under)."""
    defined = _DEFINITION_ASKED.match(question)
    if not defined or not _DEFINES_THE_HEADING.match(sentence):
        return False
    subject = lexical.term_set(defined.group(1))
    return bool(subject) and any(lexical.term_set(name) == subject for name in names)


# "How do I reset my password?", "How can we add a user?", "How to install it?", "What are
# the steps to ...?": the reader wants something done, which a document writes as steps. Not
# "How do plants grow?" or "How does it work?", which ask how a thing is, not what to do
_HOW_TO_ASKED = re.compile(
    r"^\s*(?:how\s+(?:do|can|could|should|would|may|might|shall|must)\s+(?:i|we|you|one)\b"
    r"|how\s+to\b|what\s+(?:are|is)\s+the\s+(?:steps?|procedure|process)\b)", re.I)
# "What is the difference between X and Y?", "What are the differences between X and Y?",
# "How does X differ from Y?", "How is X different from Y?": the two things compared
_DIFFERENCE_ASKED = re.compile(
    r"\bdifferences?\s+between\s+(?P<first>.+?)\s+and\s+(?P<second>.+?)\s*\??\s*$"
    r"|^\s*how\s+(?:does|do|is|are)\s+(?P<one>.+?)\s+(?:differ|different)\s+from\s+"
    r"(?P<other>.+?)\s*\??\s*$", re.I)
# the words a sentence telling two things apart says so with ("Unlike the standard tier, ...",
# "... whereas a symbolic link can ...", "The main difference is ...")
_CLAUSE_BREAK = re.compile(r"[,;:()]")
# a sentence saying what the difference is: about the two things asked of, whatever it names
_DIFFERENCE_STATED = re.compile(r"\b(?:the|one|another|a)\s+(?:\w+\s+)?differences?\s+"
                                r"(?:is|are|was|lies|between)\b", re.I)
_CONTRAST = re.compile(r"\b(?:unlike|whereas|differs?|differen(?:ce|ces|t)|in contrast|"
                       r"as opposed to|contrary to)\b", re.I)


def asks_how_to(question: str) -> bool:
    """Whether the question asks how to do something ("How do I reset my password?")."""
    return _HOW_TO_ASKED.search(question) is not None


def compared(question: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """The terms naming each of the two things a question asks to tell apart, each without
    the terms both share ("standard" and "archive" of "the standard tier and the archive
    tier"), or None when it asks for no difference or a side has no terms of its own."""
    found = _DIFFERENCE_ASKED.search(question)
    if found is None:
        return None
    first = lexical.term_set(found["first"] or found["one"])
    second = lexical.term_set(found["second"] or found["other"])
    own = (first - second, second - first)
    return own if all(own) else None


# how a sentence tells two things apart (`states_difference`): by naming both, or by saying
# how they differ or contrasting one of them, which says more than naming them does
NAMES_BOTH, CONTRASTS = 1, 2


def states_difference(question: str) -> Callable[[str], int] | None:
    """For a question asking how two things differ, how a sentence tells them apart: 0 when it
    does not, NAMES_BOTH when it names both ("A hard link cannot cross file systems, whereas a
    symbolic link can.", or "a vector, matrix, array or data frame" in passing), CONTRASTS
    when it says what the difference is ("The main difference is that ...") or contrasts one
    of them in the clause naming it ("Unlike a hard link, ..."). One naming only one of them
    says what that one is, and a contrast of other things ("... (whereas [[ and $ allow
    partial matches)") says nothing of them. None for any other question."""
    sides = compared(question)
    if sides is None:
        return None
    either = sides[0] | sides[1]

    def states(sentence: str) -> int:
        if _DIFFERENCE_STATED.search(sentence) or any(
                _CONTRAST.search(clause) and lexical.term_set(clause) & either
                for clause in _CLAUSE_BREAK.split(sentence)):
            return CONTRASTS
        return NAMES_BOTH if all(lexical.term_set(sentence) & side for side in sides) else 0
    return states


def asks_for_date(question: str) -> bool:
    """Whether the question asks when ("When ...?", "What year ...?")."""
    return _DATE_ASKED.search(question) is not None


def asks_for_definition(question: str) -> bool:
    """Whether the question is "What is X?"."""
    return _DEFINITION_ASKED.match(question) is not None


def answer_kind(question: str) -> Callable[[str], object] | None:
    """Whether a sentence holds what this question asks for (a date, a number, a colour, a
    name), if the question says; for "What is X?", whether it opens by saying what X is ("X
    is a ...", "X objects are ...")."""
    # first: "What is the upload limit?" asks for a number, not for what a limit is
    if holds := next((h for asks, h in _ANSWER_TYPES if asks.search(question)), None):
        return holds.search
    if defined := _DEFINITION_ASKED.match(question):
        subject = re.escape(defined.group(1)).replace(r"\ ", r"\s+")
        # "Promise objects are ...": a manual names a kind of object by its type's word
        return re.compile(rf"^(?:(?:an?|the)\s+)?{subject}s?\s+(?:objects?\s+)?{_DEFINES}",
                          re.I).search
    if _NAME_ASKED.search(question):
        asked = lexical.term_set(question)
        # a capitalised word that is no stop word ("The", "He") and not the question's own
        return lambda text: lexical.term_set(" ".join(_CAPITALISED.findall(text))) - asked
    return None
