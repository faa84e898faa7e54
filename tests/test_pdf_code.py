"""A program's lines a PDF sets in a typewriter font, with no prompt before them (a manual's C
and configure examples): fenced in the page's text, so the segmenter keeps them whole on their
lines, apart from the sentences around them."""

from __future__ import annotations

from pathlib import Path

from ingest.loaders import load_bytes
from rag.service import RagService
from rag.text.sentences import sentences
from tests.pdfgen import typed_pages_pdf, typed_pdf

LISTING = ["Handling the effects of garbage collection is done by hand. The C code is",
           "`SEXP mkans(double x)", "`{", "`// a version with (too) much PROTECT()ion .. safe",
           "`SEXP ans = allocVector(REALSXP, 1);", "`return ans;", "`}",
           "If you create an R object in your C code, you must tell R that you are using",
           "the object by using the PROTECT macro on a pointer to the object."]


def text_of(lines: list[str]) -> str:
    return load_bytes(Path("manual.pdf"), typed_pdf(lines)).pages[0].text


def test_lines_in_a_typewriter_font_are_a_fenced_block() -> None:
    text = text_of(LISTING)
    assert ("The C code is\n```\nSEXP mkans(double x)\n{\n// a version with (too) much "
            "PROTECT()ion .. safe\nSEXP ans = allocVector(REALSXP, 1);\nreturn ans;\n}\n```\n"
            "If you create") in text
    assert sentences(text)[2:] == [
        "```\nSEXP mkans(double x)\n{\n// a version with (too) much PROTECT()ion .. safe\n"
        "SEXP ans = allocVector(REALSXP, 1);\nreturn ans;\n}\n```",
        "If you create an R object in your C code, you must tell R that you are using the "
        "object by using the PROTECT macro on a pointer to the object."]


def test_a_table_of_operators_with_notes_in_the_texts_font_is_one_block() -> None:
    """R-lang's precedence list: the operators in the typewriter font, a note after some of
    them in the text's ("- + (unary)")."""
    text = text_of(["The order of precedence (highest first) of the operators is", "`::",
                    "`$ @", "`^", "`- +` (unary)", "`:", "`* /", "`+ -` (binary)", "`> >= <",
                    "`<- <<-", "`=` (as assignment)", "Note that : precedes binary +/-."])
    assert ("operators is\n```\n::\n$ @\n^\n- + (unary)\n:\n* /\n+ - (binary)\n> >= <\n"
            "<- <<-\n= (as assignment)\n```\nNote that") in text


def test_a_listing_of_one_word_lines_and_commands_is_a_block() -> None:
    """One-word lines ("else", "make") count neither way: the lines with code decide."""
    for lines, block in (
            (["The if statement takes the form", "`if ( statement1 )", "`statement2", "`else",
              "`statement3", "The else clause is optional."],
             "```\nif ( statement1 )\nstatement2\nelse\nstatement3\n```"),
            (["To build R from its sources, run", "`./configure --prefix=/opt/R", "`make",
              "Then install it."], "```\n./configure --prefix=/opt/R\nmake\n```")):
        assert block in text_of(lines)


def test_words_in_a_typewriter_font_stay_prose() -> None:
    # a name on a line of its own, words set in the font without a sign of code (a table's
    # terms), a mixed line, code the sentence goes on after in lower case, and a page set
    # wholly in the font (a typescript)
    for lines in (["The function is called", "`mkans", "and allocates a vector."],
                  ["`function call and array indexing, cell array", "`indexing",
                   "These group left to right."],
                  ["The vector is allocated by", "`allocVector(REALSXP, 1) in C code",
                   "`and it is protected at once."],
                  ["To turn a string into a variable: if you have", '`varname <- c("a", "b")',
                   "`x <- get(varname[1])", "you can do so at once."],
                  ["`Dear Sir, I write to say (as promised) that", "`the pump is fixed.",
                   "`Yours, J. Smith"]):
        assert "```" not in text_of(lines)


def test_prose_typed_in_a_typewriter_font_stays_prose() -> None:
    """A typed lease between a header and a footer in the text's font: its apostrophes,
    brackets and percentages are a sentence's, not a program's."""
    text = text_of(["Smith & Co. Solicitors - Lease agreement",
                    "`1. The tenant shall pay the rent (GBP 950) on the first of each month.",
                    "`2. The landlord's consent is needed before any pet is kept there.",
                    "`3. Either party may end this lease with two months' notice in writing.",
                    "`4. The rent rises by 3% a year, as the schedule (part 2/b) sets out.",
                    "Page 1 of 3"])
    assert "```" not in text
    assert "two months' notice" in text.replace("\u2019", "'")


def test_the_answer_quotes_the_sentence_after_a_listing_without_the_code(
        service: RagService, tmp_path: Path) -> None:
    path = tmp_path / "manual.pdf"
    path.write_bytes(typed_pdf(LISTING))
    service.ingest([path])
    answer = "".join(service.ask("Why do I need PROTECT in C code?"))
    assert "If you create an R object in your C code, you must tell R" in answer
    assert "} If you create" not in answer


def test_a_listing_whose_comments_are_in_the_texts_font_is_one_block() -> None:
    """Texinfo sets a C comment in its roman: the code before the comment decides."""
    text = text_of(["The types are from", "`enum {",
                    "`CTXT_TOPLEVEL = 0, /*` toplevel context */",
                    "`CTXT_NEXT = 1, /*` target for next */",
                    "`CTXT_BROWSER = 16, /*` return target on exit from browser */", "`};",
                    "where the bit is on wherever function closures are involved."])
    assert ("```\nenum {\nCTXT_TOPLEVEL = 0, /* toplevel context */\n"
            "CTXT_NEXT = 1, /* target for next */\n"
            "CTXT_BROWSER = 16, /* return target on exit from browser */\n};\n```") in text


def test_an_examples_result_arrows_are_in_its_block() -> None:
    """Texinfo draws "⇒" in a symbol font, on a line of its own or before the value."""
    text = text_of(["Query an existing variable:", "`x = single (1);", "`flintmax (x)",
                    "⇒` 16777216", "`[q, r] = deal (1, 2)", "⇒", "`q = 1",
                    "See also: intmax."])
    assert ("variable:\n```\nx = single (1);\nflintmax (x)\n⇒ 16777216\n[q, r] = deal (1, 2)\n"
            "⇒\nq = 1\n```\nSee also") in text


def test_a_signature_is_fenced_apart_from_its_description() -> None:
    text = text_of(["So, the result of int32 (5) ./ int32 (8) is 1.", "`idivide (x, y, op)",
                    "Integer division with different rounding rules."])
    assert "```\nidivide (x, y, op)\n```" in text
    assert sentences(text)[-1] == "Integer division with different rounding rules."


def test_option_terms_stay_with_their_description() -> None:
    """A definition list's terms: the sentence after them is their description."""
    text = text_of(["Specify the file of macros for use by makeinfo.", "`--traditional",
                    "`--braindead", "For compatibility with matlab, set initial values.",
                    "Run the configure script with", "`--with-tcl-config=/opt/tcl.sh",
                    "`--with-tk-config=/opt/tk.sh", "If you need Tk, use them."])
    assert "```\n--traditional" not in text
    assert sentences(text)[1] == (
        "--traditional --braindead For compatibility with matlab, set initial values.")
    assert "```\n--with-tcl-config=/opt/tcl.sh\n--with-tk-config=/opt/tk.sh\n```" in text


def test_a_sentences_punctuation_in_the_texts_font_is_prose() -> None:
    """A stop, a bracket or a colon in the text's font after a name set in the typewriter font
    is a sentence's ("config.site)") or a definition list term's ("box:"); the code beside it
    is the block."""
    text = text_of(["This needed setting (e.g. in", "`config.site`)", "`AR=gcc-ar",
                    "`RANLIB=gcc-ranlib", "For other compilers one may need more."])
    assert "config.site)\n```\nAR=gcc-ar\nRANLIB=gcc-ranlib\n```" in text
    text = text_of(["For example:", "`figure ();", "`plot (1:10);", '`box`: `"off" | {"on"}',
                    "Control whether the legend has a box."])
    assert '```\nfigure ();\nplot (1:10);\n```\nbox: "off" | {"on"}' in text


def test_code_leading_a_sentence_in_the_texts_font_stays_prose() -> None:
    for lines in (["The types are listed below.", "`CTXT_FUNCTION = 4` is set wherever closures",
                   "`CTXT_CCODE = 8` is set for other functions."],
                  # a list's bullet in a symbol font, as TeX draws it
                  ["Lists are written with bullets.", "•` x <- c(1, 2)", "•` y <- x[1]",
                   "Both are assignments."]):
        assert "```" not in text_of(lines)


def test_an_example_line_set_apart_is_a_block_of_its_own() -> None:
    """Texinfo indents an example past the prose around it: one line of it is code, as is
    an interpreter's message, which has no sign of code."""
    text = text_of(["To solve the equations Ax = b, use the left division operator:",
                    "\t`x = A \\ b", "This is conceptually equivalent to inv(A)*b."])
    assert "operator:\n```\nx = A \\ b\n```\nThis is" in text
    assert sentences(text)[-1] == "This is conceptually equivalent to inv(A)*b."
    text = text_of(["If you then type", "\t`octave:13> f ()", "Octave will respond with",
                    "\t`error: 'x' undefined near line 1 column 24", "\t`error: called from:",
                    "This error message has several parts."])
    assert ("with\n```\nerror: 'x' undefined near line 1 column 24\nerror: called from:\n"
            "```\nThis error") in text.replace("\u2019", "'")
    assert sentences(text)[-1] == "This error message has several parts."


def test_example_lines_between_their_labels_are_blocks() -> None:
    text = text_of(["Options may follow the command. For example,", "Update all packages:",
                    "\t`pkg update", "Update all local packages:", "\t`pkg update -local",
                    "Updates for several packages are sorted alphabetically."])
    assert ("packages:\n```\npkg update\n```\nUpdate all local packages:\n```\n"
            "pkg update -local\n```\nUpdates") in text


def test_a_typed_line_not_set_apart_or_inside_a_sentence_stays_prose() -> None:
    # a line at the prose's edge, one set only partly in the font, one the sentence goes on
    # after in lower case (or in a lower-case aside), a command after a prompt, which the
    # segmenter reads, and a line ending the page, whose sentence may go on over it
    for lines in (["Run the command:", "`pkg update", "Then restart Octave."],
                  ["For R, MC() simply is", "\t`MC <- function(f, env) f",
                   "(lexical scope!), a version for S is longer."],
                  ["Chapter 7: R Miscellanea 34", "If you have a name, you can do",
                   "\t`eval(substitute(lm(y ~ x + variable),"],
                  ["The R command", "\t`> objects()", "(alternatively, ls()) lists them."],
                  ["Run the command:", "\t`pkg update` to update every package",
                   "Then restart Octave."],
                  ["For example,", "\t`pkg load image", "adds the image package to the path."]):
        assert "```" not in text_of(lines)


def test_a_one_line_example_giving_its_result_after_an_arrow_is_code() -> None:
    """Octave's manual writes an example and its result on one line: "a = [1 2] ⇒ a = 1 2"."""
    lines = ["Vectors are written between brackets, as in this example:",
             "`a = [1 2] + [3 4] ⇒ a = 4 6",
             "The result has the same shape as the arguments given."]
    text = load_bytes(Path("octave.pdf"), typed_pdf(lines)).pages[0].text
    assert sentences(text) == ["Vectors are written between brackets, as in this example:",
                               "```\na = [1 2] + [3 4] ⇒ a = 4 6\n```",
                               "The result has the same shape as the arguments given."]


def test_a_listing_going_on_from_the_page_before_is_code_before_the_prose_after_it() -> None:
    """A browser's print of a page's <pre> sets no running header: the page after opens on
    the listing's rest, then the prose after it."""
    first = ["The function below computes every step, as follows:",
             *(f"`x{i} = compute(a, b)  # step {i}" for i in range(8)),
             "That ends the first part."]
    second = [*(f"`x{i} = compute(a, b)  # step {i}" for i in range(8, 12)),
              "That is all there is to it."]
    pages = load_bytes(Path("print.pdf"), typed_pages_pdf([first, second])).pages
    assert sentences(pages[1].text) == [
        "```\n" + "\n".join(f"x{i} = compute(a, b) # step {i}" for i in range(8, 12)) + "\n```",
        "That is all there is to it."]
