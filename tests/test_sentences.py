"""The sentence segmenter: abbreviations, decimals, initials, quotes and list items."""

import time

import pytest

from rag.text.sentences import (
    introduces_code,
    is_cut_code,
    is_heading,
    leans_back,
    promises_example,
    sentences,
    split,
)

CASES = [
    # abbreviations
    ("The report did not mention Mr. Smith. He left early.",
     ["The report did not mention Mr. Smith.", "He left early."]),
    ("Mrs. Jones met Dr. Brown at noon. They talked.",
     ["Mrs. Jones met Dr. Brown at noon.", "They talked."]),
    ("The U.S. Army arrived in 1944. It stayed.",
     ["The U.S. Army arrived in 1944.", "It stayed."]),
    ("Bring fruit, e.g. an apple, i.e. something sweet. Then eat it.",
     ["Bring fruit, e.g. an apple, i.e. something sweet.", "Then eat it."]),
    ("Gen. Smith and Capt. Jones arrived. They were tired.",
     ["Gen. Smith and Capt. Jones arrived.", "They were tired."]),
    ("In her book, Ms. Chua wrote about it. Lieut. Smith and Revd. Jones read it.",
     ["In her book, Ms. Chua wrote about it.", "Lieut. Smith and Revd. Jones read it."]),
    ("His teacher, Ms.\nJohnson, praised him. He was returning to Ft. Bragg for a rest.",
     ["His teacher, Ms. Johnson, praised him.", "He was returning to Ft. Bragg for a rest."]),
    ("It consumes approx. 4 kg of steam, see vol. 2 and figs. 3 and 4. It is hot.",
     ["It consumes approx. 4 kg of steam, see vol. 2 and figs. 3 and 4.", "It is hot."]),
    # an address's, a phone's, a date's and a unit's abbreviations
    ("Call Tel. 0800 555 0199 at any hour. The lab is in Bldg. 4, Rm. 12 on the 2nd floor.",
     ["Call Tel. 0800 555 0199 at any hour.", "The lab is in Bldg. 4, Rm. 12 on the 2nd floor."]),
    ("It ships on Mon. 3 June and weighs 3 lbs. and 2 oz. in all. I bought 3 lbs. Then I left.",
     ["It ships on Mon. 3 June and weighs 3 lbs. and 2 oz. in all.", "I bought 3 lbs.",
      "Then I left."]),
    # ...but a stop after a word that only looks like one ends a sentence
    ("The file was written by MS. Then it was read. Take approx. Then go.",
     ["The file was written by MS.", "Then it was read.", "Take approx.", "Then go."]),
    # decimals and prices
    ("The rate rose to 3.5 percent in 2019. It fell to 2.1 after.",
     ["The rate rose to 3.5 percent in 2019.", "It fell to 2.1 after."]),
    ("The price was $4.99. He paid cash.", ["The price was $4.99.", "He paid cash."]),
    # initials
    ("J. R. R. Tolkien wrote The Hobbit. It sold well.",
     ["J. R. R. Tolkien wrote The Hobbit.", "It sold well."]),
    # quotes
    ('"Is anyone there?" she asked. Nobody answered.',
     ['"Is anyone there?" she asked.', "Nobody answered."]),
    ("“Hello? Is there someone here? ”\n\nIt was hard to see.",
     ["“Hello? Is there someone here? ”", "It was hard to see."]),
    # a question or an exclamation going on in lower case goes on with its sentence, whatever
    # marks close the quotation (Markdown's emphasis, none at all)
    ("*Did I make a mistake? or am I going crazy? * he sweated. He then saw the leak.",
     ["*Did I make a mistake? or am I going crazy? * he sweated.", "He then saw the leak."]),
    ("What? he said. No way!", ["What? he said.", "No way!"]),
    ("Ask _Was he a lawyer_? and nothing else. Then stop.",
     ["Ask _Was he a lawyer_? and nothing else.", "Then stop."]),
    ("I read When Money Talks, Listen! by Rich Ezzo. It helped.",
     ["I read When Money Talks, Listen! by Rich Ezzo.", "It helped."]),
    # ...but not a lettered item after it, nor a line after a question on its own line
    ("Why is Fe better? f. Because it binds.", ["Why is Fe better?", "f. Because it binds."]),
    ("How do I delete a file?\nos.remove() deletes it.",
     ["How do I delete a file?", "os.remove() deletes it."]),
    ("For example: %!demo %! t = 0:0.01:2*pi;", ["For example: %!demo %!", "t = 0:0.01:2*pi;"]),
    # a sentence closed inside parentheses; an abbreviation's stop there ends none
    ("(Ah, the perspective of youth.) Of course, the book has ten sentences.",
     ["(Ah, the perspective of youth.)", "Of course, the book has ten sentences."]),
    ("Did he? (Really?) Yes, he did.", ["Did he?", "(Really?)", "Yes, he did."]),
    ("It was shown (Smith et al.) The method works.",
     ["It was shown (Smith et al.) The method works."]),
    ("Bring fruit (e.g.) The apple.", ["Bring fruit (e.g.) The apple."]),
    # ...nor a quotation's, which may close before the stop, a single letter quoted too
    ("(Valid values are ‘a4’ and ‘executive’.) This is used by R.",
     ["(Valid values are ‘a4’ and ‘executive’.)", "This is used by R."]),
    ('(It helps with levels "T" or "F".) Hence, write TRUE.',
     ['(It helps with levels "T" or "F".)', "Hence, write TRUE."]),
    ("(I don't.) Then he left.", ["(I don't.)", "Then he left."]),
    ("It was late (about 9 p.m.). She left.", ["It was late (about 9 p.m.).", "She left."]),
    # list items, with and without a final stop
    ("Steps:\n1. Open the file.\n2. Save it", ["Steps:", "1. Open the file.", "2. Save it"]),
    ("Options:\n- the first one\n- the second one",
     ["Options:", "- the first one", "- the second one"]),
    ("Do this:\na) unplug it\nb) wait a minute", ["Do this:", "a) unplug it", "b) wait a minute"]),
    # a PDF line wrapped before a dash goes on with its sentence; a list of such lines is a list
    ("Between bearing six children, Hans\n– June 1526; Elizabeth – 1527, she farmed. It paid.",
     ["Between bearing six children, Hans – June 1526; Elizabeth – 1527, she farmed.",
      "It paid."]),
    ("Features\n- Fast\n- Small and\nlight", ["Features", "- Fast", "- Small and light"]),
    ("It has length\nk. Otherwise h is meaningless.",  # "k." reads as an initial: one piece
     ["It has length k. Otherwise h is meaningless."]),
    # a bulleted item is a list item, and its sentences end where sentences end
    ("Uses:\n• Running R under a debugger. Starting a GUI.\nThe first two work. So does R.",
     ["Uses:", "• Running R under a debugger.", "Starting a GUI.", "The first two work.",
      "So does R."]),
    ("■ Heavy. It sinks.\n▶ Light. It floats.",
     ["■ Heavy.", "It sinks.", "▶ Light.", "It floats."]),
    # Word's bullet from the Symbol font, as PDF text layers give it
    ("Steps:\n\uf0b7 Heavy. It sinks.\n\uf0b7 Light one",
     ["Steps:", "\uf0b7 Heavy.", "It sinks.", "\uf0b7 Light one"]),
    # no cut inside a word: a URL, a file name
    ("See https://CRAN.R-project.org for the sources. Then build them.",
     ["See https://CRAN.R-project.org for the sources.", "Then build them."]),
    ("Why did my .Rprofile stop working? It moved.",
     ["Why did my .Rprofile stop working?", "It moved."]),
    # a numbered section heading on its own line is no part of the sentence after it
    ("They are functions.\n2.1.8 Promise objects\nPromise objects are lazy.",
     ["They are functions.", "2.1.8 Promise objects", "Promise objects are lazy."]),
    # a function's dotted name as a section's title
    ("It returns.\n8.3 on.exit\nA function can insert a call to on.exit.",
     ["It returns.", "8.3 on.exit", "A function can insert a call to on.exit."]),
    ("It is fast.\n2 .Internal vs .Primitive\nC code compiled into R is called directly.",
     ["It is fast.", "2 .Internal vs .Primitive", "C code compiled into R is called directly."]),
    ("The file is read.\n5.3 dyn.load and dyn.unload\nCompiled code is loaded.",
     ["The file is read.", "5.3 dyn.load and dyn.unload", "Compiled code is loaded."]),
    # a function's name in lower case as a section's title
    ("It ends.\n6.3.2 attach() and detach()\nThe attach() function takes a database.",
     ["It ends.", "6.3.2 attach() and detach()", "The attach() function takes a database."]),
    ("It ends.\n5.1 lapply and friends\nThese apply a function.",
     ["It ends.", "5.1 lapply and friends", "These apply a function."]),
    # ...but not a line of prose wrapped after a version
    ("It was added in\n2.1 and later\nVersions keep it.",
     ["It was added in 2.1 and later Versions keep it."]),
    # a section's first sentence opening on the function it is about
    ("It ends.\n6.3.4 Attaching arbitrary lists\nattach() is a generic function.",
     ["It ends.", "6.3.4 Attaching arbitrary lists", "attach() is a generic function."]),
    ("octave:6> A' * A\n1.2.4 Solving Linear Equations\nSystems are common.",
     ["```\noctave:6> A' * A\n```", "1.2.4 Solving Linear Equations", "Systems are common."]),
    ("It works.\n6.3.2 macOS\nOn macOS it works too.\nB.4 Scripting with R\nRun a file.",
     ["It works.", "6.3.2 macOS", "On macOS it works too.", "B.4 Scripting with R",
      "Run a file."]),
    ("It is quirky.\n5.4.1 Mixed arithmetic. The recycling rule\nThe rule is simple.",
     ["It is quirky.", "5.4.1 Mixed arithmetic. The recycling rule", "The rule is simple."]),
    ("## Training data\nWe used 1B pairs. See below.\n# Usage\n\nRun it.",
     ["## Training data", "We used 1B pairs.", "See below.", "# Usage", "Run it."]),
    # a one-word name of any case is a heading; a comment in code of several is not
    ("# all-MiniLM-L6-v2\nThis is a model: it maps sentences to vectors.\n# you should see\nx",
     ["# all-MiniLM-L6-v2", "This is a model: it maps sentences to vectors.",
      "# you should see x"]),
    ("8 Tools\n[Only after release.] The check is controlled.",
     ["8 Tools", "[Only after release.] The check is controlled."]),
    ("There were\n3 Packages in it and\nmore came.",
     ["There were 3 Packages in it and more came."]),
    ("It was set.\n3 Packages in the list\nwere loaded.",
     ["It was set.", "3 Packages in the list were loaded."]),
    # an FAQ's numbered question is a heading, its "?" kept; a numbered line ending on a stop
    # is a sentence
    ("It works.\n7.3 How can I clean up my workspace?\nUse rm() to remove them.",
     ["It works.", "7.3 How can I clean up my workspace?", "Use rm() to remove them."]),
    # ...whatever the line after it opens with: code, or the next heading
    ("Use rownames(x) <- NULL,\nsimilarly for column names.\n7.2 How can I save my "
     "workspace?\nsave.image() saves the objects.",
     ["Use rownames(x) <- NULL, similarly for column names.",
      "7.2 How can I save my workspace?", "save.image() saves the objects."]),
    ("5 R Add-On Packages\n5.1 Which add-on packages exist for R?\n5.1.1 Add-on packages "
     "in R\nThe R distribution comes with them.",
     ["5 R Add-On Packages", "5.1 Which add-on packages exist for R?",
      "5.1.1 Add-on packages in R", "The R distribution comes with them."]),
    # ...but not a table's numbered rows
    ("It is reshaped, by\n1.1 P 23646 1 45190\n2.1 CC 26174 1 35535\nand so on.",
     ["It is reshaped, by 1.1 P 23646 1 45190 2.1 CC 26174 1 35535 and so on."]),
    ("It works.\n2.1.8 Promise objects are lazy.\nThey wait.",
     ["It works.", "2.1.8 Promise objects are lazy.", "They wait."]),
    # a short numbered title on its own line, a sentence on the next, is a heading; a
    # numbered step that ends on a stop, a longer line or one going on in lower case is not
    ("1. Encoding\nIf the file contains non-ASCII characters, say so.",
     ["1. Encoding", "If the file contains non-ASCII characters, say so."]),
    ("Read it.\n7. White space in character fields\nIf a separator is specified, it is kept.",
     ["Read it.", "7. White space in character fields",
      "If a separator is specified, it is kept."]),
    ("Read it.\n2.3. Data frames\nA data frame is a list.",
     ["Read it.", "2.3. Data frames", "A data frame is a list."]),
    ("1. Install R.\nThen run it.", ["1. Install R.", "Then run it."]),
    ("1. Install R\n2. Run it", ["1. Install R", "2. Run it"]),
    ("1. Encoding If the file is big, say so.", ["1. Encoding If the file is big, say so."]),
    ("1. Use the source and the build options here\nThen run it.",
     ["1. Use the source and the build options here Then run it."]),
    ("1. Encoding\nand more words.", ["1. Encoding and more words."]),
    # a line wrapped before a parenthesised word goes on with its sentence; a list of
    # parenthesised items is a list
    ("We use the command line interface\n(CLI) instead. This is the default. It can change.",
     ["We use the command line interface (CLI) instead.", "This is the default.",
      "It can change."]),
    ("Press the boost button on the\n(M) side panel. Quiet mode heats water in four minutes.",
     ["Press the boost button on the (M) side panel.",
      "Quiet mode heats water in four minutes."]),
    ("Compute the value of f\n(x) for each point. Then plot it.",
     ["Compute the value of f (x) for each point.", "Then plot it."]),
    ("Steps:\n(i) Open the lid.\n(ii) Fill it.\n(iii) Close it.",
     ["Steps:", "(i) Open the lid.", "(ii) Fill it.", "(iii) Close it."]),
    ("Steps:\n(i) Open the lid\n(ii) Fill it\n(iii) Close it",
     ["Steps:", "(i) Open the lid", "(ii) Fill it", "(iii) Close it"]),
    # paragraphs and white space
    ("First paragraph ends here.\n\nSecond   one\nruns on.",
     ["First paragraph ends here.", "Second one runs on."]),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_offsets_point_at_each_sentence() -> None:
    text = "  Mr. Smith left.\n\n1. He came back at 3.5 p.m. on Friday.\n- Then he slept."
    found = split(text)
    assert [" ".join(text[s.start:s.end].split()) for s in found] == [s.text for s in found]
    assert [s.text for s in found] == ["Mr. Smith left.",
                                       "1. He came back at 3.5 p.m. on Friday.",
                                       "- Then he slept."]


def test_a_fenced_code_block_is_one_piece_kept_as_written() -> None:
    """A Markdown fence's code is quoted whole, its lines and blank lines kept, or a program
    is cut at its first blank line ("from openai import OpenAI" alone) and its lines run
    together; the prose around it is split as ever."""
    code = "```python\nfrom openai import OpenAI\n\nclient = OpenAI(base_url=URL)\n```"
    text = f"The SDK works unchanged:\n{code}\nThen ask. It answers."
    found = split(text)
    assert [s.text for s in found] == ["The SDK works unchanged:", code, "Then ask.",
                                       "It answers."]
    assert text[found[1].start:found[1].end] == code


HELP = ("To get more information on any specific named function, for example solve, the "
        "command is\n> help(solve)\nAn alternative is\n> ?solve\nFor a feature specified by "
        "special characters, the argument must be\nenclosed in quotes.")
TRANSCRIPT = ("Here is another example, this time using addition:\nR> .3 + .6 == .9\n"
              "[1] FALSE\nR> print(matrix(c(.3, .6)), digits = 18)\n[,1]\n"
              "[1,] 0.299999999999999989\n[2,] 0.599999999999999978\nThe rest is prose.")


def test_a_pdfs_unfenced_program_lines_are_pieces_of_their_own() -> None:
    """A PDF writes a manual's examples and a session's transcript without fences: the lines
    opening on a prompt, and the continuation and marked output after them, are a code block
    of their own, not run into the prose around them."""
    assert sentences(HELP) == [
        "To get more information on any specific named function, for example solve, the "
        "command is", "```\n> help(solve)\n```", "An alternative is", "```\n> ?solve\n```",
        "For a feature specified by special characters, the argument must be enclosed in "
        "quotes."]
    found = split(TRANSCRIPT)
    assert [s.text for s in found] == [
        "Here is another example, this time using addition:",
        "```\nR> .3 + .6 == .9\n[1] FALSE\nR> print(matrix(c(.3, .6)), digits = 18)\n[,1]\n"
        "[1,] 0.299999999999999989\n[2,] 0.599999999999999978\n```", "The rest is prose."]
    assert TRANSCRIPT[found[1].start:found[1].end].startswith("R> .3")
    assert TRANSCRIPT[found[1].start:found[1].end].endswith("0.599999999999999978")
    assert sentences(">>> import os\n>>> os.getcwd()\n'/home'\nIt prints the folder.") == [
        "```\n>>> import os\n>>> os.getcwd()\n```", "'/home' It prints the folder."]
    # a command the sentence goes on after, in lower case, is a word of it, written as code:
    # R's output within ("[1] 10 20") would read as an answer's citations
    assert sentences('The function sink,\n> sink("record.lis")\nwill divert all output.\n'
                     "The command\n> sink()\nrestores it.") == [
        'The function sink, `> sink("record.lis")` will divert all output.',
        "The command `> sink()` restores it."]
    printed = ("A long vector is printed as\n> seq(10, 120, by = 10)\n [1] 10 20 30\n"
               "[11] 110 120\nshows, each line opening with its first index.")
    [sentence] = split(printed)
    assert sentence.text == ("A long vector is printed as `> seq(10, 120, by = 10) [1] 10 20 30 "
                             "[11] 110 120` shows, each line opening with its first index.")
    assert (sentence.start, sentence.end) == (0, len(printed))


WORKSPACE = ("During an R session, objects are created and stored by name. The R command\n"
             "> objects()\n(alternatively, ls()) can be used to display the names of the "
             "objects.\nTo remove objects the function rm is available:\n"
             "> rm(x, y, z, ink, junk, temp, foo, bar)\nAll objects can be stored in a file.")


def test_a_command_the_sentence_goes_on_after_in_brackets_is_a_word_of_it() -> None:
    """What cannot open a sentence after a command's line ("(alternatively, ls()) can be",
    ", or", "; then") goes on the sentence before it, as a word in lower case does: apart,
    an answer quoted "The R command" alone."""
    assert sentences(WORKSPACE)[1] == ("The R command `> objects()` (alternatively, ls()) can "
                                       "be used to display the names of the objects.")
    assert sentences("The command\n> sink()\n, given no file, restores it.") == [
        "The command `> sink()` , given no file, restores it."]
    # after a colon too: "produces" is no sentence's first word
    assert sentences('For example:\n> plot(x, y, pch="+")\nproduces a scatterplot.') == [
        'For example: `> plot(x, y, pch="+")` produces a scatterplot.']


@pytest.mark.parametrize("text", [
    # the name the command gives opens the sentence after it
    "We could have used the assignment:\n> evals <- eigen(Sm)$values\n"
    "evals now holds the eigenvalues.",
    # a blank line ends the paragraph the command closes
    "It is reconstructed again:\n> d <- as.integer(digits)\n\nnumeric mode is an amalgam.",
])
def test_a_command_before_a_sentence_of_its_own_is_apart(text: str) -> None:
    assert [piece.startswith("```") for piece in sentences(text)] == [False, True, False]


def test_a_call_after_a_prompt_is_a_command_whatever_words_its_arguments_are() -> None:
    """"rm(x, y, z, ink, junk, temp)" holds a run of plain words as a quotation's prose does,
    yet a name glued to its "(" opening the line makes it a call: a program's line, not run
    into the sentence after it."""
    assert sentences(WORKSPACE)[2:] == [
        "To remove objects the function rm is available:",
        "```\n> rm(x, y, z, ink, junk, temp, foo, bar)\n```",
        "All objects can be stored in a file."]
    assert sentences("Fit it:\n> fm <- lm(y ~ age and height, data = d)\nIt is fitted.") == [
        "Fit it:", "```\n> fm <- lm(y ~ age and height, data = d)\n```", "It is fitted."]


PARSE_ERROR = ("For example, if you misspell a keyword,\n"
               "octave:13> function z = f (x, y) z = x ||| 2; endfunction\n"
               "Octave will respond immediately with a message like this:\nparse error:\n"
               "syntax error\n>>> function z = f (x, y) z = x ||| y; endfunction\n^\n"
               "For most parse errors, Octave uses a caret to mark the point on the line.")


def test_a_numbered_prompts_lines_and_the_caret_under_them_are_code() -> None:
    """Octave's and IPython's numbered prompts open a program's lines as R's and Python's do,
    and an interpreter's message or the caret marking where the line above went wrong is
    output going with them, not the opening of the next sentence."""
    assert sentences(PARSE_ERROR) == [
        "For example, if you misspell a keyword,",
        "```\noctave:13> function z = f (x, y) z = x ||| 2; endfunction\n```",
        "Octave will respond immediately with a message like this: parse error: syntax error",
        "```\n>>> function z = f (x, y) z = x ||| y; endfunction\n^\n```",
        "For most parse errors, Octave uses a caret to mark the point on the line."]
    assert sentences("Join them:\noctave:1> [1 2; 3]\nerror: vertical dimensions mismatch "
                     "(1x2 vs 1x1)\nThe rows differ in length.") == [
        "Join them:", "```\noctave:1> [1 2; 3]\nerror: vertical dimensions mismatch (1x2 vs "
        "1x1)\n```", "The rows differ in length."]
    assert sentences("Add them:\nIn [3]: total = 2 + 1\n   ...: total\nOut[3]: 3\nIt is "
                     "three.") == [
        "Add them:", "```\nIn [3]: total = 2 + 1\n   ...: total\nOut[3]: 3\n```", "It is three."]



def test_an_interpreters_messages_announced_after_the_command_are_code() -> None:
    """A line of prose between the command and its messages ("Octave will respond with")
    says what they are: the messages are a block, not words running into the next sentence."""
    assert sentences("If you then type\noctave:13> f ()\nOctave will respond with\n"
                     "error: 'x' undefined near line 1 column 24\nerror: called from:\n"
                     "This error message has several parts.") == [
        "If you then type", "```\noctave:13> f ()\n```", "Octave will respond with",
        "```\nerror: 'x' undefined near line 1 column 24\nerror: called from:\n```",
        "This error message has several parts."]
    # a finished sentence announces nothing
    assert sentences("Type\noctave:1> f ()\nNothing is printed.\nerror: is printed when "
                     "it fails.")[-1] == "error: is printed when it fails."


def test_an_examples_line_after_a_colon_is_code() -> None:
    """An assignment alone on its line between a sentence ending with a colon and a
    capitalised one is an example, not words running into the sentence after it."""
    assert sentences("To solve Ax = b, use the left division operator, '\\':\nx = A \\ b\n"
                     "This is conceptually equivalent to inv(A)*b.") == [
        "To solve Ax = b, use the left division operator, '\\':", "```\nx = A \\ b\n```",
        "This is conceptually equivalent to inv(A)*b."]
    # words, a formula's symbols, or a line the sentence goes on after
    for text in ("The score is:\nTotal = the sum of all parts\nIt is high.",
                 "The decomposition satisfies:\nA = UCX†\nB is square.",
                 "Set it as follows:\nx = 1\nand then go on."):
        assert not any(s.startswith("```") for s in sentences(text))

CHECK_VARIABLES = (
    "Chapter 8: Tools 55\n_R_CHECK_PKG_SIZES_THRESHOLD_\nThreshold used for "
    "_R_CHECK_PKG_SIZES_ (in Mb). Default: 5\n_R_CHECK_DOC_SIZES_\nShould qpdf be used to "
    "check the installed sizes of PDFs? Default: true if qpdf\nis found.\n"
    "_R_CHECK_BASHISMS_\nCheck the top-level scripts. Default: false")
OPTIONS = ("and exit.\n--help\n-h Print short help message and exit.\n--silent\n--quiet\n"
           "-q Don't print the usual greeting and version message.\n--no-init-file\n"
           "Don't read the initialization files ~/.octaverc and .octaverc.")


def test_a_definition_lists_term_alone_on_its_line_opens_its_entry() -> None:
    """A PDF's reference writes each term alone on a line above its description: the entry
    before ends there, with or without a stop, and the term opens the sentence its
    description starts with. Run on, an answer quoted one entry's default with the next
    entry's term and question."""
    assert sentences(CHECK_VARIABLES) == [
        "Chapter 8: Tools 55",
        "_R_CHECK_PKG_SIZES_THRESHOLD_ Threshold used for _R_CHECK_PKG_SIZES_ (in Mb).",
        "Default: 5",
        "_R_CHECK_DOC_SIZES_ Should qpdf be used to check the installed sizes of PDFs?",
        "Default: true if qpdf is found.",
        "_R_CHECK_BASHISMS_ Check the top-level scripts.", "Default: false"]
    # an option's aliases on the lines after it, or opening its description's line
    assert sentences(OPTIONS) == [
        "and exit.", "--help -h Print short help message and exit.",
        "--silent --quiet -q Don't print the usual greeting and version message.",
        "--no-init-file Don't read the initialization files ~/.octaverc and .octaverc."]
    # the last of a list of names, each on the line before written as code, goes on with it
    assert sentences("The primitives are\n.primTrace .primUntrace\nlazyLoadDBfetch\nThe "
                     "others match by position\n_R_A_\nSets a\n_R_B_\nSets b") == [
        "The primitives are .primTrace .primUntrace lazyLoadDBfetch The others match by "
        "position", "_R_A_ Sets a", "_R_B_ Sets b"]
    # a description opens on a word, not a word in capitals between two commands
    assert sentences("For example, the command\nrun_history\nOR\nrun_history -1\nruns it "
                     "again.\n_R_A_\nSets a.\n_R_B_\nSets b.") == [
        "For example, the command run_history OR run_history -1 runs it again.",
        "_R_A_ Sets a.", "_R_B_ Sets b."]


def test_an_option_table_with_descriptions_in_lower_case_gives_each_entry_a_sentence() -> None:
    """Texinfo writes an option alone on its line above a description in lower case, or, one
    short enough, on the description's line: read as one sentence, the table was quoted whole
    for one option asked about. The sentence after it opens a line of its own."""
    table = ("Probably the most important ones are (defaults in brackets)\n"
             "--with-x use the X Window System [yes]\n--with-readline\n"
             "use readline library (if available) [yes]\n--enable-memory-profiling\n"
             "attempt to compile support for Rprofmem() and tracemem() [no]\n--enable-R-shlib\n"
             "build R as a shared/dynamic library [no]\nYou can use --without-foo for the "
             "negatives.")
    assert sentences(table) == [
        "Probably the most important ones are (defaults in brackets)",
        "--with-x use the X Window System [yes]",
        "--with-readline use readline library (if available) [yes]",
        "--enable-memory-profiling attempt to compile support for Rprofmem() and tracemem() "
        "[no]",
        "--enable-R-shlib build R as a shared/dynamic library [no]",
        "You can use --without-foo for the negatives."]


def test_a_line_opening_on_an_option_above_a_sentence_is_no_list_entry() -> None:
    """Only a term of the kind the list's others are, above them, shares its line."""
    text = ("Use the flag\nR_HOME is where R lives and is set by the script\n--vanilla\n"
            "Do not read any profile.\n--no-save\nDo not save the workspace.")
    assert sentences(text)[0] == "Use the flag R_HOME is where R lives and is set by the script"


@pytest.mark.parametrize("text", [
    # a single name on its line: an example the sentence before introduces
    "This can be overridden by specifying\nR_OPENMP_CFLAGS\nUse for packages is similar.",
    # plain words, words in capitals, names ending their sentences
    "It is built with\nmake\nThen it runs with\nmake\nBuilds it.",
    "It is sold in the\nUSA\nToday and in the\nEEC\nTomorrow.",
    "It is set in R_MissingArg and\nR_BaseNamespace.\nFor all types it is\nR_NilValue.\n"
    "For the rest it is not",
    # names listed on their lines, the sentence going on in lower case after them
    "Configure with something like\n--with-blas=\"openblas\"\nSee the next section. Fedora "
    "has\nlibopenblas.so\nlibopenblasp.so\nrespectively, each of which can be used.",
])
def test_a_name_alone_on_its_line_outside_a_definition_list_goes_on(text: str) -> None:
    assert len(sentences(text)) == len(sentences(text.replace("\n", " ")))


PRECEDENCE = ("The order of precedence (highest first) of the operators is\n::\n$ @\n^\n"
              "- + (unary)\n:\n%xyz% |>\n* /\n+ - (binary)\n> >= < <= == !=\n!\n& &&\n"
              "| ||\n~ (unary and binary)\n-> ->>\n<- <<-\n= (as assignment)\n"
              "Note that : precedes binary +/-, but not ^.")


def test_lines_of_operators_are_one_block_not_prompts_or_bullets() -> None:
    """A language reference's table of operators, a line of symbols to each level, is quoted
    whole on its lines: "$ @" is no shell prompt, "> >= <" no R command, "* /" and "+ -
    (binary)" no list items."""
    found = split(PRECEDENCE)
    assert [s.text for s in found] == [
        "The order of precedence (highest first) of the operators is",
        "```\n" + PRECEDENCE.split("\n", 1)[1].rsplit("\n", 1)[0] + "\n```",
        "Note that : precedes binary +/-, but not ^."]
    assert PRECEDENCE[found[1].start:found[1].end].startswith("::")
    assert PRECEDENCE[found[1].start:found[1].end].endswith("= (as assignment)")
    # one such line alone is no command either
    assert sentences("The symbols are\n$ @\nin that order.") == [
        "The symbols are $ @ in that order."]


@pytest.mark.parametrize("text", [
    # a quotation's or an e-mail's lines: prose, whatever opens them
    "He wrote:\n> Note that this is not the way to do it.\n> Thanks\nSo I did.",
    "> **Note:** use `x = 1` here.\nDone.",
    # a price, and a reference list's "[1]" with no prompt before it
    "It costs\n$ 100 a month.",
    "References\n[1] J. Smith. A paper on vectors. 2001.\n[2] A. Jones. Another. 2003.",
])
def test_lines_that_only_look_like_a_programs_stay_prose(text: str) -> None:
    assert not any(piece.startswith("```") for piece in sentences(text))


@pytest.mark.parametrize(("text", "pieces"), [
    # a passage cut inside a block: the code runs to its end
    ("Run this:\n\n```sh\nrag ingest docs/\n\nrag ask 'Why?'\n",
     ["Run this:", "```sh\nrag ingest docs/\n\nrag ask 'Why?'"]),
    # a passage that begins inside a block: its bare fence closes it, and the next opens
    ("export A=1\n```\n\nOr in Python:\n```python\nx = 1\n```",
     ["export A=1 ```", "Or in Python:", "```python\nx = 1\n```"]),
    # a bare fence left open opens a block, or closes one begun before: text either way
    ("export A=1\n```\n\nThe rest is prose.", ["export A=1 ```", "The rest is prose."]),
    # a fence closes only with its own character, at least as long, with nothing after it
    ("````\n```python\nx = 1\n```\n````\nDone.", ["````\n```python\nx = 1\n```\n````",
                                                   "Done."]),
    ("   ```\ncode\n   ```\nDone.", ["```\ncode\n   ```", "Done."]),
    ("Write `` ``` `` to open a block. Then code.", ["Write `` ``` `` to open a block.",
                                                       "Then code."]),
])
def test_where_a_fenced_block_opens_and_closes(text: str, pieces: list[str]) -> None:
    assert sentences(text) == pieces


@pytest.mark.parametrize(("text", "pieces"), [
    # a bare fence left open opens a block, cut by the passage's end
    ("Connect like this.\n```\n> library(RMySQL)\n> con <- dbConnect(drv)",
     ["Connect like this.", "```\n> library(RMySQL)\n> con <- dbConnect(drv)"]),
    ("```\nx = 1\n\ny = 2", ["```\nx = 1\n\ny = 2"]),
    # a fence naming a language inside a bare-fenced block is a line of its code
    ("```\n```python\nx = 1\n```\nDone.", ["```\n```python\nx = 1\n```", "Done."]),
])
def test_a_passage_known_to_begin_outside_code_opens_a_block_at_each_fence(
        text: str, pieces: list[str]) -> None:
    """Ingest knows where a chunk begins: outside any block, its bare fence can only open
    one, where read alone it might close a block begun before the passage."""
    assert sentences(text, outside_code=True) == pieces
    assert sentences(text) != pieces


def test_the_text_after_a_cut_blocks_closing_fence_begins_outside_code() -> None:
    text = "x = 1\n```\n\nThen run it:\n```\nrun(x)"
    assert sentences(text, code_fence="```python") == [
        "```python\n…\nx = 1\n```", "Then run it:", "```\nrun(x)"]


@pytest.mark.parametrize(("text", "pieces"), [
    # its lines up to the closing fence are the block's end, quoted under its opening fence
    ("x = model(input)\nprint(x)\n```\n\nThe output has 384 numbers.",
     ["```python\n…\nx = model(input)\nprint(x)\n```", "The output has 384 numbers."]),
    # the fences after it pair as they follow: prose between two blocks stays prose
    ("x = 1\n```\n\nThen run it.\n```\nrun(x)\n```",
     ["```python\n…\nx = 1\n```", "Then run it.", "```\nrun(x)\n```"]),
    # a passage that is all code, cut at both ends
    ("x = 1\ny = 2", ["```python\n…\nx = 1\ny = 2"]),
    # a passage that opens on the closing fence itself holds none of the code
    ("```\nThe end.", ["The end."]),
])
def test_a_passage_beginning_inside_a_code_block_reads_its_start_as_code(
        text: str, pieces: list[str]) -> None:
    """A chunk may begin inside a program its document fences: the chunker says so
    (`Chunk.code_fence`), and the lines before the closing fence are code, not prose."""
    found = split(text, code_fence="```python")
    assert [s.text for s in found] == pieces
    for piece in found:  # the cut block from the passage's start, the rest where they were
        if piece.text.startswith("```python\n…\n"):
            assert piece.start == 0 and piece.text.endswith(text[:piece.end])
        else:
            assert text[piece.start:piece.end] == piece.text
    assert is_cut_code(found[0].text) is pieces[0].endswith("y = 2")


@pytest.mark.parametrize(("piece", "cut"), [
    ("```python\nx = 1\n```", False),
    ("````\n```\nx\n````", False),
    ("```\n```", False),
    ("```sh\nrag ingest docs/", True),  # the passage ended inside it
    ("````\nx = 1\n```", True),  # a shorter fence is code inside it
    ("Write ``` to fence code.", False),  # not code at all
    ("``` opens a fence when it starts a line.", False),  # prose, its lines run together
])
def test_a_code_block_its_passage_does_not_close_is_cut(piece: str, cut: bool) -> None:
    assert is_cut_code(piece) is cut


def test_tildes_underlining_plain_text_headings_fence_nothing() -> None:
    found = sentences("Setup\n~~~~~\nInstall it.\n\nUse\n~~~~~\nRun it.")
    assert len(found) == 2 and not any("Install" in s and "Run" in s for s in found)


def test_a_comment_in_code_that_looks_like_a_heading_is_not_cut_inside_a_word() -> None:
    text = ('one can use\nfor(i in 1:100) {\n## Calculations constructing "obj" ...\n'
            'fp <- file.path("R")\n}\n# Create queue q = queue.Queue()\nq.put(1)')
    for sentence in split(text):
        assert sentence.start == 0 or text[sentence.start - 1].isspace(), sentence


def test_a_markdown_heading_naming_a_command_is_a_heading() -> None:
    assert is_heading("### `rag keys add USER`")
    assert is_heading("### `GET /ingests/{id}`, `GET /ingests`")
    assert not is_heading("# `x` = 1")  # a comment in code
    assert not is_heading("# we call `f` here")
    # a changelog's versions, and a name capitalised inside
    for heading in ("## v2.10.3 (2026-03-14)", "## [2.10.3] - 2026-03-14",
                    "## macOS install notes", "### iOS and iPadOS"):
        assert is_heading(heading), heading
    assert not is_heading("# myValue = compute()")  # code still
    text = "Keys are hashed.\n\n### `rag keys add USER`\n\nMake an API key for USER."
    assert [s.text for s in split(text)] == [
        "Keys are hashed.", "### `rag keys add USER`", "Make an API key for USER."]


def test_a_numbered_question_is_a_heading_and_an_unnumbered_one_a_sentence() -> None:
    assert is_heading("7.3 How can I clean up my workspace?")
    assert not is_heading("What is R?")
    assert not is_heading("3 Why did it fail?")  # a bare number: a list's item as well


@pytest.mark.parametrize("line", [
    "1." + " " * 2**20 + "a",  # each space a place a heading's title could start
    "1. A" + " b" * 2**19,
    "1. A b c d e" + " " * 2**20 + "=",
    "1.1" + " " * 2**20 + "a",
    "1.1 a" + " 1" * 2**19,
], ids=["spaces", "words", "code at the end", "spaces before lower case", "numbers"])
def test_a_numbered_line_of_a_megabyte_is_split_in_linear_time(line: str) -> None:
    started = time.perf_counter()
    split("It starts.\n" + line + "\nThe end.")
    assert time.perf_counter() - started < 5.0  # a quadratic search takes minutes


APPENDICES = ("Appendix A Essential and useful other programs\nunder a Unix-alike\n\n"
              "This appendix gives details of programs you will need.\n\n"
              "Appendix B Configuration on a Unix-alike\nB.1 Configuration options\n\n"
              "configure has many options: running\n./configure --help\nwill give a list.")


def test_a_lettered_appendix_is_a_heading_apart_from_its_first_section() -> None:
    """A Texinfo manual heads its appendices "Appendix A ...": a title, not a sentence to
    quote, which wraps over two lines and sits right above its first section's heading."""
    found = sentences(APPENDICES)
    assert found[:4] == ["Appendix A Essential and useful other programs under a Unix-alike",
                         "This appendix gives details of programs you will need.",
                         "Appendix B Configuration on a Unix-alike", "B.1 Configuration options"]
    assert all(is_heading(piece) for piece in found[:4:2] + found[3:4])
    # run together on one line, the two are a title still
    assert is_heading("Appendix B Configuration on a Unix-alike B.1 Configuration options")
    assert not is_heading("Appendix A describes the tools")
    assert not is_heading("Appendix A Tools are listed there.")


@pytest.mark.parametrize("heading", [
    "6.3.2 attach() and detach()", "5.1 lapply and friends", "2.3 c()", "10.4 `...` argument",
    "6.1.5 ‘Mode’"])
def test_a_section_titled_by_a_function_in_lower_case_is_a_heading(heading: str) -> None:
    assert is_heading(heading)


@pytest.mark.parametrize("line", [
    "3.9.1 and the routine removed in 3.10.1.)",  # prose wrapped after a version
    "1.5 times as long",
    "1.2 kg of flour 0.5 tsp salt",  # a list's amounts
    "2.3 c(1, 2).",
    "1.1 x <- 3",
    "1. lapply and friends",  # a list's step
    "3 lapply and friends",  # a footnote's number
    "2.1 the first step of the build, then the rest"])
def test_a_numbered_line_going_on_in_lower_case_is_no_heading(line: str) -> None:
    assert not is_heading(line)


@pytest.mark.parametrize("heading", ["12.2 64-bit types", "B.1 32-bit Windows", "4.3 3D plots"])
def test_a_section_titled_by_a_word_opening_with_figures_is_a_heading(heading: str) -> None:
    assert is_heading(heading)
    text = f"The sizes are fixed.\n{heading}\nOn a 64-bit platform they are wider."
    assert [piece.text for piece in split(text)] == [
        "The sizes are fixed.", heading, "On a 64-bit platform they are wider."]


@pytest.mark.parametrize("line", [
    "1.5 2-inch screws are used.", "1.1 2x = 4", "3 64-bit builds",
    "1.2 500g flour 0.5 tsp salt"])
def test_a_numbered_line_of_figures_that_is_a_sentence_or_a_list_is_no_heading(
        line: str) -> None:
    assert not is_heading(line)


def test_an_example_line_giving_its_result_after_an_arrow_is_code() -> None:
    text = "Vectors are written in brackets:\na = [1 2] ⇒ a = 1 2\nThe result follows the arrow."
    assert [piece.text for piece in split(text)] == [
        "Vectors are written in brackets:", "```\na = [1 2] ⇒ a = 1 2\n```",
        "The result follows the arrow."]
    # another sign out of ASCII is a formula's, read as words
    assert len(split("The energy is:\nE = mc² ⇒ large\nThat is physics.")) == 1


def test_a_short_numbered_title_is_a_heading_and_a_numbered_step_a_sentence() -> None:
    assert is_heading("1. Encoding")
    assert is_heading("12. White space in character fields")
    assert not is_heading("1. Install R.")
    assert not is_heading("1. Use the source and the build options here")  # too long
    assert not is_heading("1. lambda = qz (A, B)")


@pytest.mark.parametrize(("sentence", "leans"), [
    ("He left early.", True),
    ("However, most lights are automatic today.", True),
    ("Later that night he rescued a fisherman.", True),
    ("Members of this group may use sudo.", True),
    ("If so, we may wish to make it a binary operator.", True),
    ("Another way to do this is as follows:", True),
    ("On some systems this will bring up a dialog box.", True),
    ("Once this function is defined, it can be called.", True),
    ("To read such files set fill = TRUE.", True),
    ("On such platforms NA is represented by a NaN.", True),
    ("For a large data set, this takes considerable amounts of time.", True),
    ("All other numbers are internally rounded.", True),
    ("If that variable is unset, the default is used.", True),
    ("Any symbols bound in that environment are captured.", True),
    ("Yes, instead of just running it in a console, definitely.", True),
    # a pronoun after an opening phrase
    ("By default it creates data files with extra formatting.", True),
    ("In most cases, they may be normal files.", True),
    ("By default the file is read at startup.", False),
    ("Note that the file is read at startup.", False),  # "that", a conjunction
    ("Given that x is small, the loop stops.", False),
    ("Languages such as Python are dynamic.", False),  # an example, not a reference
    ("Choose a step such that the error is small.", False),
    ("Bob was in such good spirits as he drove along.", False),  # a comparison
    ("Here is another example, this time using addition:", False),  # on its main clause
    ("No package is loaded by default.", False),
    ("Anotherland is a village.", False),
    ("Helen left early.", False),  # a name that starts like a pronoun
    ("The keeper lit the lamp.", False),
    ("Thesis defences are public.", False),
    # "also" after a definite subject's verb: more said of what the one before names
    ("The result is also saved by the promise.", True),
    ("The stored value can also be changed.", True),
    ("The function also returns a list.", False),  # "also" before the verb: said of itself
    ("A list is also a vector.", False),
    ("The result is saved by the promise.", False),
])
def test_a_sentence_leaning_on_the_one_before_it(sentence: str, leans: bool) -> None:
    assert leans_back(sentence) is leans


def test_each_record_of_a_log_is_a_sentence_of_its_own() -> None:
    """A log writes no stops: read as prose, its excerpt was one sentence, quoted whole for
    the one line a question was about."""
    log = ("2026-11-30T08:14:02.118Z INFO [main] flowgate 2.10.3 starting\n"
           "2026-11-30T08:15:11.502Z WARN [upstream] connect failed: connection refused\n"
           "[2026-11-30 08:15:13,507] WARN retrying in 2000 ms\n"
           "Nov 30 08:17:45 gw sshd[811]: Accepted publickey for ops")
    assert sentences(log) == log.split("\n")


def test_each_copyright_notice_on_a_line_of_its_own_is_a_piece_of_its_own() -> None:
    """A title page stacks its notices, each on its line and none ending in a stop, above
    the licence: read as prose they ran together and into the licence's first sentence."""
    page = ("1.1 Legalese\n\nCopyright © 1998–2020 Kurt Hornik\n"
            "Copyright © 2021–2022 R Core Team\nThis document is free software; you can "
            "redistribute it\nunder the terms of the GNU General Public License.\n"
            "© 2024 Acme Inc.\n(C) 2025 Ann Lee\nAll rights reserved.")
    assert sentences(page) == [
        "1.1 Legalese", "Copyright © 1998–2020 Kurt Hornik", "Copyright © 2021–2022 R Core Team",
        "This document is free software; you can redistribute it under the terms of the GNU "
        "General Public License.", "© 2024 Acme Inc.", "(C) 2025 Ann Lee",
        "All rights reserved."]
    # "Copyright" opening prose, or a notice wrapped after a comma, opens no piece
    assert sentences("Copyright Office rules differ\nby country. Copyright 2020 Ann Lee,\n"
                     "Bob Ray and others.") == ["Copyright Office rules differ by country.",
                                                "Copyright 2020 Ann Lee, Bob Ray and others."]


@pytest.mark.parametrize(("sentence", "introduces"), [
    ("Install it with pip:", True),
    ("a version for S is", True),
    ("Consider the following function definition.", True),
    ("The following statements are all global declarations.", True),
    # a caption, its closing quote no stop
    ("Clear all variables starting with 'x' and the specific variable \"foobar\"", True),
    ("In this case we need a 3 by 2 subscript array, as in the following example.", True),
    ("An example is given below.", True),
    ("The following code is the equivalent of get(name, envir = rho).", True),
    ("It looks like this.", True),
    ("So the first few lines of a file might look as follows.", True),
    ("The output is shown below.", True),
    # the opening of an example, where the sentence goes on in it
    ("The most direct method of obtaining a call object is to use quote with an expression "
     "argument, e.g.,", True),
    ("This can be done with brace expansion, for example,", True),
    ("Use a short expression, e.g.", True),
    ("Write the inverse, i.e.,", True),
    ("Write the inverse, i.e.", True),
    # "the following" before other words opens a list, and "below" points to a section
    ("The R distribution also comes with the following manuals.", False),
    ("They are listed in the table below.", False),
    ("Beware that read.table is slow for large matrices: see scan below.", False),
    ("Both formulae specify the same model.", False),
])
def test_a_sentence_introduces_the_code_after_it(sentence: str, introduces: bool) -> None:
    """A colon, no stop, the opening of an example, or a full stop after words pointing
    ahead to a program."""
    assert introduces_code(sentence) is introduces


@pytest.mark.parametrize(("sentence", "promises"), [
    ("Here is a small example of creating an R numeric vector in C code:", True),
    ("Run the following commands:", True),
    ("The most direct method is to use quote with an expression argument, e.g.,", True),
    ("This can be done with brace expansion, for example,", True),
    # a pointer to what follows: a program, a table, a list
    ("So the first few lines of a file might look as follows.", True),
    ("The output is shown below.", True),
    ("A typical session looks like this:", True),
    ("The options are given in the following.", True),
    ("It follows as shown.", False),
    # a colon after other words may open what someone says, or a list
    ('"What is the matter?" she asked in a tone of anxiety:', False),
    ("Yours truly,", False),
    ("Consider the following function definition.", False),
])
def test_a_sentence_promises_the_example_after_it(sentence: str, promises: bool) -> None:
    """The opening of an example, a colon after a word for one, or a pointer ahead."""
    assert promises_example(sentence) is promises
