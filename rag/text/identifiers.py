"""Codes and names a question looks up as written: an error code ("E9999"), a CVE, a part
number ("AB-9999-X"), a version ("v2.10.3"), a setting's name ("retry_timeout_ms"), a dotted
name ("as.vector", "os.path.join", "config.yaml"), an operator ("&&", "<<-", "%in%", "...").

The vocabulary cannot tell whether the library knows one: its pieces ("ab", "9999", "retry",
"timeout") are ordinary words and numbers, which the library's other codes and names hold.
Held a letter apart it is another code, not a slip ("E9990" is not "E9999"), so it is matched
as written, only its separators and case free ("COVID 19" and "covid19" write "COVID-19").
"""

from __future__ import annotations

import re
import unicodedata
from itertools import groupby

from rag.text.dates import dates_in

# a run of letters, or of digits: "covid19", "COVID-19" and "COVID 19" are one code
_PART = re.compile(r"[^\W\d_]+|\d+")
# a possessive or a plural's ending, not the code's: "E1047's", "E1047s"
_ENDING = re.compile(r"(?<=\d)s$|['’]s$")
# around a written word, not part of it: quotes, brackets, a sentence's or a clause's end
_AROUND = "\"'“”‘’()[]{}<>,;:!?.`"
# a bracket inside a written word opens a call's or an item's part ("log2(x)", "4(d)",
# "arr[0]") or markup ("<b>CRAN</b>"): the code is what comes before it
_INNER_BRACKET = re.compile(r"[(\[{<>}\])]")
# a number and its unit or ordinal ("5mm", "230V", "10am", "21st", "4K"): written with a
# space as often as without, and no code
_MEASURE = re.compile(r"\d+(?:[.,]\d+)?[^\W\d_]{1,3}", re.ASCII)
# a number joined to a word ("3-year", "30-day", "64-bit", "2nd-floor"), a size ("24x7",
# "1920x1080", but a hexadecimal number's "0x") or a decade ("mid-1970s"): an everyday word
_COMPOUND = re.compile(r"\d+(?:[.,]\d+)?(?:st|nd|rd|th)?(?:-[a-z]{2,})+|[1-9]\d*x\d+"
                       r"|(?:[a-z]{2,}-)?\d*0['’]?s", re.ASCII)
_SHORTEST = 3
# a code shorter than that: a letter, then a digit ("K3"), as a model or a product is named
_SHORT_CODE = re.compile(r"[^\W\d_]\d")
# a version or an address written in figures alone ("2.10.3", "10.20.30.40"): a code too,
# unlike a number ("3.14", "1,200") or a day ("16.05.2026")
_DOTTED = re.compile(r"\d+(?:\.\d+){2,}")
# a name of words joined by dots ("as.vector", "is.na", "os.path.join", "config.yaml"): its
# pieces are often stop words ("as", "is") or common ones, and "is.na" is no "na". Each
# piece opens with a letter: a decimal ("3.14"), a version ("v2.10.3") or a page ("p.33")
# is none
_DOTTED_NAME = re.compile(r"(?<![\w.])[^\W\d_]\w*(?:\.[^\W\d]\w*)+(?![\w.]\w)")
# what reads as one and is none: an abbreviation of single letters ("e.g", "i.e", "U.S"),
# and a PDF's sentence end glued to the next sentence ("the vector.The next")
_INITIALS = re.compile(r"[^\W\d_](?:\.[^\W\d_])+")
_GLUED_SENTENCES = re.compile(r"[a-z]+\.[A-Z][a-z]+")
# a question typed without a space after its stops: "What is NA.Is it NaN?", "a
# vector.what about a list?", "NaN vs.NA" (an abbreviation's stop)
_GLUED_QUESTION = re.compile(
    r"[^\W\d_]+\.(?:(?:Is|Are|Was|Were|What|How|Why|When|Where|Who|Which|Can|Could|Does|Do|"
    r"Did|The|It|This|That|These|Those|I|And|But|So|Also|Then|There|If|In|On|We|You|They|"
    r"My|Please|Thanks|Note|See)|(?:what|how|why|when|where|who|which))\b.*"
    r"|(?:vs|etc|cf|approx|fig|figs|eq|eqs|sec|ch|vol|pp|ca|resp|incl|viz|al|no|nos)\..*",
)
# an operator: a run of signs written apart from words ("&&", "<<-", "|>", "::", "==", R's
# "..."), or R's name between two "%" ("%in%", "%o%"), glued to the names around it or not.
# Its signs are no word's, so the words alone lose it
_SIGNS = r"!$%&*+\-./:<=>?^|~"
_OPERATOR = re.compile(rf"%[^\W\d_]\w*%|(?<![\w{_SIGNS}])[{_SIGNS}]{{2,}}+(?![\w{_SIGNS}])")
_LONGEST_OPERATOR = 3  # a longer run is a rule or an underline ("-----", "====")
# a run of stops is prose's ("?!", ".."), but for these; a run of one sign thrice is a rule, a
# fence or a prompt ("***", "~~~", ">>>"), but for these
_STOPS = frozenset(".?!:")
_STOP_RUNS = frozenset({"...", "::", ":::"})
_TRIPLES = frozenset({"...", ":::", "==="})
# a command's option ("--persist", "--as-cran", "-no-gui"): its words are common ones, and
# "--persist" is no "persistent"
_OPTION = re.compile(r"(?:--?|[–—])[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*")


def identifiers(question: str) -> list[str]:
    """The question's written words that are codes or names: letters and digits together
    ("E9999", "CVE-2023-4863"), words joined by underscores ("retry_timeout_ms") or by dots
    ("as.vector", "is.na(x)"; not "e.g."), figures in three dotted groups or more
    ("2.10.3"), or an operator (`operators`: "&&", "%in%"); not a number with its unit
    ("5mm"), joined to a word ("3-year") or with a possessive's or a plural's ending
    ("1950's", "80s")."""
    return _written_codes(question, everyday=False)


def short_codes(question: str) -> list[str]:
    """The question's codes of one letter and one digit ("K3", "A4", "k9"), which
    `identifiers` leaves out as too short to look up by their pieces, in order: a model's or
    a product's name, which a library writes as asked or not at all. Not a number with its
    unit or ordinal ("3D", "4K", "5G"), whose digit comes first."""
    found: list[str] = []
    for written in _written_words(question):
        word = _ENDING.sub("", written.strip(_AROUND))
        if _SHORT_CODE.fullmatch(word) and word not in found:
            found.append(word)
    return found


def written_phrases(question: str) -> list[str]:
    """`identifiers`, and the words joining a number to others ("33-yard", "4-cylinder",
    "1950's") as the question writes them: no library lacks those by name, but a sentence
    writing one is the surest sign of the sentence asked about."""
    return _written_codes(question, everyday=True)


def _written_codes(question: str, everyday: bool) -> list[str]:
    found = []
    for written in _written_words(question):
        # an operator's signs are no code's edges ("<<-", "c(...)"): it is read first
        found += [operator for operator in operators(written) if operator not in found]
        word = _INNER_BRACKET.split(written.strip(_AROUND), maxsplit=1)[0].strip(_AROUND)
        # an option is written whole, its "s" too ("--k8s")
        base = word if _OPTION.fullmatch(word) else _ENDING.sub("", word)
        compound = _COMPOUND.fullmatch(word) is not None
        possessive = word.endswith(("'s", "’s"))
        if _is_code(base) and not compound:
            word = base
        # a code too short without its plural's "s" is whole with it ("k8s", "k3s")
        elif not _is_code(word) or ((compound or possessive) and not everyday):
            continue
        if word not in found:
            found.append(word)
    return found


def _is_code(word: str) -> bool:
    letters = any(ch.isalpha() for ch in word)
    digits = any(ch.isdigit() for ch in word)
    joined = "_" in word.strip("_") and letters
    # a day written with dots ("16.05.2026") is searched as the day (`rag.text.dates`)
    version = _DOTTED.fullmatch(word) is not None and not dates_in(word)
    coded = (letters and digits) or joined or version
    coded = coded or is_dotted_name(word)
    return (len(word) >= _SHORTEST and coded and not _MEASURE.fullmatch(word)
            or len(word) > _SHORTEST and _OPTION.fullmatch(word) is not None)


def operators(text: str) -> list[str]:
    """The operators `text` writes (`_OPERATOR`), case-folded, in order: not a lone sign,
    which prose writes as often ("R & D", "a / b", "-"), nor a dash's "--", a question's
    "?!", a rule's "-----" or a prompt's ">>>". A question's or a sentence's stop after one
    is not part of it ("&&?", "<<-.")."""
    found = (_as_operator(run) for run in _OPERATOR.findall(text))
    return [operator.casefold() for operator in found if operator is not None]


def is_operator(word: str) -> bool:
    """Whether `word` is one operator as `operators` reads them ("&&", "%in%", "...")."""
    return operators(word) == [word.casefold()]


def _as_operator(run: str) -> str | None:
    """The operator a run of signs writes, without the stop after it; None for prose's."""
    run = run.rstrip("?!") or run
    if run[-1] in ".:" and (run[-2] != run[-1] or run == "...."):
        run = run[:-1]  # a sentence's or a clause's stop after it: "<<-.", "...."
    if run.startswith("%") and run.endswith("%") and "%" not in run[1:-1] and len(run) > 1:
        return run  # "%%", "%in%", "%/%", "%<>%"
    if not 2 <= len(run) <= _LONGEST_OPERATOR or set(run) == {"-"}:
        return None
    if set(run) <= _STOPS and run not in _STOP_RUNS:
        return None
    if len(run) == 3 and len(set(run)) == 1 and run not in _TRIPLES:
        return None
    return run


def is_dotted_name(word: str) -> bool:
    """Whether `word` is a name of words joined by dots ("as.is", "os.path.join"), not an
    abbreviation ("e.g") nor two sentences a PDF glued together ("vector.The")."""
    return (_DOTTED_NAME.fullmatch(word) is not None and _INITIALS.fullmatch(word) is None
            and _GLUED_SENTENCES.fullmatch(word) is None
            and _GLUED_QUESTION.fullmatch(word) is None)


def dotted_names(text: str) -> list[str]:
    """The dotted names `text` writes (`is_dotted_name`), case-folded, in order."""
    if "." not in text:
        return []
    return [found.casefold() for found in _DOTTED_NAME.findall(text)
            if is_dotted_name(found)]


def without_dotted_names(text: str) -> str:
    """`text` with each dotted name (`is_dotted_name`) a space."""
    if "." not in text:
        return text
    return _DOTTED_NAME.sub(lambda found: " " if is_dotted_name(found.group()) else
                            found.group(), text)


def writes(text: str, identifier: str) -> bool:
    """Whether `text` writes `identifier`: its runs of letters and of digits in the same
    order, in any case, whatever separates them or not ("CVE-2023-4863", "cve 2023 4863";
    "covid19" and "COVID-19"; "x86-64" and "x86_64"). A letter apart it is another code
    ("E9990" is not "E9999"). A dotted name is written with its dots ("as.vector"): "such
    as vector" is none."""
    if _OPTION.fullmatch(identifier):  # written with its dashes, as a command takes it
        return _written_option(identifier).search(text) is not None
    if is_dotted_name(identifier):
        return identifier.casefold() in dotted_names(text)
    if is_operator(identifier):  # "&&" is no "&", and "R & D" writes none
        return identifier.casefold() in operators(text)
    wanted = _parts(identifier)
    if not wanted:
        return False
    said = _parts(text)
    # a version asked with its "v" is written without it as often ("## [2.10.3]")
    if wanted[0] == "v" and len(wanted) > 2 and wanted[1].isdigit() and wanted[2].isdigit():
        return _holds_run(said, wanted) or _holds_run(said, wanted[1:])
    return _holds_run(said, wanted)


def defines_option(text: str, identifier: str) -> bool:
    """Whether `identifier` is a command's option and `text` opens with it, alone or after
    the options listed with it, as a list of options defines each ("--persist Go to
    interactive mode ...", "--save / --no-save Control whether ...")."""
    return is_option(identifier) and _defining(identifier).match(text.lstrip()) is not None


def is_option(identifier: str) -> bool:
    return _OPTION.fullmatch(identifier) is not None


def defines_in_a_line(text: str, identifier: str) -> bool:
    """Whether a line of `text` opens with `identifier` as `defines_option` reads it (an
    option), or with it alone (a code: "E1047 Disk full")."""
    if is_option(identifier):
        return _defining(identifier).search(text) is not None
    opening = re.compile(rf"^[ \t]*{re.escape(identifier)}(?![\w-])", re.MULTILINE)
    return opening.search(text) is not None


# options listed together before the definition they share: "--save / --no-save", "-v,
# --verbose", "-q or --quiet", "--save --no-save"
_OPTIONS_BEFORE = r"(?:(?:--?|[–—])[^\W_][\w-]*(?:=\S+)?(?:\s*[,/|]\s*|\s+or\s+|\s+))*"


def _defining(option: str) -> re.Pattern[str]:
    """A line opening with `option`, alone or after the options listed with it."""
    return re.compile(rf"^[ \t]*{_OPTIONS_BEFORE}{_written_option(option).pattern}",
                      re.MULTILINE)


def _written_option(option: str) -> re.Pattern[str]:
    """`option` as a text writes it: TeX sets "--" as an en dash ("–traditional"), and a
    question may be typed so too."""
    name = option.lstrip("-–—")
    dashes = "-" if option.startswith("-") and not option.startswith("--") else "(?:--|[–—])"
    return re.compile(rf"(?<![\w\-–—]){dashes}{re.escape(name)}(?![\w-])")


def _holds_run(said: list[str], wanted: list[str]) -> bool:
    width = len(wanted)
    return any(said[i:i + width] == wanted for i in range(len(said) - width + 1)
               if said[i] == wanted[0])


def _written_words(text: str) -> list[str]:
    """`text`'s words as spaces and letters without case part them (Chinese, Japanese, Thai,
    Arabic: a code written among them, "错误代码E1047表示", is set apart as by spaces)."""
    return [word for piece in text.split() for word in _split_at_uncased(piece) if word]


def _split_at_uncased(piece: str) -> list[str]:
    if piece.isascii():
        return [piece]
    # the marks of a Thai or Devanagari letter next to the code are that letter's, not the
    # code's ("ที่E9999"): no letters themselves, they would stay on the code's side
    return [_without_edge_marks("".join(run))
            for uncased, run in groupby(piece, key=_is_uncased_letter) if not uncased]


def _without_edge_marks(word: str) -> str:
    start, end = 0, len(word)
    while start < end and unicodedata.category(word[start]).startswith("M"):
        start += 1
    while end > start and unicodedata.category(word[end - 1]).startswith("M"):
        end -= 1
    return word[start:end]


def _runs_by_case(letters: str) -> list[tuple[bool, str]]:
    return [(cased, "".join(run)) for cased, run in groupby(letters, key=_is_cased)]


def _is_cased(letter: str) -> bool:
    return letter.lower() != letter.upper()


def _is_uncased_letter(char: str) -> bool:
    return char.isalpha() and not _is_cased(char)


def _parts(text: str) -> list[str]:
    """`text`'s runs of digits and of letters of one kind (with case or without)."""
    parts: list[str] = []
    for run in _PART.findall(text.casefold()):
        if run.isascii() or run[0].isdigit():
            parts.append(run)
        else:
            parts.extend(letters for _, letters in _runs_by_case(run))
    return parts
