"""A code or an option the question names as written ("--persist"), which none of the best
passages writes: the passage that writes it comes into the results, in their last place. Its
pieces are common words ("persist"), and passages on "persistent" outrank it by them."""

from __future__ import annotations

from rag.service import RagService

PERSISTENT = ("What does a persistent variable do? It keeps its value between calls of a "
              "function. Persistent variables are declared with the persistent keyword, and "
              "a persistent value persists until it is cleared. Note {n} on persistence.")
OPTIONS = "Command line options\n" + "".join(
    f"--{name}\n{meaning}.\n" for name, meaning in [
        ("eval code", "Evaluate code and exit when finished"),
        ("gui", "Start the graphical user interface"),
        ("line-editing", "Force readline use for command-line editing"),
        ("no-history", "Disable recording of commands in the history list"),
        ("norc", "Do not read any of the system or user initialization files"),
        ("persist", "Go to interactive mode after reading a file named on the command line"),
        ("quiet", "Do not print the usual greeting and version message at startup"),
        ("traditional", "Set initial values for user preferences for compatibility"),
        ("verbose", "Turn on verbose output")])
INDEX = "Index of options\n--eval . . . . . . . . . . 17\n--persist . . . . . . . . . . 17"


def test_a_passage_writing_the_option_asked_about_is_found(service: RagService) -> None:
    for n in range(8):
        service.ingest_bytes(f"persistent-{n}.txt", PERSISTENT.format(n=n).encode(),
                             f"upload:persistent-{n}.txt")
    service.ingest_bytes("index.txt", INDEX.encode(), "upload:index.txt")
    service.ingest_bytes("options.txt", OPTIONS.encode(), "upload:options.txt")
    question = "What does --persist do?"
    hits = service.search(question, top_k=3)
    assert [hit.source for hit in hits][-1] == "upload:options.txt"  # before the index's line
    assert hits[-1].score <= hits[-2].score  # in the results' order
    (best,) = service.search(question, top_k=1)  # the best hit stays the best
    assert best.source == hits[0].source and best.score == hits[0].score
    answer = service.ask(question, top_k=3)
    assert "Go to interactive mode after reading a file" in answer.text
    # a question naming no code is searched as ever
    assert "upload:options.txt" not in [
        hit.source for hit in service.search("What is a persistent variable?", top_k=3)]


def test_an_option_the_best_passages_write_only_in_passing_brings_its_definition(
        service: RagService) -> None:
    """Passages mentioning the option ("unless --persist is also specified") do not hold its
    definition: the passage whose list of options opens a line with it is brought in."""
    for n in range(8):
        service.ingest_bytes(f"persistent-{n}.txt", PERSISTENT.format(n=n).encode(),
                             f"upload:persistent-{n}.txt")
    for n in range(3):
        service.ingest_bytes(f"usage-{n}.txt", (
            f"Running script {n}\nWhat does the option do? Octave runs the commands of file "
            f"{n} and exits when done, unless the --persist option is also given: the "
            f"persistent session then stays open.").encode(), f"upload:usage-{n}.txt")
    service.ingest_bytes("options.txt", OPTIONS.encode(), "upload:options.txt")
    question = "What does the --persist option do?"
    found = [hit.source for hit in service.search(question, top_k=3)]
    assert found[0].startswith("upload:usage-") and found[-1] == "upload:options.txt"
    answer = service.ask(question, top_k=3)
    assert answer.text.startswith(
        "--persist Go to interactive mode after reading a file named on the command line.")


def test_options_listed_together_are_each_defined_by_their_line() -> None:
    from rag.text.identifiers import defines_option

    line = "--save / --no-save Control whether data sets should be saved at the end."
    assert defines_option(line, "--no-save") and defines_option(line, "--save")
    assert defines_option("-v, --verbose Print more.", "--verbose")
    assert defines_option("--save --no-save Control whether data sets are saved.", "--no-save")
    assert not defines_option("Exit when done unless --persist is also specified.",
                              "--persist")


VECTORS = ("Vectors and assignment\nA vector is an ordered collection of numbers. The "
           "vector x holds five numbers, and a vector can be {n} long. Vector arithmetic "
           "works element by element on each vector.")
COERCION = ("Arrays\nThe official way to coerce an array back to a simple vector object "
            "is to use as.vector(). The function is.na(x) gives a logical vector of the "
            "same size as x.")


def test_a_dotted_name_is_searched_and_quoted_as_written(service: RagService) -> None:
    """"as.vector" is no "vector", and "is.na" no "na": the passages on vectors outrank the
    one writing the name by their words."""
    for n in range(8):
        service.ingest_bytes(f"vectors-{n}.txt", VECTORS.format(n=n).encode(),
                             f"upload:vectors-{n}.txt")
    service.ingest_bytes("arrays.txt", COERCION.encode(), "upload:arrays.txt")
    for question in ("as.vector", "What does as.vector do?", "What does is.na return?"):
        found = [hit.source for hit in service.search(question, top_k=3, mode="sparse")]
        assert found[0] == "upload:arrays.txt", question
        found = [hit.source for hit in service.search(question, top_k=3, mode="hybrid")]
        assert "upload:arrays.txt" in found, question
    answer = service.ask("What does is.na return?", top_k=3)
    assert answer.text.startswith("The function is.na(x) gives a logical vector")


DIFFERENCES = ("Builtin objects and special forms\nThese two kinds of object differ. The "
               "difference between the two lies in the argument handling, and the difference "
               "{n} matters.")
OPERATORS = ("Operators\nThe %in% operator matches values. The && operator is the And of "
             "one value, and & the And of each element. The <<- operator assigns in the "
             "enclosing environment.")


def test_an_operator_is_searched_as_written(service: RagService) -> None:
    """"&&" and "%in%" are no words: without them "What is the difference between && and
    &?" asks only "difference", and "What does %in% do?" nothing."""
    for n in range(8):
        service.ingest_bytes(f"differences-{n}.txt", DIFFERENCES.format(n=n).encode(),
                             f"upload:differences-{n}.txt")
    service.ingest_bytes("operators.txt", OPERATORS.encode(), "upload:operators.txt")
    for question in ("What is the difference between && and &?", "What does %in% do?",
                     "What does the <<- operator do?"):
        found = [hit.source for hit in service.search(question, top_k=3, mode="sparse")]
        assert found[0] == "upload:operators.txt", question
        found = [hit.source for hit in service.search(question, top_k=3, mode="hybrid")]
        assert "upload:operators.txt" in found, question
    answer = service.ask("What is the difference between && and &?", top_k=3)
    assert answer.text.startswith("The && operator is the And of one value")
