"""Entries of a definition list: lines that open with a short label and a colon ("staff:
Allows users to ...", "-v, --verbose: Print ...", "RAG_TOP_K: passages to ...")."""

from __future__ import annotations

import re
from functools import lru_cache

from rag.text import lexical

# a label of one to three words, a colon, then the entry's text on the same line
ENTRY_LABEL = re.compile(r"([\w.,+/-]+(?: [\w.,+/-]+){0,2}):[ \t]+\S")
# written as code: "RAG_TOP_K", "-v, --verbose", "text.Rd"; not a number's point ("Figure 22.4")
_CODE = re.compile(r"_|^-|[^\W_]\.[^\W\d_]")


# the search asks it of every candidate passage, and the answer of the five it quotes: the
# same passages, again and again
@lru_cache(maxsize=4096)
def defined_terms(text: str) -> tuple[str, ...]:
    """The labels of a definition list in the text: lines that define a name in lower case
    or one written as code ("users", "-v, --verbose", "RAG_TOP_K") by a sentence ("users:
    While Debian systems ..."), two different ones at least. Not a note's heading ("Note:",
    "HELP:"), a sentence's opening words ("For example:"), or a program's output in an
    example ("error: 'x' undefined", "debug: if (na.rm) ...", "exiting from: mean(x)")."""
    if ":" not in text:
        return ()
    labels = (match.group(1) for line in text.splitlines()
              if (match := ENTRY_LABEL.match(line.lstrip())) and match.group()[-1].isupper())
    named = list(dict.fromkeys(label for label in labels
                               if label[:1].islower() or _CODE.search(label)))
    return tuple(named) if len(named) >= 2 else ()


def named_entries(text: str, asked: frozenset[str]) -> list[str]:
    """The labels of the text's definition list that a question of terms `asked` names: all
    the terms of one of the label's names among the question's ("users" in "What is the users
    group?", "nogroup" of "nobody, nogroup")."""
    return [label for label in defined_terms(text)
            if any((terms := lexical.term_set(name)) and terms <= asked
                   for name in label.split(","))]
