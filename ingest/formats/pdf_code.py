"""A program's lines a PDF sets in a typewriter font, fenced as Markdown fences code.

A manual writes its C, Rd and configure examples without a prompt, one statement to a line,
in a typewriter font ("CMTT10" in a Texinfo manual). Read as prose, a listing runs into the
sentence after it and is cut where a stop falls inside it ("// a version with (too) much
PROTECT()ion .."). So a run of MIN_LINES lines or more whose code is drawn in such a font (a
comment Texinfo sets in its roman after it, a result's "⇒" in a symbol font), most of its
lines looking like a program's (a brace, a bracket, an operator, a name glued to its "("),
gets a line "```" before and after it: the sentence segmenter keeps a fenced block whole, on
its lines (`rag.text.sentences`). So does a run indented past the prose before and after it,
as a manual sets an example, even one line without a sign of code ("x = A \\ b" after "use the
left division operator:", an interpreter's "error: ..." lines); read as prose, it runs into
the sentence after it. A reference entry's signature ("idivide (x, y, op)") is fenced alone,
apart from its description. Left as they are: a run opening on a prompt, which the segmenter
reads as a program; any other single line set so, a word of its sentence (a function's name
wrapped onto a line of its own); a run whose lines mostly do not look so and are not set
apart, a table's terms or prose typed in the font (a typed lease or memo, whose
apostrophes, brackets and "%" are a sentence's); a definition list's option terms
("--traditional", "--braindead"), read with their description; a short run the sentence goes
on after in lower case, words of that sentence; an index's entries; and a page set wholly in
a typewriter font but for its running header (a typescript, a screenplay, a listing going on
from the page before and over the next), which has no prose to tell its code from. A page
opening on a listing that goes on from the page before, with prose after it, is read as any
other (a browser's print of a page's `<pre>`, which sets no running header).
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Sequence

import pypdfium2.raw as pdfium_c

from rag.text.sentences import is_operator_line, is_signature, opens_on_a_prompt

MIN_LINES = 2
# how far past the prose's left edge an example starts, in points: Texinfo indents one by
# more than a paragraph's first line, and a glyph's own margin is far less
INDENT = 3
# a sentence quotes a few lines of code as words of it ("If you have" then two lines of code
# then "you can do"); a longer run is a listing of its own
MAX_QUOTED_LINES = 3
SAMPLED = 5  # characters of a line whose font is read
# a page with fewer lines in another font than this (a running header at most) has no prose
# to tell its code from: a listing going on from the page before, or a typescript
MIN_PROSE_LINES = 2
FIXED_PITCH = 1  # the font descriptor's flag (PDF 32000-1, 9.8.2)
FENCE = "```"
LINE_END = "\r\n"  # pdfium's line end: the text is tidied after, as the rest of it
# TeX's typewriter fonts (Computer Modern's "CMTT10", "CMSLTT10", Latin Modern's "LMMono10",
# the EC fonts' "SFTT1000"), and the monospaced families of office and web documents; a
# subset's tag ("ABCDEF+") may precede the name. TeX's fonts do not set the fixed-pitch flag.
_TYPEWRITER_FONT = re.compile(
    r"(?:^|\+)(?:CM|SF|EC|T1)S?L?I?TT|mono|courier|consol|menlo|monaco|typewriter|inconsolata",
    re.IGNORECASE)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
# a comment's opener, before the words of a comment a manual sets in its text's font
_COMMENT_OPENED = re.compile(r"(?:^|\s)(?:/\*|//|#|%)")
# Texinfo's slanted roman, its signatures' variables in a string ("quit ("cancel")")
_VARIABLE_FONT = re.compile(r"(?:^|\+)CMSL\d|LMRomanSlant", re.IGNORECASE)
# Texinfo's marks of what an example gives: its result, its output, its expansion
_RESULT_MARK = re.compile(r"[⇒⊣≡→]")
# the fonts Texinfo sets those marks and a signature's brackets in: TeX's symbol and math
# fonts, its sans serif, slanted and bold roman
_MARK_FONT = re.compile(r"(?:^|\+)(?:CMSY|CMEX|CMMI|CMSS|CMSL|CMB|MSAM|MSBM)\d|Symbol|Math",
                        re.IGNORECASE)
_BULLETS = frozenset("•◦▪‣")
# what a program's line holds and a line of words seldom does: a brace, a bracket, an
# operator, a name glued to its "(" or a keyword before one ("if ("), a name written with an
# underscore ("attribute_hidden"), a path ("./configure", "/usr/lib"), a command's option
# ("--prefix", "-l"); not an apostrophe, a quote, a "%", a "/" between words or a bracketed
# aside, which typed prose has often
_SIGN_OF_CODE = re.compile(
    r"[{}\[\];=<>$\\#|@^~]|[\w\"']\(|::|[A-Za-z0-9]_[A-Za-z0-9]"
    r"|\b(?:if|for|while|switch|function)\s*\(|(?:^|\s)(?:\.{1,2}/|/\w|--?[A-Za-z])"
    r"|[⇒⊣≡→]|^[A-Za-z_][\w.]*\s\(")
# a command's option with its argument, if any ("--path path", "-q"): a definition list's
# term, its description after it
_OPTION_TERM = re.compile(r"--?[A-Za-z][\w-]*(?:[ =][\w.<>/-]+)?")
# a line going on with a call's arguments, after a line of code
_CONTINUED = re.compile(r",\s*$")
# an index's or a contents' entry, its name in a typewriter font: "allocVector. . . . 158"
_INDEX_ENTRY = re.compile(r"(?:\. ?){3,}\s*\d+\s*$")


def code_fenced(textpage, text: str, indexes: Sequence[int] | None
                ) -> tuple[str, Sequence[int] | None]:
    """`text` (pdfium's text of `textpage`; `indexes`: each character's index among the page's
    characters, -1 for white space they lack) with each run of typewriter lines fenced, and
    the indexes of the text so made (-1 for each character added); both as they are when the
    page has no such run."""
    if indexes is None:
        return text, indexes
    lines = [(found.start(), found.group()) for found in _LINE.finditer(text) if found.group()]
    typed = [typewriter_line(textpage, line, indexes[start:start + len(line)])
             for start, line in lines]
    written = [bool(line.strip()) for _, line in lines]
    if not any(typed) or (sum(written) - sum(typed) < MIN_PROSE_LINES
                          and not _listing_goes_on(typed, written)):
        return text, indexes
    runs = [(a, b) for a, b in _runs(typed, written)
            if _an_example(textpage, lines, indexes, a, b)
            and not _inside_a_sentence(lines, a, b) and not _option_terms(lines, a, b)]
    if not runs:
        return text, indexes
    return _fenced(text, list(indexes), lines, runs)


def _listing_goes_on(typed: list[bool], written: list[bool]) -> bool:
    """Whether a page opens on a run of typewriter lines with prose after it: a listing
    going on from the page before ("x58 = compute(a, b)" then "That is all there is to it."),
    told from its prose as on any other page; a typescript or a screenplay has its running
    header before it."""
    lines = [is_typed for is_typed, is_written in zip(typed, written, strict=True)
             if is_written]
    return bool(lines) and lines[0] and not all(lines)


def typewriter_line(textpage, line: str, indexes: Sequence[int]) -> bool:
    """Whether a line's code is drawn in a typewriter font, and it is no index's entry: its
    letters and digits, but a trailing comment's, since Texinfo sets a comment in the text's
    roman ("int callflag; /* The context type */") and a result's arrow ("⇒ 16777216") or a
    signature's parentheses in fonts of their own, which a sentence's words never are. A few
    characters are read first (reading every character's would cost a call each): a line
    whose first letter is not so is prose. A line of operators with a note after them
    ("- + (unary)") is so when its operators are: a table of them is one run."""
    drawn = [(at, index) for at, (ch, index) in enumerate(zip(line, indexes, strict=True))
             if index >= 0 and not ch.isspace()]
    if not drawn or _INDEX_ENTRY.search(line):
        return False
    if is_operator_line(line.rstrip("\r\n")):  # "+ - (binary)": its note in the text's font
        return _typewriter(textpage, drawn[0][1])
    step = max(1, (len(drawn) - 1) // (SAMPLED - 1))
    picked = {*drawn[::step][:SAMPLED - 1], drawn[-1]}
    if all(_typewriter(textpage, index) for _, index in picked):
        return True
    return _code_typed(textpage, line, indexes)


def _code_typed(textpage, line: str, indexes: Sequence[int]) -> bool:
    """Whether a line's characters (`indexes`: each one's index on the page) are in a
    typewriter font, its first letter among them, up to a comment opened in that font ("/* ",
    "# "), if any. Texinfo's marks, a result's arrow ("⇒") or a signature's brackets, may be
    in a symbol font or its sans serif, and a signature's variable in its slanted roman
    ("quit ("cancel")"); a stop, a comma, a colon or a quote in the text's font is a
    sentence's ("config.site)", "box:"). A line without a letter or a digit is so when it
    holds a result's arrow ("⇒" before a value on the next line)."""
    if line.lstrip()[:1] in _BULLETS:
        return False
    drawn = [(at, index) for at, (ch, index) in enumerate(zip(line, indexes, strict=True))
             if index >= 0 and not ch.isspace()]
    if not any(line[at].isalnum() for at, _ in drawn):
        return _RESULT_MARK.search(line) is not None
    first_letter = True
    for at, index in drawn:
        font = _font(textpage, index)
        if _TYPEWRITER_FONT.search(font):
            first_letter = first_letter and not line[at].isalnum()
            continue
        if line[at].isalnum():
            if not first_letter and _VARIABLE_FONT.search(font):
                continue
        elif _MARK_FONT.search(font):
            continue
        opener = _COMMENT_OPENED.search(line[:at])
        return opener is not None and indexes[opener.end() - 1] >= 0 and _typewriter(
            textpage, indexes[opener.end() - 1])
    return True


def _typewriter(textpage, index: int) -> bool:
    """Whether the page's character at `index` is drawn in a typewriter font: one of fixed
    pitch by its flags, or named as one."""
    flags = ctypes.c_int(0)
    name = _font(textpage, index, flags)
    return bool(flags.value & FIXED_PITCH) or bool(_TYPEWRITER_FONT.search(name))


def _font(textpage, index: int, flags: ctypes.c_int | None = None) -> str:
    """The name of the font the page's character at `index` is drawn in (its flags set in
    `flags`)."""
    name = ctypes.create_string_buffer(128)
    pdfium_c.FPDFText_GetFontInfo(textpage, index, name, len(name),
                                  ctypes.byref(flags if flags is not None else ctypes.c_int(0)))
    return name.value.decode("latin-1")


def _runs(typed: list[bool], written: list[bool]) -> list[tuple[int, int]]:
    """The first and last line of each run of typewriter lines; a blank line inside a program
    (between two functions) does not end its run."""
    runs: list[tuple[int, int]] = []
    first = last = None
    for i, (is_typed, is_written) in enumerate(zip(typed, written, strict=True)):
        if is_typed:
            first = i if first is None else first
            last = i
        elif is_written and first is not None:
            runs.append((first, last))
            first = None
    if first is not None:
        runs.append((first, last))
    return runs


def _an_example(textpage, lines: list[tuple[int, str]], indexes: Sequence[int], first: int,
                last: int) -> bool:
    """Whether a run of typewriter lines is a program's example: lines of code, or lines set
    apart from the prose around them as a manual sets an example (its one command, an
    interpreter's messages), or a reference entry's signature. A run opening on a prompt is
    left to the segmenter, which reads a command and its output as a program."""
    if (not opens_on_a_prompt(lines[first][1].rstrip("\r\n"))
            and _set_apart(textpage, lines, indexes, first, last)):
        return True
    # a run's written lines are all typewriter lines
    written = sum(1 for _, line in lines[first:last + 1] if line.strip())
    return ((written >= MIN_LINES or _signature(lines, first, last))
            and _holds_code(lines, first, last))


def _set_apart(textpage, lines: list[tuple[int, str]], indexes: Sequence[int], first: int,
               last: int) -> bool:
    """Whether a run's lines are indented past the lines of prose before and after it, as
    Texinfo sets an example ("x = A \\ b", "error: 'x' undefined"): code, even one line
    without a sign of it. A name wrapped onto a line of its own starts at the prose's edge.
    A run ending its page is not: its sentence may go on over the page ("or" then
    "eval(substitute(lm(y ~ x + variable),", its call's arguments on the next page)."""
    run = _left_edge(textpage, lines, indexes, first)
    if run is None:
        return False
    around = [_left_edge(textpage, lines, indexes, i) for i in (
        next((i for i in range(first - 1, -1, -1) if lines[i][1].strip()), None),
        next((i for i in range(last + 1, len(lines)) if lines[i][1].strip()), None))
        if i is not None]
    return len(around) == 2 and all(edge is not None and run > edge + INDENT for edge in around)


def _left_edge(textpage, lines: list[tuple[int, str]], indexes: Sequence[int], line: int
               ) -> float | None:
    """Where a line's first character stands from the page's left, in points."""
    start, text = lines[line]
    index = next((i for ch, i in zip(text, indexes[start:start + len(text)], strict=True)
                  if i >= 0 and not ch.isspace()), None)
    if index is None:
        return None
    x, y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage, index, ctypes.byref(x), ctypes.byref(y))
    return x.value


def _signature(lines: list[tuple[int, str]], first: int, last: int) -> bool:
    """Whether a run of one line is a reference entry's signature (Texinfo's "idivide (x, y,
    op)" before "Integer division with ..."): fenced, the answer's sentence opens at the
    description instead of at the signature's arguments."""
    return first == last and is_signature(lines[first][1])


def _option_terms(lines: list[tuple[int, str]], first: int, last: int) -> bool:
    """Whether a run's lines are all a command's options ("--traditional", "--braindead")
    after a finished sentence (or a running header's page number): a definition list's terms,
    read with the description after them, whose sentence names them. Options after "configure
    R with" are that command's."""
    before = next((line.strip() for _, line in reversed(lines[:first]) if line.strip()), "")
    return (not before or before[-1] in ".!?" or before[-1].isdigit()) and all(
        _OPTION_TERM.fullmatch(line.strip()) for _, line in lines[first:last + 1]
        if line.strip())


def _holds_code(lines: list[tuple[int, str]], first: int, last: int) -> bool:
    """Whether most of a run's lines look like a program's: one such line among sentences is
    a typed letter's or a lease's, not a listing. A line of one word ("make", "else", a
    paragraph's last word) tells neither, and is not counted unless it looks like code."""
    looks = counted = 0
    after_code = False
    for _, line in lines[first:last + 1]:
        line = line.strip()
        if not line:
            continue
        after_code = _program_line(line) or (after_code and bool(_CONTINUED.search(line)))
        if after_code or " " in line:
            counted += 1
            looks += after_code
    return looks * 2 > counted


def _program_line(line: str) -> bool:
    return bool(_SIGN_OF_CODE.search(line)) or is_operator_line(line)


def _inside_a_sentence(lines: list[tuple[int, str]], first: int, last: int) -> bool:
    """Whether a run stands inside a sentence, as words of it: the line before ends without
    a stop or a colon, and the line after goes on in lower case ("If you have" then a line
    of code then "you can do"). Fenced, the sentence was cut in two halves, each quoted
    alone; the segmenter reads such a program as a span of its sentence instead. A run of
    more lines than a sentence quotes (a C enum between "The types are from" and "where the
    bit is on") is a listing of its own, read apart from its sentence's halves."""
    if sum(1 for _, line in lines[first:last + 1] if line.strip()) > MAX_QUOTED_LINES:
        return False
    before = next((line.strip() for _, line in reversed(lines[:first]) if line.strip()), "")
    after = next((line.strip() for _, line in lines[last + 1:] if line.strip()), "")
    # after one line, an aside in lower case goes on with the sentence too ("MC <-
    # function(f, env) f" then "(lexical scope!), a version for S is"); after a listing it
    # is the listing's note ("(with lines broken here for legibility)")
    going_on = after.lstrip("(") if first == last else after
    return bool(before) and before[-1] not in ".!?:;" and going_on[:1].islower()


def _fenced(text: str, indexes: list[int], lines: list[tuple[int, str]],
            runs: list[tuple[int, int]]) -> tuple[str, list[int]]:
    """The text with a fence's line before the first line and after the last line of each
    run, and the indexes to match (-1 for each character added)."""
    opening = {a for a, _ in runs}
    closing = {b for _, b in runs}
    pieces: list[str] = []
    at: list[int] = []
    for i, (start, line) in enumerate(lines):
        if i in opening:
            pieces.append(FENCE + LINE_END)
            at += [-1] * (len(FENCE) + len(LINE_END))
        pieces.append(line)
        at += indexes[start:start + len(line)]
        if i in closing:
            end = "" if line.endswith(("\n", "\r")) else LINE_END
            closed = end + FENCE + ("" if end else LINE_END)
            pieces.append(closed)
            at += [-1] * len(closed)
    return "".join(pieces), at
