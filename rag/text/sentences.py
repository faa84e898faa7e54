"""Sentences of a text, with their offsets: where an answer may start and stop.

sentencex (Wikimedia's rule-based segmenter, compiled) does the segmenting: it knows English
abbreviations (Mr., Mrs., Dr., U.S., e.g., i.e.), and other languages' by their rules (the
text's own, `rag.text.languages`: German's "geb.", Russian's "г."), decimals, initials and
closing quotes, and segments a paragraph in microseconds, so it can run on every retrieved
passage at question time. pysbd agreed with it on our cases but is hundreds of times slower
(docs/evaluation.md). Blank lines and lines that begin a list item end a sentence before
sentencex sees the text, so a list's items are sentences even when they have no final stop (a
line opening with a dash or a letter's marker, "b)", begins one only when another line of its
block does too, or the line before ends a sentence: a PDF's lines also wrap before a dash, a
minus sign or a one-letter word, "...used to build\nR. Portable code"); so does a section
heading on its own line, numbered ("2.1.8 Promise objects", "Appendix B Configuration", a
function's name as the title, "6.3.2 attach() and detach()"; a
list's short title above a sentence, "1. Encoding") or Markdown's ("## Usage"), which would
otherwise open the sentence after it; such a line is one piece, even with a stop inside
("5.4.1 Mixed arithmetic. The recycling rule"). So does an unnumbered heading, a short line
standing alone above a sentence ("Opening hours" then "The museum opens at 10:00."), as a
plain-text file or a PDF drawing its headings in its text's size writes one: not a line of
prose wrapped short, which the next line's first word would not have fitted on. A sentence
never ends inside a word (sentencex cuts "https://CRAN." from "R-project.org"), nor where its
line wraps before a parenthesised word ("the command line interface\n(CLI) instead"), which
sentencex reads as a list's item. sentencex reads a line opening with a bullet ("•", "■",
"▶") as one item running to the next blank line, which a PDF's text seldom has: it sees a
hyphen there instead.
Nor does it end a sentence closed inside parentheses ("(Ah, the perspective of youth.) Of
course", "(Valid values are ‘a4’ and ‘executive’.) This"); that is done here, unless the stop is
an abbreviation's. Nor does it end a Thai or Lao
sentence (a space between two of its letters) or a Khmer one (its khan): done here too. What it
ends too soon goes on here: after a title it does not know ("Ms. Chua", "Lieut. Smith"), or a
question going on in lower case ("*Am I going crazy? * he sweated."). A Markdown code block
fenced by backticks is one piece, kept as written, lines and all: split, a program would be cut
at its first blank line and its lines run together. So is a PDF's program: lines opening on a
prompt, or two lines or more of operators only (a table of them, "$ @", "* /"). A definition
list's term alone on its line ("_R_CHECK_DOC_SIZES_", "--no-init-file") opens the sentence
its description starts with (a Texinfo table's "use readline library" in lower case too),
and the entry before ends there, with or without a stop.
`leans_back` tells a sentence that needs the one before it ("He ...", "However, ...").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import sentencex

from rag.text.languages import sentence_language

# the bullets after which sentencex finds no sentence end until a blank line
_SENTENCEX_BULLETS = "•⁃⁌⁍■□▪▫▶▸►◆◇○●◦★☆➢➣➤"
_AS_HYPHENS = str.maketrans(_SENTENCEX_BULLETS, "-" * len(_SENTENCEX_BULLETS))
_HAS_BULLET = re.compile(f"[{_SENTENCEX_BULLETS}]")  # a search is cheaper than a translate
_LETTER_MARKER = r"\(?[a-zA-Z][.)]"  # "b)", "(c)", "d."
_BULLETS = f"-*‣·–\uf0b7\uf0a7{_SENTENCEX_BULLETS}"  # a PDF's symbol font gives \uf0b7
# what opens a list's item: a bullet, "2.", "(b)", then a space
_ITEM_START = rf"[ \t]*(?:[{_BULLETS}]|\(?\d{{1,3}}[.)]|{_LETTER_MARKER})[ \t]"
# what opens a log's record: a date and a time, ISO's ("2026-11-30T08:17:45", bracketed or
# not) or syslog's ("Nov 30 08:17:45"); a log writes no stops, and read as prose its
# excerpt was one sentence, quoted whole for one line of it
_LOG_RECORD_START = (r"[ \t]*\[?(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d"
                     r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d "
                     r"\d\d:\d\d:\d\d)")
_LOG_RECORD = re.compile(_LOG_RECORD_START)
_BLOCK_BREAK = re.compile(
    r"\n[ \t]*\n\s*"  # a blank line
    rf"|\n(?={_ITEM_START})"  # a line that starts an item
    rf"|\n(?={_LOG_RECORD_START})"  # a line that starts a log's record
)
# a line that is a copyright notice ("Copyright © 1998–2020 Kurt Hornik", "© 2024 Acme"):
# a title page stacks them, each on its line and none ending in a stop, above the licence's
# prose, and read as prose they ran together and into its first sentence
_NOTICE_LINE = re.compile(
    r"^[ \t]*(?:(?:Copyright|©|\([cC]\))[ \t]*)+\d{4}\b[^\n]*(?<![,;&])$", re.MULTILINE)
_LEADING_BULLET = re.compile(rf"^[ \t]*[{_BULLETS}][ \t]+")
_ITEM = re.compile(_ITEM_START)
# the item markers that a wrapped line of prose can begin with too: a dash, a letter ("...used
# to build\nR. Portable code", "J. R. R. Tolkien"); each kind a list's items share. Not a
# number: a numbered list's items are often apart, one to a block, and "2." would join the
# line before it.
_WRAPPABLE_MARKERS = [re.compile(rf"^[ \t]*{marker}[ \t]", re.MULTILINE)
                      for marker in ("-", "–", _LETTER_MARKER)]
# "2.1.8 Promise objects", "8 Tools", "B.4 Scripting with R": a section number, a capital,
# no closing stop; "6.3.2 macOS": a third-level number, a few words; "7.3 How can I clean up
# my workspace?": an FAQ's question under a dotted number; "1. Encoding", "2.3. Data frames":
# a number closed by a stop, six words at most (a longer line is a list's step), no code
# or "8.3 on.exit", "7.3 .Internal and .Primitive": a function's dotted name as the title
_DOTTED_NAME = r"(?:\.[A-Za-z]\w*(?:\.\w+)*|[A-Za-z]\w*(?:\.\w+)+)(?:\(\))?"
# a call with a space before its "(" and its outputs assigned, if any: `is_signature`
_OUTPUTS = r"(?:(?:\[[^\]]*\]|[A-Za-z_]\w*)\s*=\s*)?"
_SIGNATURE = re.compile(_OUTPUTS + r"[A-Za-z_][\w.]*\s\(.*\)")
_SIGNED_NAME = re.compile(_OUTPUTS + r"([A-Za-z_][\w.]*)(?:\s|$)")
# control statements written like a call ("if (!is.numeric(x)) stop (...)"): no function's
# signature, whatever follows them
_CONTROL_WORDS = frozenset({"if", "elseif", "for", "while", "switch", "until", "return"})
# "Appendix B Configuration on a Unix-alike": a Texinfo manual's lettered appendix, the
# number its sections share ("B.1 Configuration options") after the word
_APPENDIX = r"Appendix[ \t]+[A-Z](?:\.\d{1,2})*"
# "6.3.2 attach() and detach()", "5.1 lapply and friends", "2.3 c()", "10.4 `...` argument":
# a manual titles a section by the function it is about, in lower case. Under a section's
# dotted number, six words at most, no stop closing it (nor one inside a closing bracket or
# quote, "3.9.1 and the routine removed in 3.10.1.)"), no code ("=", "<-") and no other
# number. A line of prose wrapped after a version or a measure ("2.1 and later", "1.5 times
# as long", "1.2 kg of flour 0.5 tsp salt") opens on a word that goes on a sentence, or
# holds another number
_GOES_ON_PROSE = (r"(?:and|or|but|nor|of|to|in|on|at|by|for|from|with|without|than|as|is|are"
                  r"|was|were|be|been|the|a|an|that|which|if|then|so|not|times|per)")
_LOWER_CASE_TITLE = (
    r"(?:\d{1,2}|[A-Z])(?:\.\d{1,2})+[ \t]+(?=[a-z`‘'\"“])(?!" + _GOES_ON_PROSE + r"\b)"
    r"(?![^\n]*(?:=|<-|(?<!\S)[\d.,]+(?!\S)))\S+(?:[ \t]+\S+){0,5}"
    r"(?<![.,;:!?])(?<![.,;:!?][)\]’'\"”])")
# "12.2 64-bit types", "B.1 32-bit Windows", "4.3 3D plots": a section titled by a word that
# opens with figures joined to letters, then words with no stop closing them and no other number
_FIGURED_TITLE = (
    r"(?:\d{1,2}|[A-Z])(?:\.\d{1,2})+[ \t]+\d+-?[A-Za-z][A-Za-z-]*"
    r"(?![^\n]*(?:=|<-|(?<!\S)[\d.,]+(?!\S)))(?:[ \t]+[A-Za-z][\w-]*){0,5}(?<![.,;:!?])")
_HEADING = re.compile(
    r"(?:(?:\d{1,2}|[A-Z])(?:\.\d{1,2})+|\d{1,2})[ \t]+[A-Z][^\n]{0,70}(?<![.,;:!?])"
    r"|(?:\d{1,2}|[A-Z])(?:\.\d{1,2}){2,}(?:[ \t]+[A-Za-z][\w-]*){1,4}"
    r"|(?:\d{1,2}|[A-Z])(?:\.\d{1,2})+[ \t]+[A-Z][^\n]{0,70}\?"
    r"|\d{1,2}(?:\.\d{1,2})*\.[ \t]+[A-Z](?![^\n]*=)\S*(?:[ \t]+\S+){0,5}(?<![.,;:!?])"
    r"|(?:\d{1,2}|[A-Z])(?:\.\d{1,2})*[ \t]+" + _DOTTED_NAME
    + r"(?:[ \t]+(?:vs\.?|and|or)[ \t]+" + _DOTTED_NAME + r")?"
    r"|" + _APPENDIX + r"[ \t]+[A-Z][^\n]{0,70}(?<![.,;:!?])"
    r"|" + _LOWER_CASE_TITLE + r"|" + _FIGURED_TITLE)
_HEADING_LINE = re.compile(r"^[ \t]*(?:" + _HEADING.pattern + r")[ \t]*$", re.MULTILINE)
# "## Intended uses": capitalised, no closing stop, no code ("=", "f("), unlike a comment in
# code ("# you should now see", "# Create queue q = queue.Queue()"); or one word of any case,
# a name ("# all-MiniLM-L6-v2"); or opening on a code span, as a reference's headings name a
# command or a route ("### `rag keys add USER`", "### `GET /health`"); or on a version, as a
# changelog's do ("## v2.10.3 (2026-03-14)", "## [2.10.3] - 2026-03-14"), or a name
# capitalised inside ("## macOS install notes")
_MARKDOWN_HEADING = re.compile(
    r"#{1,6}[ \t]+(?![^\n]*(?:=|\w\())"
    r"(?:[A-Z0-9][^\n]*|`[^`\n]+`[^\n]*|v\d[^\n]*|\[[^\n]*|[a-z]+[A-Z][^\n]*|\S+)"
    r"(?<![.,;:!?])")
_MARKDOWN_HEADING_LINE = re.compile(r"^[ \t]*" + _MARKDOWN_HEADING.pattern + r"[ \t]*$",
                                    re.MULTILINE)
_HEADING_WORDS = 10
# an unnumbered heading's line ("Opening hours", "Section 3: Lighthouses"): a capital, a
# few words, no closing stop or quote, no mark of code, a formula, a table or a list ("=",
# "_", "%", "+", ";", "|", a tab, two spaces between columns: "M_1 %in% M_2" is a term its
# description follows), nor a word a wrapped line of prose stops on ("...built by the")
_PLAIN_HEADING_LINE = re.compile(
    r"^[ \t]*(?=[^\W\d_])[^\n=;{}<>|\t`_%$\\@#^~*+→]{1,60}?"
    r"(?<![.,;:!?\-–(\[/&\"“”‘’'])[ \t]*$", re.MULTILINE)
# a word written as code or a formula, as a reference's terms are ("InitialStep",
# "JPattern", "Octave:addpath-pkg", "H2O", a key "C-q"): the term of a definition list, whose
# description is no sentence of its own
_CODE_SHAPED = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]|\w:\w|[A-Za-z]\d|\b[A-Z]-\w\b")
_PLAIN_HEADING_WORDS = 8
_PROSE_LAST_WORDS = frozenset(
    re.sub(r"[()?:]", "", _GOES_ON_PROSE).split("|")
    + "my his her its our your their this these those into onto about over under after "
      "before between through who whose when where while because has have had will would "
      "can could should may might must very most more such each every some any no all "
      "both".split())
# a line broken on purpose fills at most this share of the text's widest line with the next
# line's first word: a line of prose wraps only when that word would not fit
_HEADING_LINE_FILL = 0.7
_PROSE_LINE_WORDS = 3  # a sentence's line holds at least this many words
_STACKED_HEADINGS = 3  # a title above a section's heading, above the sentence it opens
_SENTENCE_CLOSED = re.compile(r"[.!?][\"”’')\]]*[ \t]*$")
_STOP = re.compile(r"[.!?][\"”’')\]]*(?:\s|$)")
# a sentence's end inside a line: not an initial's ("Adam H. Aitkenhead")
_SENTENCE_INSIDE = re.compile(r"(?:[a-z]{2}|\d)[.!?][\"”’')]*[ \t]+[\"“‘']?[A-Z]")
# a definition list's term alone on its line, as a PDF or a man page writes a reference's
# entries: a name written as code, one word with no closing stop. An option ("-q",
# "--no-init-file", "--prefix=DIR"), a variable ("$HOME", "%PATH%"), or a name with an
# underscore, a capital inside, an inner or a leading dot, or a call's "()"
# ("_R_CHECK_DOC_SIZES_", "copyMostAttrib", "print.default", "on.exit()"). Not a plain word
# ("make", "Introduction") nor one in capitals (an address's "USA"), nor "R_BaseNamespace."
# ending a wrapped sentence, nor a setting ("R_X_=TRUE", an example a sentence goes on after)
_TERM = (r"(?:--?[A-Za-z][\w-]*(?:=\S+)?"
         r"|[$%]\{?[A-Za-z_]\w*\}?%?"
         r"|(?=\S*(?:_|[a-z][A-Z]|\w\.\w|\(\))|\.)\.?[A-Za-z_]\w*(?:\.\w+)*(?:\(\))?)")
_TERM_WORD = re.compile(_TERM)
_TERM_LINE = re.compile(rf"^[ \t]*{_TERM}[ \t\r]*$", re.MULTILINE)
# the first line of a term's description: a capitalised word opens it ("Should", "A"; not
# "OR" between two commands), after an alias of the option at most ("--help" then "-h Print
# short help message and exit.")
_ALIAS = r"[ \t]*(?:--?[A-Za-z][\w-]*,?[ \t]+)?"
_DESCRIPTION = re.compile(_ALIAS + r"(?:[\[(“\"‘'][A-Z]|[A-Z][a-z \t])")
# or a word in lower case, as a Texinfo table of options writes it ("--with-readline" then
# "use readline library (if available) [yes]"), under one term: after a run of names the
# sentence listing them goes on ("libopenblas.so" "libopenblasp.so" then "respectively, ...")
_LOWER_CASE_DESCRIPTION = re.compile(_ALIAS + r"[a-z]")
# a sentence after a list's entries: a capitalised word, then one in lower case
_STARTS_PROSE = re.compile(r"[ \t]*[A-Z][a-z]+[ \t]+[a-z]")
# a line opening on a function's call and going on in lower case ("attach() is a generic")
_OPENS_ON_A_CALL = re.compile(r"[ \t]*\.?[A-Za-z_][\w.]*\(\)[ \t]+[a-z]")
_ENDS_SENTENCE = re.compile(r"[.!?:)\"”’]\s*$")
_STARTS_SENTENCE = re.compile(r"[\[(“\"‘']?[A-Z]")
_SPACE = re.compile(r"\s+")
# a sentence pointing ahead to a program: a word for one with "following" before it or
# "below" after it ("the following code", "An example is given below"), or "like this".
# "the following" alone or before other words ("packages", "table") mostly opens a list
_POINTS_TO_CODE = re.compile(
    r"\bfollowing\s+(?:[\w-]+\s+){0,2}?(?:examples?|code|functions?|fragment|programs?"
    r"|definitions?|commands|script|statements?|declarations?|expressions?|assignments?)\b"
    r"|\b(?:examples?|code|functions?|fragment|programs?|definitions?)\s+"
    r"(?:(?:is|are)\s+(?:given\s+|shown\s+)?)?below\b"
    r"|\blike this\.$", re.IGNORECASE)
# quotes and brackets closing a piece: a caption ending on a quoted name ('... the specific
# variable "foobar"') has no stop for all its closing quote
_CLOSING_MARKS = re.compile(r"[)\]\"”’']+$")
# a sentence going on in the example after it: "... with an expression argument, e.g.,",
# "..., for example,", "..., i.e." (a comma, or an abbreviation, where it would stop)
_GOES_ON_IN_EXAMPLE = re.compile(r"(?:,|\b(?:e\.g|i\.e)\.)$", re.IGNORECASE)
# the opening of an example ending a sentence: "..., e.g.,", "..., for instance", "such as"
_OPENS_EXAMPLE = re.compile(r"\b(?:e\.g\.|i\.e\.|for (?:example|instance)|such as),?$",
                            re.IGNORECASE)
# a sentence ending on a pointer to what follows it, a program, a table or a list: "... might
# look as follows.", "The output is shown below.", "It reads like this:"
_POINTS_AHEAD = re.compile(r"\b(?:as follows|(?:shown|given|listed|printed) below|like this"
                           r"|(?:as )?in the following)[.:]$", re.IGNORECASE)
# a word for an example or a program, which a sentence ending on a colon says follows it ("Here
# is a small example of creating an R numeric vector in C code:"); a colon after other words
# may open what someone says, or a list
_NAMES_EXAMPLE = re.compile(r"\b(?:examples?|code|programs?|commands?|scripts?|snippets?"
                            r"|fragment|as follows)\b", re.IGNORECASE)
# a line opening with a parenthesised word or number, "(CLI)", "(x)", "(iii)", "(2)"
_PARENTHESIS_OPENS_LINE = re.compile(r"\n(?=[ \t]*\([^\W_]{1,8}\))")
_PARENTHESISED_ITEM = re.compile(r"\([^\W_]{1,8}\)")
_LINE_ENDS = frozenset(".!?:;")
_MARKER = re.compile(r"\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]")  # "1." alone is no sentence
# the prepositions and conjunctions an opening phrase or clause starts with
_OPENER = ("(?:if|when|once|unless|since|because|for|with|from|at|by|to|on|in|after|before|"
           "like|as|while|although|during|without|under|over)")
# a demonstrative, or "such" but in "such as" (an example), "such that" (a condition) or "in
# such good spirits as" (a comparison)
_POINTER = r"(?:this|these|those|such(?!(?: [\w-]+){0,3} (?:as|that)\b))"
# a third person's pronoun as a clause's subject, which names what a sentence before it does
# (a possessive in an opening phrase may name the clause's subject: "With their record, the
# Panthers clinched ...")
_SUBJECT_PRONOUN = r"(?:he|she|it|they)"
# a verb "also" follows when it adds to what was said just before ("is also saved")
_AUXILIARY = (r"(?:is|are|was|were|has|have|had|can|could|will|would|may|might|must|should|"
              r"does|do|did)")
# a sentence opening with one of these words refers back to the sentence before it
_LEANS_BACK = re.compile(
    r"(he|she|it|its|they|them|their|his|her|hers|this|that|these|those|such|there|then|"
    r"thus|hence|however|but|also|so|therefore|moreover|furthermore|instead|otherwise|"
    r"meanwhile|afterwards|later|still|yet|besides|nevertheless|consequently|likewise|"
    r"similarly|both|neither|the latter|the former|in addition|as a result|for example|"
    r"if so|if not|another|the other|the same|all (?:the )?other|"
    # a reply to the question before it: "Yes, instead of just running it in a console."
    r"(?:yes|no)(?=,)|"
    r"in (?:this|that|these|those) \w+|"
    # "The result is also saved by ...": "also" after the verb of a definite subject adds to
    # what the sentence before said of it, which "the result" names
    rf"the (?:[\w'’-]+ ){{0,2}}[\w'’-]+ {_AUXILIARY} also|"
    r"\w+ of (?:this|that|these|those|them|it|its|their)|"  # "Members of this group"
    # "Once this function is defined", "On some systems this will", "To read such files": a
    # pointer among the first words ("that" is as often a conjunction: "Note that ...")
    rf"(?:\w+,? ){{1,3}}{_POINTER}|"
    # "For a large data set, this takes": one heading the main clause after an opening phrase
    # ("Here is another example, this time ..." opens on its main clause)
    rf"{_OPENER} (?:[\w'’.-]+ ){{0,5}}[\w'’.-]+, {_POINTER}|"
    # "By default it creates ...", "In most cases, they": a subject pronoun after an opening
    # phrase
    rf"{_OPENER} (?:[\w'’.-]+,? ){{0,3}}{_SUBJECT_PRONOUN}|"
    # "If that variable is unset", "For that reason": after a preposition or a conjunction
    # "that" points back ("Note that", "so that", "given that" join a clause)
    rf"(?:\w+ ){{0,3}}{_OPENER} that)\b",
    re.IGNORECASE)
# a sentence closed inside parentheses, before a capital: "(Ah, the perspective of youth.) Of
# course" (sentencex reads ".)" as no end); the word before the stop tells an abbreviation
# the word is matched from its start only: from every letter of a long run of them (a hex
# dump) the search would read the rest of the run again. A quotation closing before the stop
# ("(Valid values are ‘a4’ and ‘executive’.)", "levels "T" or "F".)") ends no abbreviation
_CLOSED_IN_PARENTHESES = re.compile(
    r"(?<![\w'’])(\w*(?:['’]\w+)*)([\"”’']?)([.!?])[\"”’]?\)(?=[ \t\n]+[\"“(]?[A-Z])")
# "(Smith et al.) The method", "(see Fig.) Then": the stop of these ends no sentence
# Chinese and Japanese, written without a space after a sentence's stop: there a stop that
# touches the next word still ends a sentence...
CJK_TEXT = re.compile("[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                      "\uf900-\ufaff\uff00-\uffef]")
# ...but not a quotation's, when the sentence goes on after it ("「止まれ！」と彼は叫んだ。")
_QUOTATION_GOES_ON = re.compile("[」』][とっ]")
# Thai and Lao end a sentence with a space between two of their letters (not after their
# repetition marks ๆ ໆ or abbreviation marks ฯ ຯ, which a space follows inside a sentence),
# Khmer with its khan
_SCRIPT_END = re.compile(
    r"(?<=[\u0e00-\u0e2e\u0e30-\u0e45\u0e47-\u0eae\u0eb0-\u0ec5\u0ec7-\u0eff])[ \t]+"
    r"(?=[\u0e00-\u0eff])|(?<=[\u17d4\u17d5])\s*")
# what every cut `_missed_ends` makes holds: a stop closing a parenthesis (".)", "!”)"), a
# Thai, Lao or Khmer letter or mark, Russian's "т." ("т. д.")
_CUT_MARK = re.compile("[.!?][\"”’]?\\)|[тТ\u0e00-\u0eff\u17d4\u17d5]")
_CUT_MARK_CHARS = 3  # the longest mark: one may begin this many characters before a join
# a Markdown fence's line: up to three spaces, then ``` and an info string without backticks;
# a line of backticks at least as long, alone, closes it. Not Markdown's ~~~ fences: a line of
# tildes underlines a heading in plain text (reStructuredText's style), and two such headings
# would fence the text between them
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,})[^`\n]*$", re.MULTILINE)
# a program's lines a PDF writes without a fence (a manual's examples, a session's
# transcript): a line opening on a prompt ("> help(solve)", "R> .3 + .6 == .9", ">>> import
# os", "$ make", a numbered one: Octave's "octave:13> f ()", IPython's "In [3]: x"), then the
# lines after it continuing the command ("+ ", "... ", "...: ") or showing its output as R,
# knitr and IPython mark it ("[1] FALSE", "[2,] 0.59", "[,1]", "## [1] 3", "Out[3]: 2"), an
# interpreter's message ("error: 'x' undefined") or the caret marking where the line above
# went wrong ("^", "~~~^"). Read as prose they ran into the sentences around them, R's
# "[1]" read as a citation's marker, and a caret opened the sentence after it
_PROMPT = re.compile(r"^[ \t]*(?:R>|>>>|>|\$(?![ \t]*\d)|\w+:\d+>|In \[\d+\]:)[ \t]+\S",
                     re.MULTILINE)
# a line of operators only, each a run of symbols or R's "%xyz%", a parenthesised note of
# words after them: a language reference's table of them ("$ @", "> >= < <= == !=", "* /",
# "+ - (binary)"). No prompt opens it: read as a shell's or R's commands and list items, a
# precedence list is cut into pieces, most of its levels left out of the answer
_OPERATOR = r"(?:[!-/:-@\[-`{-~]+|%\w*%)"  # ASCII's symbols, or R's "%in%"
_OPERATORS = (rf"[ \t]*(?=[^\n]*[-+*/^<>=!&|~$@:]){_OPERATOR}(?:[ \t]+{_OPERATOR})*"
              r"(?:[ \t]+\([A-Za-z][A-Za-z ]*\))?[ \t]*")
_OPERATOR_LINE = re.compile(_OPERATORS + "$")
# two such lines or more in a row are a table of operators, quoted on its lines as code is
# (no list's items); one alone may be a scene's break ("* * *") or a rule
_OPERATOR_RUN = re.compile(rf"^(?:{_OPERATORS}(?:\n|$)){{2,}}", re.MULTILINE)
# an example's one line of code, an assignment, between a sentence ending with a colon and a
# capitalised sentence ("use the left division operator, '\\':", "x = A \\ b", "This is
# ..."): with no stop before the sentence after it, the two were read as one
_EXAMPLE_LINE = re.compile(r"(?<=:\n)[ \t]*[A-Za-z_][\w.]*(?:\[[^\]\n]*\])?[ \t]*(?:<-|=)"
                           r"[^\n]*[^\s.,;](?=\n[ \t]*[\[(“\"‘']?[A-Z])")
# Texinfo's marks of what an example gives: its result, its output
_RESULT_MARKS = str.maketrans("", "", "⇒⊣")
_AFTER_PROMPT = re.compile(r"[ \t]*(?:(?:\+|\.\.\.:?|##|Out\[\d+\]:)[ \t]+\S"
                           r"|\[\d*,?\d*\](?:[ \t]|$)|(?:error|warning):[ \t]|[~^]*\^[~^]*[ \t]*$)")
# an interpreter's message, which a line of prose may announce between the command and it
# ("octave:13> f ()", "Octave will respond with", "error: 'x' undefined")
_MESSAGE = re.compile(r"[ \t]*(?:error|warning):[ \t]")
# a quotation's or an e-mail's "> " opens a line of prose, not a command: a command writes
# a sign of code ("help(solve)", "?solve", "x <- 1") and no run of plain words outside its
# strings ("> Note that the")
_PLAIN_QUOTE = re.compile(r"[ \t]*>[ \t]")
_SIGN_OF_CODE = re.compile(r"[()\[\]{}=<?~+*/^$\"'\d-]")
_PLAIN_WORDS = re.compile(r"(?<![\w.$])[A-Za-z]+,?(?: [A-Za-z]+,?){2}(?![\w(.])")
# a function's call, its value assigned or not ("rm(x, y, z)", "fm <- lm(y ~ x, data = d)"):
# a command, whatever words its arguments are
_CALL = re.compile(r"[ \t]*(?:[A-Za-z_.][\w.]*[ \t]*(?:<-|=)[ \t]*)?[A-Za-z_.][\w.]*\(.*\)[ \t;]*")
# Markdown's marks in a quotation: a code span, bold, a GitHub alert ("> [!NOTE]")
_MARKDOWN_IN_QUOTE = re.compile(r"`|\*\*|__|^\s*\[!")
_STRING = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'")
# what a sentence goes on with after a program's lines inside it, never opens with: a clause's
# mark, or a word in lower case after brackets or quotes ("(alternatively, ls()) can be")
_CLAUSE_MARKS = frozenset(",;")
_OPENING_MARKS = "([“‘\"'"
_NAME = re.compile(r"[A-Za-z_.][\w.]*")
# a word's question or exclamation, its quotation closed by any mark ("?*", "!'", or none;
# not code's "%!" or "#!")...
_ASKS_OR_EXCLAIMS = re.compile(r"[^\W_][*_\"'”’`]*[?!]+[*_\"'”’`]*$")
# ...and a piece going on in lower case after it: the same sentence, which sentencex ends only
# when a quote mark it knows closes the quotation ("“Where?” he asked")
_GOES_ON_IN_LOWER_CASE = re.compile(r"[*_\"'”’`]*\s*[^\W\d_]")
# titles and counts whose stop sentencex reads as a sentence's end ("Ms. Chua", "approx. 4
# kg"); the ones it knows ("Mr.", "Dr.", "No.") it reads right
_BEFORE_A_NAME = re.compile(r"(?<![\w.])(?:Ms|Mx|Lieut|Revd|Sra|Srta|Ft|Mmes|Messrs)\.$")
# a language's abbreviations that sentencex's rules for it read as a sentence's end: French
# titles before a name ("M. Dupont", "Mme Roux" is written without a stop), Russian's "that
# is" and "since" ("т. е.", "т. к."), Dutch's "among others" ("o.a.") and titles, Portuguese
# "avenue" and titles ("Av. Paulista")
_GOES_ON_AFTER = {
    "fr": re.compile(r"(?<![\w.])(?:M|MM|Mlle|Mme|Mgr|Me|Pr)\.$"),
    "ru": re.compile(r"(?<![\w.])т\.\s?[ек]\.$", re.IGNORECASE),
    "nl": re.compile(r"(?<![\w.])(?:o\.a|Mevr|Dhr|bijv|d\.w\.z|m\.a\.w)\.$", re.IGNORECASE),
    "pt": re.compile(r"(?<![\w.])(?:Av|Sr|Sra|Dr|Dra|Exmo|Exma)\.$"),
}
# "and so on" ("и т. д.", "и т. п."): most often a sentence's end, which sentencex's rules for
# the language never read as one; a capital after it opens the next
_ENDS_BEFORE_A_CAPITAL = {
    "ru": re.compile(r"(?<![\w.])[тТ]\.\s?[дп]\.(\s+)(?=[А-ЯЁA-Z])"),
}
# abbreviations a number follows: a count's, an address's or a phone's, a day's or a month's
_BEFORE_A_NUMBER = re.compile(
    r"(?<![\w.])(?:approx|vol|figs|est|tel|ph|fax|ext|rm|bldg|apt|ste|mon|tue|tues|wed|thu|"
    r"thur|thurs|fri|sat|sun|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.$",
    re.IGNORECASE)
# a unit's abbreviation, which the sentence goes on after in lower case ("3 lbs. and 2 oz.")
_UNIT_BEFORE_A_WORD = re.compile(r"(?<=\d )(?:lbs?|oz|ft|yds?|sq|gal|qts?|pts?|hrs?|mins?|"
                                 r"secs?)\.$", re.IGNORECASE)
# what `_ASKS_OR_EXCLAIMS` allows after its letter: a sentence's end of these alone is read whole
_ASKING_MARKS = "*_\"'”’`?!"
# the characters `_goes_on` reads at a sentence's end: its longest abbreviation and the
# character before it, many times over
_ENDING_CHARS = 100
_LETTERED = re.compile(rf"{_LETTER_MARKER}[ \t]")  # an item's letter, wherever the line broke
_ABBREVIATIONS = frozenset(
    "al etc cf vs fig figs eq no nos vol pp ed eds approx ca st mr mrs ms dr jr sr inc ltd co "
    "corp gen capt col lt sgt prof rev".split())


@dataclass(frozen=True)
class Sentence:
    """A sentence's text with its white space collapsed (a fenced code block's as written;
    one the text begins inside under its opening fence, `split`), and where it lies in the
    source text (`text[start:end]`, stripped)."""

    text: str
    start: int
    end: int


def without_bullet(sentence: str) -> str:
    """A list item that is a sentence of its own (it opens with a capital) without the bullet
    it opens with: the list's layout, not the item's words. An item in lower case keeps it
    (quoted alone, "• data frames are ..." reads as the item it is), and so does a number (a
    step's or a rule's own)."""
    bare = item_text(sentence)
    return bare if bare[:1].isupper() else sentence


def item_text(sentence: str) -> str:
    """A list item without its bullet, in whatever case; a number or a letter ("2.", "(b)")
    stays, the item's own."""
    bullet = _LEADING_BULLET.match(sentence)
    return sentence if bullet is None else sentence[bullet.end():]


def is_list_item(sentence: str) -> bool:
    """Whether a piece opens as a list's item does: a bullet, "2.", "(b)"."""
    return _ITEM.match(sentence) is not None


def leans_back(sentence: str) -> bool:
    """Whether a sentence refers to the one before it for its subject ("He ...", "This
    ...", "However, ..."): alone it says less than it means."""
    return _LEANS_BACK.match(sentence) is not None


def is_heading(sentence: str) -> bool:
    """Whether a sentence is a numbered or Markdown section heading: a title, not something to
    quote."""
    return ((_HEADING.fullmatch(sentence) is not None
             or _MARKDOWN_HEADING.fullmatch(sentence) is not None)
            and len(sentence.split()) <= _HEADING_WORDS + 1)


def _heading_breaks(text: str) -> list[tuple[int, int]]:
    """The line ends around each numbered or Markdown heading. After a numbered one the next
    line starts a sentence; a chapter's number alone ("8 Tools") must also follow a finished
    sentence (or open the text), or "...there were\n3 Packages in it" would be one."""
    breaks = []
    for match in _MARKDOWN_HEADING_LINE.finditer(text) if "#" in text else ():
        start, end = match.start(), match.end()
        breaks += [(start - 1, start)] if start > 0 else []
        breaks += [(end, end + 1)] if end < len(text) else []
    for match in _HEADING_LINE.finditer(text):
        start, end = match.start(), match.end()
        heading = match.group().strip()
        if not is_heading(heading):
            continue
        if (start > 0 and "." not in heading.split()[0]
                and not _ENDS_SENTENCE.search(text[max(0, start - 201):start - 1])):
            continue
        if end < len(text) and not _apart_after_heading(text, end + 1, heading):
            continue
        breaks += [(start - 1, start)] if start > 0 else []
        breaks += [(end, end + 1)] if end < len(text) else []
    return breaks


def _notice_breaks(text: str) -> list[tuple[int, int]]:
    """The line ends around each copyright notice on a line of its own (`_NOTICE_LINE`):
    each notice is a piece, and the sentence after them opens its own."""
    breaks = []
    marked = "opyright" in text or "©" in text or "(c)" in text or "(C)" in text
    for match in _NOTICE_LINE.finditer(text) if marked else ():
        start, end = match.start(), match.end()
        breaks += [(start - 1, start)] if start > 0 else []
        breaks += [(end, end + 1)] if end < len(text) else []
    return breaks


def _plain_heading_breaks(text: str) -> list[tuple[int, int]]:
    """The line ends around each unnumbered heading: a short line or a few of them
    (`_PLAIN_HEADING_LINE`) standing alone, the text opening or a blank line or a finished
    sentence before them, and a sentence opening after them ("Admission" then "Entry to the
    museum costs 7 pounds."), which it would otherwise open. Not a line of prose wrapped short
    (the next line's first word would not have fitted on it, `_HEADING_LINE_FILL`), nor a run
    of short lines ending on no stop (a list, an address, a form's fields)."""
    if "\n" not in text:
        return []
    candidates = [found for found in _PLAIN_HEADING_LINE.finditer(text)
                  if _reads_as_plain_heading(found.group().strip())]
    if not candidates:
        return []
    width = max(map(len, text.splitlines()))
    breaks: list[tuple[int, int]] = []
    stack: list[re.Match[str]] = []
    for found in candidates:
        if stack and found.start() != stack[-1].end() + 1:
            stack = []
        if not stack and not _stands_alone_after(text, found.start()):
            continue
        stack.append(found)
        if len(stack) > _STACKED_HEADINGS:
            stack = []
            continue
        if _opens_sentence_after(text, found, width) and (
                len(stack) == 1 or not any(":" in line.group() for line in stack)):
            breaks += [(line.start() - 1, line.start()) for line in stack if line.start() > 0]
            breaks.append((found.end(), found.end() + 1))
            stack = []
    return breaks


def _reads_as_plain_heading(line: str) -> bool:
    """Whether a line may be a heading by its words: a few, opening on a capital, none
    written as code, nor a constant's name alone ("BACKSPACE", "WCONTINUE"); after a colon, a
    title's capital ("Section 3: Lighthouses"), not a type a term is given ("Events: function
    handle")."""
    words = line.split()
    _, colon, after = line.partition(": ")
    return (line[:1].isupper() and len(words) <= _PLAIN_HEADING_WORDS and "  " not in line
            and words[-1].lower() not in _PROSE_LAST_WORDS
            and not (len(words) == 1 and line.isupper()) and not _CODE_SHAPED.search(line)
            and not (colon and not after[:1].isupper() and not after[:1].isdigit())
            and not _SENTENCE_INSIDE.search(line) and not _ITEM.match(line)
            and not _LOG_RECORD.match(line) and not _TERM_WORD.fullmatch(line)
            and not is_heading(line))


def _stands_alone_after(text: str, start: int) -> bool:
    """Whether the line starting at `start` opens the text, or follows a blank line or a
    finished sentence."""
    if start == 0:
        return True
    before = text[text.rfind("\n", 0, start - 1) + 1:start - 1]
    return not before.strip() or _SENTENCE_CLOSED.search(before) is not None


def _opens_sentence_after(text: str, heading: re.Match[str], width: int) -> bool:
    """Whether the line after `heading` opens a sentence: a capital, words enough for one, a
    stop closing it or the line wrapped near the text's width; and `heading` is no line of
    prose wrapped before that line's first word."""
    at = heading.end() + 1
    if at >= len(text):
        return False
    line_end = text.find("\n", at)
    line = text[at:line_end if line_end >= 0 else len(text)].strip()
    words = line.split()
    if (len(words) < _PROSE_LINE_WORDS or not _opens_as_a_sentence(words[0])
            or len(heading.group().rstrip()) + 1 + len(words[0]) > _HEADING_LINE_FILL * width):
        return False
    if _SENTENCE_CLOSED.search(line) or _SENTENCE_INSIDE.search(line):
        return True
    # a sentence wrapped over lines: this one near the widest, a stop before the paragraph ends
    paragraph_end = text.find("\n\n", at)
    return (len(line) >= _HEADING_LINE_FILL * width and _STOP.search(
        text, at, paragraph_end if paragraph_end >= 0 else len(text)) is not None)


def _opens_as_a_sentence(word: str) -> bool:
    """Whether `word` may open a sentence: a capital, then letters in lower case ("The",
    "Über"), not a name written as code ("R_HOME") that a line of prose may wrap before."""
    word = word.lstrip("\"“‘'").rstrip(",")
    rest = word[1:].replace("-", "").replace("’", "").replace("'", "")
    return word[:1].isupper() and (not rest or (rest.isalpha() and rest.islower()))


def _term_breaks(text: str) -> list[tuple[int, int]]:
    """The line end before each definition list's term alone on its line (`_TERM_LINE`, or a
    run of them: an option's aliases) above the first line of its description: the entry
    before ends there, whether or not its last line closes on a stop ("Default: 5" then
    "_R_CHECK_DOC_SIZES_" then "Should qpdf be used ..."), unless it is a list of names that
    the term ends. The term stays with the sentence its description opens with, as an HTML
    definition list's does. Only in a list, two such entries or more: a single one may be an
    example displayed on its own line ("by specifying" then "R_OPENMP_CFLAGS"), which the
    sentence before it introduces."""
    runs: list[list[int]] = []
    for found in _TERM_LINE.finditer(text):
        if runs and found.start() == runs[-1][1] + 1:
            runs[-1][1] = found.end()
        else:
            runs.append([found.start(), found.end()])
    entries = [(start, end) for start, end in runs if _opens_description(text, start, end)
               and not _names_only(text[text.rfind("\n", 0, start - 1) + 1:max(start - 1, 0)])]
    if len(entries) < 2:  # one alone may as well be an example a sentence introduces
        return []
    starts = [start for start, _ in entries]
    first_on_one_line = _entry_on_one_line(text, entries[0][0])
    if first_on_one_line is not None:
        starts.insert(0, first_on_one_line)
    after_last = _after_last_description(text, entries[-1][1])
    return [(start - 1, start) for start in starts if start > 0] + (
        [(after_last - 1, after_last)] if after_last is not None else [])


def _entry_on_one_line(text: str, first: int) -> int | None:
    """Where the line before a list's first term alone on its line starts, when it is an
    entry too, its term short enough to share its line with its description ("--with-x use
    the X Window System [yes]" above "--x-includes=DIR"): a term of the same kind (an option
    after an option) then words."""
    if first < 2:
        return None
    line_start = text.rfind("\n", 0, first - 1) + 1
    line = text[line_start:first - 1]
    term = _TERM_WORD.match(line.lstrip())
    words = line.split()
    if (term is None or len(words) < 3 or term.end() != len(words[0])
            or not _same_kind(words[0], text[first:].lstrip()[:1])):
        return None
    return line_start + len(line) - len(line.lstrip())


def _same_kind(term: str, other_first: str) -> bool:
    """Whether a term opens as another does: an option's dash, a variable's sign."""
    return term[:1] in "-$%" and term[:1] == other_first


def _after_last_description(text: str, end: int) -> int | None:
    """Where the sentence after a list's last entry starts, when the entry's description is
    the one line after its term, with no stop, and a capitalised sentence follows on a line of
    its own ("attempt to compile support for Rprof() [yes]" then "You can use --without-foo
    ..."): the description runs no further, a list's descriptions being a line each."""
    description_end = text.find("\n", end + 1)
    if description_end < 0:
        return None
    following = text[description_end + 1:]
    if not _STARTS_PROSE.match(following) or _TERM_LINE.match(following):
        return None
    return description_end + 1


def _opens_description(text: str, start: int, end: int) -> bool:
    """Whether the line after the run of terms `text[start:end]` opens their description:
    capitalised (`_DESCRIPTION`), or in lower case under a single term
    (`_LOWER_CASE_DESCRIPTION`)."""
    if _DESCRIPTION.match(text, end + 1):
        return True
    return "\n" not in text[start:end] and _LOWER_CASE_DESCRIPTION.match(text, end + 1) is not None


def _names_only(line: str) -> bool:
    """Whether a line holds names written as code and nothing else (".primTrace
    .primUntrace"): a list of them, which the name on the next line ends."""
    words = line.split()
    return bool(words) and all(_TERM_WORD.fullmatch(word) for word in words)


def _section_number(heading: str) -> str:
    """A numbered heading's number ("2.1", "B"), its closing stop left out: an appendix's
    letter after the word ("Appendix B ...")."""
    words = heading.split()
    number = words[1] if words[0] == "Appendix" and len(words) > 1 else words[0]
    return number.rstrip(".")


def _apart_after_heading(text: str, at: int, heading: str) -> bool:
    """Whether the line starting at `at`, after a heading line, is no part of it: a sentence,
    the heading of its first subsection ("5 R Add-On Packages" then "5.1 Which add-on
    packages exist?"), or anything at all after an FAQ's numbered question, whose "?" ends it
    ("7.2 How can I save my workspace?" then "save.image() saves ...", code in lower case).
    Not any numbered line: a table's rows ("1.1 P 23646" then "2.1 CC 26174") would each be
    taken for a heading."""
    number = _section_number(heading)
    if heading.endswith("?") and "." in number:
        return True
    if _STARTS_SENTENCE.match(text[at:at + 80].lstrip()):
        return True
    # a section's first sentence may open on the function it is about ("attach() is ...")
    if "." in number and _OPENS_ON_A_CALL.match(text, at):
        return True
    line = _HEADING_LINE.match(text, at)
    return (line is not None and line.group().split()[0].startswith(number + ".")
            and is_heading(line.group().strip()))


class _Blocks:
    """Where a text's blank lines are, and how many lines of each block start as a list
    item does: counted once a block (a list of n items asks n times), each block found by
    bisection (searching back from each item would read the list again each time)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.blank_lines = [m.start() for m in re.finditer(r"(?=\n\n)", text)]
        self.counted: dict[tuple[int, str], int] = {}

    def items(self, at: int, marker: re.Pattern[str]) -> int:
        """The lines starting as `marker` in the block holding `at`."""
        before = bisect.bisect_right(self.blank_lines, at - 2) - 1
        start = self.blank_lines[before] if before >= 0 else 0
        key = (start, marker.pattern)
        if key not in self.counted:
            after = bisect.bisect_left(self.blank_lines, at + 1)
            end = self.blank_lines[after] if after < len(self.blank_lines) else len(self.text)
            self.counted[key] = sum(1 for _ in marker.finditer(self.text[start:end]))
        return self.counted[key]


def _wrapped(text: str, at: int, blocks: _Blocks) -> bool:
    """Whether the line starting after `at` ("\n– June 1526; ...", "\nk. Otherwise") goes on
    with the line before it rather than starting a list item: a PDF's lines wrap wherever the
    layout put them, before a dash, a minus sign or a one-letter word too. It does when no
    other line of its block starts as it does (a list has two items or more) and the line
    before it ends no sentence."""
    line = text[at + 1:at + 40]
    marker = next((m for m in _WRAPPABLE_MARKERS if m.match(line)), None)
    if marker is None:
        return False
    before = text[max(at - 40, 0):at].rstrip(" \t")
    if not before or before[-1] in ".!?:;\n":
        return False
    return blocks.items(at, marker) == 1


def _blocks(text: str) -> list[tuple[int, str]]:
    listed = _Blocks(text)
    breaks = [(m.start(), m.end()) for m in _BLOCK_BREAK.finditer(text)
              if not _wrapped(text, m.start(), listed)]
    if "\n" in text:
        breaks = sorted(breaks + _heading_breaks(text) + _plain_heading_breaks(text)
                        + _term_breaks(text) + _notice_breaks(text))
    blocks, start = [], 0
    for cut, resume in breaks:
        if cut < start:  # inside a break already taken
            continue
        blocks.append((start, text[start:cut]))
        start = resume
    blocks.append((start, text[start:]))
    return blocks


def is_operator_line(line: str) -> bool:
    """Whether a line holds operators only, a note in parentheses after them at most ("* /",
    "+ - (binary)"): a line of a table of them."""
    return _OPERATOR_LINE.match(line) is not None


def is_signature(line: str) -> bool:
    """Whether a line is a reference entry's signature: a call with a space before its "(",
    as GNU's manuals write it, its outputs assigned ("idivide (x, y, op)", "[q, r] = deconv
    (y, a)"), the line heading an entry its description follows; not a control statement
    ("if (...) stop (...)")."""
    line = line.strip()
    named = _SIGNED_NAME.match(line)
    return (_SIGNATURE.fullmatch(line) is not None
            and (named is None or named.group(1) not in _CONTROL_WORDS))


def opens_on_a_prompt(line: str) -> bool:
    """Whether a line is a command after a prompt ("> help(solve)", "octave:13> f ()"): the
    segmenter reads it, and the output marked after it, as a program of its own."""
    return _is_command(line)


def signed_name(sentence: str) -> str | None:
    """The function a code block of signatures heads the entry of ("quit", "quit cancel",
    "quit (status)": "quit"), if it is one: every line names it, one at least as a call."""
    if not is_code(sentence):
        return None
    lines = [line for line in sentence.split("\n")[1:] if line.strip() and line.strip("`")]
    names = {found.group(1) if (found := _SIGNED_NAME.match(line.strip())) else None
             for line in lines}
    if len(names) != 1 or None in names or not any(is_signature(line) for line in lines):
        return None
    return names.pop()


def is_log_record(sentence: str) -> bool:
    """Whether a piece of `split` is a log's record: a line opening with its date and time,
    whole without a stop."""
    return _LOG_RECORD.match(sentence) is not None


def is_code(sentence: str) -> bool:
    """Whether a piece of `split` is a fenced code block (kept on its lines: a sentence of
    prose opening with backticks has had its line breaks collapsed)."""
    return sentence.startswith("```") and "\n" in sentence


def introduces_code(sentence: str) -> bool:
    """Whether a sentence introduces the code after it: "Install it with pip:", one the code
    completes, which a PDF writes without a stop ("the command is" before "> help(solve)", a
    caption's 'Clear the specific variable "foobar"' before its program) or after the opening
    of an example ("... use quote with an expression argument, e.g.,"), or one ending with a
    full stop that points to a program after it ("Consider the following function
    definition.", "The following statements are all global declarations.", "An example is
    given below.", "... might look as follows.")."""
    if is_code(sentence):
        return False
    return (sentence.endswith(":") or _CLOSING_MARKS.sub("", sentence)[-1:].isalnum()
            or _GOES_ON_IN_EXAMPLE.search(sentence) is not None
            or (sentence.endswith(".") and _POINTS_TO_CODE.search(sentence) is not None)
            or _POINTS_AHEAD.search(sentence) is not None)


def promises_example(sentence: str) -> bool:
    """Whether a sentence says that an example or a program after it shows what it speaks
    of: it ends on the opening of an example ("..., e.g.,", "..., for example,"), on a
    colon after a word for one ("Here is a small example of creating an R numeric vector in C
    code:"), or on a pointer to what follows ("... might look as follows.", "The output is
    shown below.", "It reads like this:"). Without what follows, it promises what it does not
    say. A colon after other words ("... asked in a tone of anxiety:") may open what someone
    says, and the sentence says something itself."""
    if is_code(sentence):
        return False
    return (_OPENS_EXAMPLE.search(sentence) is not None
            or (sentence.endswith(":") and _NAMES_EXAMPLE.search(sentence) is not None)
            or _POINTS_AHEAD.search(sentence) is not None)


def is_cut_code(sentence: str) -> bool:
    """Whether a piece of `split` is a code block its passage opens and does not close: a
    chunk's end cut the program."""
    if not is_code(sentence):
        return False
    opening, _, rest = sentence.partition("\n")
    last = rest.rpartition("\n")[2].strip()
    fence = len(opening) - len(opening.lstrip("`"))
    return not (rest and set(last) == {"`"} and len(last) >= fence)


def _fenced_blocks(text: str, outside_code: bool = False) -> list[tuple[int, int]]:
    """Where each fenced code block lies, fences included. A passage may begin inside a block
    (its chunk cut a program), so a bare fence followed by one naming a language ("```python",
    which only opens) and as long (shorter, it is code inside a longer fence) closed a block
    begun before the passage, and is left as text. A block the passage opens and does not
    close runs to its end when its fence names a language; a bare fence left open may as well
    close a block begun before, and is left as text. `outside_code`: the text is known to
    begin outside any block (a whole document, a chunk ingest placed in one), so each fence
    outside a block opens one, and a block left open runs to the text's end (a chunk's end
    cut the program)."""
    blocks: list[tuple[int, int]] = []
    opened: re.Match[str] | None = None
    for fence in _FENCE.finditer(text):
        if opened is None or (not outside_code and not _is_bare(fence) and _is_bare(opened)
                              and len(fence.group("fence")) >= len(opened.group("fence"))):
            opened = fence
        elif _is_bare(fence) and len(fence.group("fence")) >= len(opened.group("fence")):
            blocks.append((_stripped_start(opened), fence.end()))
            opened = None
    if opened is not None and (outside_code or not _is_bare(opened)):
        blocks.append((_stripped_start(opened), len(text.rstrip())))
    return blocks


def _is_bare(fence: re.Match[str]) -> bool:
    return fence.group().strip() == fence.group("fence")


def _stripped_start(fence: re.Match[str]) -> int:
    return fence.start() + len(fence.group()) - len(fence.group().lstrip())


def code_blocks(text: str) -> list[tuple[int, int, str]]:
    """Each fenced code block of a whole document (which begins outside any): where its
    first line of code starts, where it ends (its closing fence included) and its opening
    fence's line ("```python")."""
    if "```" not in text:
        return []
    found = []
    for start, end in _fenced_blocks(text, outside_code=True):
        opening_end = text.find("\n", start, end)
        if opening_end != -1:
            found.append((opening_end + 1, end, text[start:opening_end].strip()))
    return found


def _prompted_runs(text: str, fenced: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where each run of a program's unfenced lines lies (`_PROMPT`): its first line opens
    on a prompt, and it runs on over the lines of commands and of their marked output after
    it. An interpreter's messages a line of prose announces after the run ("Octave will
    respond with" before "error: ...") are a run of their own. None inside a fenced block."""
    if _PROMPT.search(text) is None:  # most passages: no line to look at
        return []
    runs: list[tuple[int, int]] = []
    start = end = None
    announced = False  # the line after a run, unfinished, announces what the command gave
    at = 0
    for line in text.splitlines(keepends=True):
        line_start, at = at, at + len(line)
        body = line.rstrip("\r\n")
        fenced_line = any(a <= line_start < b for a, b in fenced)
        if not fenced_line and (_is_command(body) or (announced and _MESSAGE.match(body))):
            start = line_start if start is None else start
            end = line_start + len(body.rstrip())
        elif not fenced_line and start is not None and _AFTER_PROMPT.match(body):
            end = line_start + len(body.rstrip())
        elif start is not None:
            runs.append((start, end))
            start = None
            announced = bool(body.strip()) and body.rstrip()[-1] not in ".!?;"
            continue
        announced = False
    if start is not None:
        runs.append((start, end))
    return runs


def _operator_runs(text: str, fenced: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where each run of lines of operators only lies (`_OPERATOR_RUN`), none inside a fenced
    block."""
    runs = []
    for found in _OPERATOR_RUN.finditer(text):
        run = found.group()
        start = found.start() + len(run) - len(run.lstrip())
        end = found.start() + len(run.rstrip())
        if not any(a <= start < b for a, b in fenced):
            runs.append((start, end))
    return runs


def _example_lines(text: str, fenced: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where each example's line of code lies (`_EXAMPLE_LINE`), none inside a fenced block,
    nor one that reads as words ("Total = the sum of all parts") or a formula's symbols ("A =
    UCX†", a PDF's equation in the text's font)."""
    if ":\n" not in text:  # most passages: no line to look at
        return []
    runs = []
    for found in _EXAMPLE_LINE.finditer(text):
        start = found.start() + len(found.group()) - len(found.group().lstrip())
        if (_without_result_marks(found.group()).isascii()
                and _PLAIN_WORDS.search(found.group()) is None
                and not any(a <= start < b for a, b in fenced)):
            runs.append((start, found.end()))
    return runs


def _without_result_marks(line: str) -> str:
    """A line without the marks a manual writes before what an example gives ("a = [1 2] ⇒
    a = 1 2", "disp (x) ⊣ 3"): a program's, where another sign out of ASCII is a formula's."""
    return line.translate(_RESULT_MARKS)


def _inside_a_sentence(text: str, start: int, end: int) -> bool:
    """Whether a program's lines stand inside a sentence, as a word of it: the prose before
    them, ending on no stop, goes on after them on the next line with what cannot open a
    sentence ("The function sink,\n> sink("record.lis")\nwill divert all subsequent output",
    "The R command\n> objects()\n(alternatively, ls()) can be used", "For example:\n>
    plot(x, y)\nproduces a scatterplot"). Apart, the sentence's halves would be quoted
    alone."""
    before = text[:start].rstrip()
    after = text[end:].lstrip(" \t")
    return (bool(before) and before[-1] not in ".!?;" and after[:1] == "\n"
            and _goes_on_a_sentence(after[1:].lstrip(" \t"), text[start:end]))


def _goes_on_a_sentence(text: str, code: str) -> bool:
    """Whether `text`, the line after `code`, goes on a sentence begun before it, as no
    sentence opens: a comma or a semicolon, or a word in lower case, after an opening bracket
    or quote at most, that is no name the code holds ("> evals <- eigen(Sm)$values" then
    "evals now holds", a sentence about it)."""
    if text[:1] in _CLAUSE_MARKS:
        return True
    opening = text.lstrip(_OPENING_MARKS)
    if not opening[:1].islower():
        return False
    name = _NAME.match(opening)
    return name is None or re.search(rf"(?<![\w.]){re.escape(name.group())}(?![\w.])",
                                     code) is None


def _is_command(line: str) -> bool:
    """Whether a line opens on a prompt and is a command, not a quotation's prose."""
    if not _PROMPT.match(line) or is_operator_line(line):
        return False
    if not _PLAIN_QUOTE.match(line):
        return True
    command = _STRING.sub('""', line.lstrip()[1:])
    if _CALL.fullmatch(command):  # its arguments may be plain words: "rm(x, ink, junk, temp)"
        return True
    if _MARKDOWN_IN_QUOTE.search(command):
        return False
    return _SIGN_OF_CODE.search(command) is not None and _PLAIN_WORDS.search(command) is None


def _as_fenced(text: str, start: int, end: int) -> Sentence:
    """A run of a program's unfenced lines as a fenced code block, its lines as written."""
    lines = "\n".join(line.rstrip() for line in text[start:end].splitlines())
    return Sentence(f"```\n{lines}\n```", start, end)


def _cut_block(text: str, code_fence: str) -> tuple[Sentence | None, int]:
    """The code that `text` begins with, inside a block `code_fence` opened before it: that
    code quoted under its opening fence, a line "…" standing for the lines before (None when
    the text opens on the closing fence), and where the text after the block starts."""
    width = len(code_fence) - len(code_fence.lstrip("`"))
    closing = next((f for f in _FENCE.finditer(text)
                    if _is_bare(f) and len(f.group("fence")) >= width), None)
    end = closing.end() if closing else len(text.rstrip())
    body = text[:closing.start()] if closing else text[:end]
    if not body.strip():
        return None, end
    lines = text[:end].lstrip("\n").rstrip()
    return Sentence(f"{code_fence}\n…\n{lines}", len(body) - len(body.lstrip()), end), end


def split(text: str, language: str | None = None, code_fence: str | None = None,
          outside_code: bool = False) -> list[Sentence]:
    """The sentences of `text`, in order; a fenced code block one of them, as written.
    `language` is whose abbreviations end no sentence: by default the text's own
    (`sentence_language`). `code_fence` is the opening fence of a block `text` begins inside
    (a chunk that cut a program, `code_blocks`); `outside_code` says `text` is known to begin
    outside any (`_fenced_blocks`), as the text after that block's closing fence does."""
    language = language or sentence_language(text)
    if code_fence:
        code, end = _cut_block(text, code_fence)
        rest = [Sentence(s.text, s.start + end, s.end + end)
                for s in split(text[end:], language, outside_code=True)]
        return [code, *rest] if code else rest
    blocks = _fenced_blocks(text, outside_code) if "```" in text else []
    runs: list[tuple[int, int]] = []
    inline: list[tuple[int, int]] = []
    operators = _operator_runs(text, blocks)
    examples = _example_lines(text, blocks + operators)
    for start, end in sorted([*_prompted_runs(text, blocks + operators + examples),
                              *operators, *examples]):
        (inline if _inside_a_sentence(text, start, end) else runs).append((start, end))
    if not blocks and not runs:
        return _with_inline_code(_split_prose(text, language), text, inline)
    # the code blanked out, its line ends kept: the prose keeps its offsets, and a block
    # break on each side of the code
    prose = list(text)
    for start, end in [*blocks, *runs]:
        prose[start:end] = [c if c == "\n" else " " for c in text[start:end]]
    code = [Sentence(text[start:end].rstrip(), start, end) for start, end in blocks]
    code += [_as_fenced(text, start, end) for start, end in runs]
    found = _with_inline_code(_split_prose("".join(prose), language), text, inline)
    return sorted(found + code, key=lambda s: s.start)


def _with_inline_code(sentences: list[Sentence], text: str,
                      inline: list[tuple[int, int]]) -> list[Sentence]:
    """`sentences` with each program's lines standing inside one (`_inside_a_sentence`) as a
    code span: R's output ("[1] 10 20") read as prose would read as an answer's citations."""
    if not inline:
        return sentences
    spanned = []
    for sentence in sentences:
        inside = [(start, end) for start, end in inline
                  if sentence.start <= start and end <= sentence.end
                  and "`" not in text[start:end]]
        if not inside or sentence.text != _SPACE.sub(" ", text[sentence.start:sentence.end]):
            spanned.append(sentence)
            continue
        pieces, at = [], sentence.start
        for start, end in inside:
            pieces += [text[at:start], f"`{_SPACE.sub(' ', text[start:end].strip())}`"]
            at = end
        pieces.append(text[at:sentence.end])
        written = (_SPACE.sub(" ", piece).strip() for piece in pieces)
        spanned.append(Sentence(" ".join(filter(None, written)), sentence.start, sentence.end))
    return spanned


def _split_prose(text: str, language: str) -> list[Sentence]:
    found: list[Sentence] = []
    # the last sentence found whose span holds no `_CUT_MARK`: a piece joining it is read on
    # its own (`_joined_uncut`), as a long line that sentencex cut at each of its row lines
    # grows one sentence, which read whole at each join takes time in its length squared
    uncut: Sentence | None = None
    for offset, block in _blocks(text):
        if not block.strip():
            continue
        heading = block.strip()
        if "\n" in text and is_heading(heading):  # a title is one piece, stops and all
            start = offset + block.index(heading)
            found.append(Sentence(_SPACE.sub(" ", heading), start, start + len(heading)))
            continue
        marker: int | None = None  # where a list item's number began, awaiting its text
        # one character for one: the offsets sentencex gives hold in the block
        if _HAS_BULLET.search(block):
            block = block.translate(_AS_HYPHENS)
        if "\n(" in block:
            block = _joined_before_parentheses(block)
        for part in sentencex.get_sentence_boundaries(language, block):
            if part["is_paragraph_break"]:
                continue
            raw = part["text"]
            body = raw.strip()
            if not body:
                continue
            start = offset + part["start_index"] + (len(raw) - len(raw.lstrip()))
            if _MARKER.fullmatch(body):
                marker = start if marker is None else marker
                continue
            if marker is not None:
                start, marker = marker, None
            end = offset + part["start_index"] + len(raw.rstrip())
            joined: Sentence | None = None
            if (found and found[-1].end == start and start > offset
                    and (not (CJK_TEXT.match(text, start - 1) or CJK_TEXT.match(text, start))
                         or _QUOTATION_GOES_ON.match(text, start - 1))):
                joined = found.pop()  # cut inside a word (a URL, ".Rprofile"): no end
            elif found and found[-1].start >= offset and _goes_on(
                    _ending(found[-1].text), body, "\n" in text[found[-1].end:start], language):
                joined = found.pop()
            if joined is not None and joined is uncut:
                uncut = _joined_uncut(text, joined, end)
                if uncut is not None:
                    found.append(uncut)
                    continue
            start = joined.start if joined is not None else start
            for cut_start, cut_end in _missed_ends(text, start, end, language):
                found.append(Sentence(_SPACE.sub(" ", text[cut_start:cut_end]),
                                      cut_start, cut_end))
            uncut = found[-1] if _CUT_MARK.search(text, start, end) is None else None
        if marker is not None:  # a number with nothing after it
            end = offset + len(block.rstrip())
            found.append(Sentence(_SPACE.sub(" ", text[marker:end]), marker, end))
    return found


def _joined_uncut(text: str, sentence: Sentence, end: int) -> Sentence | None:
    """`sentence`, whose span holds no `_CUT_MARK`, run on to `end`, from the text it gains
    alone: what `_missed_ends` and `_SPACE` would give for the whole span. None when that
    text holds a mark (or one begun at the sentence's end), or the sentence ends on a space
    a run of them may go on across."""
    gained = max(sentence.start, sentence.end - _CUT_MARK_CHARS + 1)
    if _CUT_MARK.search(text, gained, end) or text[sentence.end - 1].isspace():
        return None
    return Sentence(sentence.text + _SPACE.sub(" ", text[sentence.end:end]), sentence.start,
                    end)


def _ending(sentence: str) -> str:
    """The end of `sentence`, all that `_goes_on` reads of it: its patterns match a few
    characters before the end, or a letter and the marks after it. Read whole at each piece
    that joins it, a long sentence takes time in its length squared."""
    tail = sentence[-_ENDING_CHARS:]
    return sentence if not tail.strip(_ASKING_MARKS) else tail


def _joined_before_parentheses(block: str) -> str:
    """`block` with a line break a sentence wraps at before a parenthesis ("the command line
    interface\n(CLI) instead", "the value of f\n(x)") made a space, one character for one.
    sentencex reads a line opening with a parenthesised word as a list's item, which it cuts
    the sentence before and runs to the paragraph's end. A line ending in a stop or a colon,
    or itself opening with a parenthesised item ("(i) Open the lid"), is left to end there."""
    line_breaks = [found.start() for found in _PARENTHESIS_OPENS_LINE.finditer(block)]
    if not line_breaks:
        return block
    joined = list(block)
    for at in line_breaks:
        line = block[block.rfind("\n", 0, at) + 1:at].strip()
        if line and line[-1] not in _LINE_ENDS and not _PARENTHESISED_ITEM.match(line):
            joined[at] = " "
    return "".join(joined)


def _goes_on(sentence: str, piece: str, on_a_new_line: bool, language: str) -> bool:
    """Whether `piece` goes on with `sentence`, which sentencex ended: after a title, a name
    ("Ms. Chua"); after a count's, an address's or a date's abbreviation, a number ("approx.
    4 kg", "Rm. 12", "Mon. 3 June"); after a unit's, a word in lower case ("3 lbs. and 2
    oz."); on the same line after a question or an exclamation, a word in lower case ("*Am I
    going crazy? * he sweated."; a question on a line of its own is an FAQ's heading, and a
    line in lower case after it code or its answer). A lettered item run into the line
    ("Why? h. If ...") opens its own. After an abbreviation of the text's language that
    sentencex's rules for it lack (French "M. Dupont", Russian "т. е."), it goes on."""
    own = _GOES_ON_AFTER.get(language)
    if own is not None and own.search(sentence):
        return True
    if _BEFORE_A_NAME.search(sentence):
        return piece[:1].isupper()
    if _BEFORE_A_NUMBER.search(sentence):
        return piece[:1].isdigit()
    if _UNIT_BEFORE_A_WORD.search(sentence):
        return piece[:1].islower()
    if on_a_new_line or not _ASKS_OR_EXCLAIMS.search(sentence) or _LETTERED.match(piece):
        return False
    opening = _GOES_ON_IN_LOWER_CASE.match(piece)
    return opening is not None and opening.group()[-1].islower()


def _missed_ends(text: str, start: int, end: int, language: str) -> list[tuple[int, int]]:
    """`text[start:end]`, a sentence sentencex found, cut where a sentence ended unseen."""
    return [cut for listed in _listing_ends(text, start, end, language)
            for piece in _parenthesised_ends(text, *listed)
            for cut in _unmarked_ends(text, *piece)]


def _listing_ends(text: str, start: int, end: int, language: str) -> list[tuple[int, int]]:
    """`text[start:end]` cut after an "and so on" a capital follows (`_ENDS_BEFORE_A_CAPITAL`)."""
    rule = _ENDS_BEFORE_A_CAPITAL.get(language)
    if rule is None:
        return [(start, end)]
    pieces = []
    for found in rule.finditer(text, start, end):
        pieces.append((start, found.start(1)))
        start = found.end(1)
    pieces.append((start, end))
    return pieces


def _unmarked_ends(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """`text[start:end]` cut where Thai or Lao ends a sentence (a space between two of its
    letters: they write no stop) or Khmer does (its khan, "។"), which sentencex reads as no
    end."""
    pieces, at = [], start
    for end_found in _SCRIPT_END.finditer(text, start, end):
        if end_found.start() > at:
            pieces.append((at, end_found.start()))
        at = end_found.end()
    if at < end:
        pieces.append((at, end))
    return pieces


def _parenthesised_ends(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """`text[start:end]` cut after each sentence that closes inside parentheses."""
    if text.find(")", start, end) < 0:
        return [(start, end)]
    pieces = []
    for match in _CLOSED_IN_PARENTHESES.finditer(text, start, end):
        word, quoted, stop = match.groups()
        if stop == "." and not quoted and (len(word) < 2 or word.lower() in _ABBREVIATIONS):
            continue
        pieces.append((start, match.end()))
        after = text[match.end():end]
        start = match.end() + len(after) - len(after.lstrip())
    pieces.append((start, end))
    return pieces


def sentences(text: str, language: str | None = None, code_fence: str | None = None,
              outside_code: bool = False) -> list[str]:
    """Just the sentences' texts."""
    return [s.text for s in split(text, language, code_fence, outside_code)]
