"""Entries of a definition list: lines that open with a short label and a colon ("staff:
Allows users to ...", "-v, --verbose: Print ...", "RAG_TOP_K: passages to ...")."""

from __future__ import annotations

import re

from rag.text import lexical

# a label of one to three words, a colon, then the entry's text on the same line
ENTRY_LABEL = re.compile(r"([\w.,+/-]+(?: [\w.,+/-]+){0,2}):[ \t]+\S")
# written as code: "RAG_TOP_K", "-v, --verbose", "text.Rd"; not a number's point ("Figure 22.4")
_CODE = re.compile(r"_|^-|[^\W_]\.[^\W\d_]")


def defined_terms(text: str) -> list[str]:
    """The labels of a definition list in the text: lines that define a name in lower case
    or one written as code ("users", "-v, --verbose", "RAG_TOP_K") by a sentence ("users:
    While Debian systems ..."), two different ones at least. Not a note's heading ("Note:",
    "HELP:"), a sentence's opening words ("For example:"), or a program's output in an
    example ("error: 'x' undefined", "debug: if (na.rm) ...", "exiting from: mean(x)")."""
    if ":" not in text:
        return []
    labels = (match.group(1) for line in text.splitlines()
              if (match := ENTRY_LABEL.match(line.lstrip())) and match.group()[-1].isupper())
    named = list(dict.fromkeys(label for label in labels
                               if label[:1].islower() or _CODE.search(label)))
    return named if len(named) >= 2 else []


def named_entries(text: str, asked: frozenset[str]) -> list[str]:
    """The labels of the text's definition list that a question of terms `asked` names: the
    label's terms all among the question's ("users" in "What is the users group?")."""
    return [label for label in defined_terms(text)
            if (terms := lexical.term_set(label)) and terms <= asked]
