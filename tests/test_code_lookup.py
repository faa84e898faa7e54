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
