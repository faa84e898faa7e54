"""Codes and names a question looks up as written: an error code ("E9999"), a CVE, a part
number ("AB-9999-X"), a version ("v2.10.3"), a setting's name ("retry_timeout_ms").

The vocabulary cannot tell whether the library knows one: its pieces ("ab", "9999", "retry",
"timeout") are ordinary words and numbers, which the library's other codes and names hold.
Held a letter apart it is another code, not a slip ("E9990" is not "E9999"), so it is matched
as written, only its separators and case free ("COVID 19" and "covid19" write "COVID-19").
"""

from __future__ import annotations

import re

# a run of letters, or of digits: "covid19", "COVID-19" and "COVID 19" are one code
_PART = re.compile(r"[^\W\d_]+|\d+")
# around a written word, not part of it: quotes, brackets, a sentence's or a clause's end
_AROUND = "\"'“”‘’()[]{}<>,;:!?."
# a number and its unit or ordinal ("5mm", "230V", "10am", "21st", "4K"): written with a
# space as often as without, and no code
_MEASURE = re.compile(r"\d+(?:[.,]\d+)?[^\W\d_]{1,3}", re.ASCII)
_SHORTEST = 3
# a version or an address written in figures alone ("2.10.3", "10.20.30.40"): a code too,
# unlike a number ("3.14", "1,200")
_DOTTED = re.compile(r"\d+(?:\.\d+){2,}")


def identifiers(question: str) -> list[str]:
    """The question's written words that are codes or names: letters and digits together
    ("E9999", "CVE-2023-4863"), words joined by underscores ("retry_timeout_ms"), or figures
    in three dotted groups or more ("2.10.3"); not a number with its unit ("5mm")."""
    found = []
    for written in question.split():
        word = written.strip(_AROUND)
        letters = any(ch.isalpha() for ch in word)
        digits = any(ch.isdigit() for ch in word)
        joined = "_" in word.strip("_") and letters
        coded = (letters and digits) or joined or _DOTTED.fullmatch(word) is not None
        if (len(word) >= _SHORTEST and coded and not _MEASURE.fullmatch(word)
                and word not in found):
            found.append(word)
    return found


def writes(text: str, identifier: str) -> bool:
    """Whether `text` writes `identifier`: its runs of letters and of digits in the same
    order, in any case, whatever separates them or not ("CVE-2023-4863", "cve 2023 4863";
    "covid19" and "COVID-19"; "x86-64" and "x86_64"). A letter apart it is another code
    ("E9990" is not "E9999")."""
    wanted = _parts(identifier)
    if not wanted:
        return False
    said = _parts(text)
    width = len(wanted)
    return any(said[i:i + width] == wanted for i in range(len(said) - width + 1)
               if said[i] == wanted[0])


def _parts(text: str) -> list[str]:
    return _PART.findall(text.casefold())
