"""The names a question writes: the words it writes as a name is written, whatever the
vocabulary knows of them.

A product, a library or a technique is often a word the embedders' vocabulary knows ("CUDA",
"GPU", "Excel", "Oracle"): `spelling.unknown_words` passes it by, and a library that never
writes it still shares the question's other words ("How does R's garbage collector handle
CUDA GPU memory?" of R's manuals). Its case says it is a name: written in capitals ("GPU",
"CUDA", "GPUs"), with a capital inside ("PostgreSQL", "iPhone"), or capitalised inside a
sentence ("Kubernetes", "Microsoft"). An everyday word is written in lower case
("automobile", "handle") and says nothing of the sort, whatever the library writes.

A word in capitals that the dictionary lists, of EMPHASIS_LETTERS or more, is a word
stressed ("how OFTEN should I descale it?", "it NEVER starts"), not an acronym; a shorter one
is as often an acronym ("US", "RAM", "IT") and stays a name.

A question in capitals says nothing by its case, nor does one capitalising each of its words
(a title: "How Do I Bake Sourdough Bread?"), whose capitalised words are then no names; its words in
capitals or with a capital inside still are. A Roman numeral ("II", "VIII") is a number, and a
word opening a sentence is capitalised for that.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.text import spelling
from rag.text.lexical import STOP_WORDS, term_set, variant_stubs
from rag.text.words import folded

# a question's written word: what lies between spaces, its quotes, brackets and stops aside
_AROUND = "\"'“”‘’()[]{}<>,;:!?.`*"
# a possessive's ending, not the name's: "Google's"
_POSSESSIVE = re.compile(r"['’]s$")
# the pieces of "CPU/GPU" or "Jean-Paul", each a word of letters
_JOINED = re.compile(r"[-/]")
# a Roman numeral of I, V and X ("II", "VIII", "XIV"): a king's or a war's number
_NUMERAL = re.compile(r"X{0,3}(?:IX|IV|V?I{0,3})")
# a sentence's end: the word after it opens the next
_SENTENCE_END = frozenset(".?!:")
_CLOSING = "\"'”’)]"
SHORTEST = 2
_LETTER_RUN = re.compile(r"[^\W\d_]+")
# an acronym this long or longer is spelt out by words in lower case too ("graphics
# processing unit"); a shorter one's letters open two words in a row too often by chance
SPELT_IN_LOWER_CASE = 3
TITLE_WORDS = 3  # fewer words capitalised say nothing of a title: "Who founded Microsoft?"
EMPHASIS_LETTERS = 4


@lru_cache(maxsize=8192)
def named_words(question: str) -> tuple[str, ...]:
    """The words the question writes as names, as it writes them, each once, in its order:
    in capitals (a plural's "s" aside: "GPUs"), with a capital inside, or capitalised and
    not opening a sentence; none of a question whose case says nothing (all in capitals,
    or a title's, `_is_title`)."""
    if question.isupper():
        return ()
    written = _written_words(question)
    titled = _is_title(written)
    found: list[str] = []
    for word, opens in written:
        if (len(word) < SHORTEST or word.lower() in STOP_WORDS or _NUMERAL.fullmatch(word)
                or word in found):
            continue
        if _in_capitals(word) and _stressed(word):
            continue
        if (_in_capitals(word) or _has_inner_capital(word)
                or (not opens and not titled and word[0].isupper())):
            found.append(word)
    return tuple(found)


def named_runs(question: str) -> tuple[str, ...]:
    """The runs of two or more capitalised words in a row that the question writes as names
    (`named_words`), nothing but a space between them, each as the question writes it
    ("World Cup", "New York Times"): a name of several words, which a library may write each
    word of apart and never the name. Words in capitals ("CUDA GPU") are names each."""
    named = {word for word in named_words(question) if word[1:].islower()}
    runs: list[str] = []
    run: list[str] = []
    for token in question.split():
        word = _POSSESSIVE.sub("", token.strip(_AROUND))
        if token[0] in _AROUND or word not in named:
            runs += [" ".join(run)] if len(run) > 1 else []
            run = []
        if word in named:
            run.append(word)
        if token.rstrip(_AROUND) != token or word != token.strip(_AROUND):
            runs += [" ".join(run)] if len(run) > 1 else []
            run = []
    runs += [" ".join(run)] if len(run) > 1 else []
    return tuple(dict.fromkeys(runs))


def _stressed(word: str) -> bool:
    """Whether `word`, in capitals, is a dictionary's word written so for stress ("OFTEN",
    "NEVER"), not an acronym: one of EMPHASIS_LETTERS or more."""
    return len(word) >= EMPHASIS_LETTERS and word.lower() in spelling.dictionary_words()


def _written_words(question: str) -> list[tuple[str, bool]]:
    """The question's words of letters alone (a code's pieces, "MiniLM" of
    "all-MiniLM-L6-v2", are the code's, `rag.text.identifiers`), each with whether it opens
    a sentence."""
    found: list[tuple[str, bool]] = []
    opens = True
    for token in question.split():
        word = _POSSESSIVE.sub("", token.strip(_AROUND))
        pieces = _JOINED.split(word)
        if all(piece.isalpha() for piece in pieces):
            found += [(piece, opens and at == 0) for at, piece in enumerate(pieces)]
        opens = token.rstrip(_CLOSING)[-1:] in _SENTENCE_END
    return found


def _in_capitals(word: str) -> bool:
    """Whether `word` is written in capitals, a plural's "s" aside ("GPU", "GPUs")."""
    return word.isupper() or (len(word) > SHORTEST and word[-1] == "s" and word[:-1].isupper())


def _has_inner_capital(word: str) -> bool:
    """Whether a capital follows a lower-case letter in `word` ("PostgreSQL", "iPhone")."""
    return any(one.islower() and other.isupper()
               for one, other in zip(word, word[1:], strict=False))


def _is_title(written: list[tuple[str, bool]]) -> bool:
    """Whether the question capitalises its words as a title does: each of those not opening
    a sentence, TITLE_WORDS or more, but stop words and words cased otherwise ("GPU",
    "PostgreSQL")."""
    content = [word for word, opens in written if not opens
               and word.lower() not in STOP_WORDS and word[1:].islower()]
    return len(content) >= TITLE_WORDS and all(word[0].isupper() for word in content)


def name_forms(name: str) -> tuple[str, ...]:
    """The ways a text writes `name`: a name in capitals also in its plural or its singular
    ("GPU" and "GPUs"), which the stemmer does not join; the stemmer joins other words'."""
    if name.isupper():
        return name, f"{name}s"
    if _in_capitals(name):
        return name, name[:-1]
    return (name,)


def writes_name(text: str, name: str) -> bool:
    """Whether `text` writes `name` (as `named_words` found it) in one of its forms: a word of
    the same stem or a variant ("Australia" of "Australian", `lexical.variant_stubs`);
    capitalised a letter apart from a capitalised name (the name written otherwise: "Wang"
    of "Wand", "Levi" of "Lev"; a name in capitals a letter apart is another, "GNU" of
    "GPU"); or spelt out, a name in capitals (`spells_out`)."""
    said = term_set(text)
    asked = term_set(" ".join(name_forms(name)))
    if not said.isdisjoint(asked | variant_stubs(asked)) or not asked.isdisjoint(
            variant_stubs(said)):
        return True
    if _in_capitals(name):
        return spells_out(text, name)
    return spelling.capitalised_apart(folded(name).lower(), text)


def spells_out(text: str, acronym: str) -> bool:
    """Whether `text` writes the words `acronym` (in capitals) stands for: words in a row
    whose first letters spell it, stop words aside ("European Union", "Department of
    Homeland Security"), a Roman numeral counted whole ("World War II"); capitalised words
    for an acronym shorter than SPELT_IN_LOWER_CASE letters."""
    letters = acronym[:-1] if acronym[-1] == "s" else acronym
    lower_case = len(letters) >= SPELT_IN_LOWER_CASE
    found = [word for word in _LETTER_RUN.findall(text)
             if word.lower() not in STOP_WORDS or _NUMERAL.fullmatch(word)]
    for start in range(len(found)):
        spelt = ""
        for word in found[start:]:
            if not (lower_case or word[0].isupper()):
                break
            spelt += word if _NUMERAL.fullmatch(word) else word[0].upper()
            if spelt == letters:
                return True
            if not letters.startswith(spelt):
                break
    return False
