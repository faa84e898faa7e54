"""A chat's messages as the app shows them: who answered and how fast, its sources, and the
whole conversation as Markdown (inert: no image, link or HTML from a document or a model
survives into the file, see `ui.safe_text`)."""

from __future__ import annotations

from collections import Counter
from pathlib import PurePath
from typing import Any

from rag.text.controls import escaped_controls, terminal_safe
from rag.types import cited_place, describe_strategy, source_name
from ui.safe_text import plain, plain_with_code, quoted_with_code, safe_markdown


def shown_file_name(source: str) -> str:
    """A source's file name on one line: its control characters and line breaks as escapes
    (a name's "\n" would otherwise start a line of its own)."""
    return escaped_controls(source_name(source))


def shown_file_names(citations: list[dict[str, Any]]) -> list[str]:
    """Each citation's file name as `distinct_names` shows it among the answer's sources."""
    return distinct_names([str(c.get("source", "")) for c in citations])


def distinct_names(sources: list[str]) -> list[str]:
    """Each source's file name as `shown_file_name` shows it, with as many of its folders as
    tell it from another of `sources` by the same name ("c/manual.txt" and "d/manual.txt"
    for chg/c/manual.txt and chg/d/manual.txt); the whole source when no folder does (an
    upload and a file on disk)."""
    by_name: dict[str, set[str]] = {}
    for source in sources:
        by_name.setdefault(source_name(source), set()).add(source)
    shown: dict[str, str] = {}
    for namesakes in by_name.values():
        shown.update(distinct_paths(namesakes))
    return [shown[source] for source in sources]


def distinct_paths(namesakes: set[str]) -> dict[str, str]:
    """Each of `namesakes` (sources of one file name) as the shortest end of its path that
    no other ends with: the ends of each length counted once for them all, since a library
    may hold thousands of one name (`index.md`)."""
    if len(namesakes) < 2:
        return {source: shown_file_name(source) for source in namesakes}
    parts = {s: PurePath(s.removeprefix("upload:")).parts for s in namesakes}
    shown: dict[str, str] = {}
    for k in range(2, max(map(len, parts.values())) + 1):
        ends = Counter(path[-k:] for path in parts.values())
        for source, path in parts.items():
            if source not in shown and len(path) >= k and ends[path[-k:]] == 1:
                shown[source] = escaped_controls(str(PurePath(*path[-k:])))
    return {source: shown.get(source) or escaped_controls(source) for source in namesakes}


def cited_numbers(message: dict[str, Any]) -> set[int] | None:
    """The numbers of the passages the answer cites, or None when that is not known (an
    answer stopped before its end, or kept before answers said)."""
    cited = message.get("cited")
    return None if cited is None else {int(n) for n in cited}


def source_label(citation: dict[str, Any]) -> str:
    """"Title, page 3" or "Deck, slide 3: Budget" (the file name when there is no title;
    nothing after it for a file without pages)."""
    name = escaped_controls(citation.get("title")
                            or source_name(str(citation.get("source", ""))))
    place = cited_place(citation.get("page"), citation.get("locator"), citation.get("title"))
    return f"{name}, {place}" if place else name


def answer_meta(message: dict[str, Any]) -> str:
    """One line saying who answered, how, and how fast: generator · model · cache · latency."""
    generator, model = message.get("generator") or "?", message.get("model")
    if model == "none":  # nothing was found, so no model was asked
        model = None
    parts = [generator]
    if model and model.startswith(generator):  # "extractive (local:...)"
        parts = [model]
    elif model:
        parts.append(model)
    parts.append("from cache" if message.get("cached") else "fresh")
    if message.get("latency_ms") is not None:
        parts.append(f"{message['latency_ms'] / 1000:.2f} s")
    if message.get("ttft_ms") is not None:
        parts.append(f"first token {message['ttft_ms'] / 1000:.2f} s")
    if message.get("neurons"):
        parts.append(f"{message['neurons']:.1f} neurons")
    return " · ".join(parts)


def message_markdown(message: dict[str, Any]) -> str:
    """A message as the chat shows it: a question, and an answer of quoted sentences (the
    extractive answerer's), as the text they are; a model's answer with its formatting."""
    text = str(message.get("content", ""))
    if message.get("role") == "user":
        return plain(text)
    return answer_markdown(text, quotes_documents(message.get("generator"),
                                                  message.get("model")))


def quotes_documents(generator: str | None, model: str | None) -> bool:
    """Whether an answer's text is quoted from the documents (the extractive answerer's),
    not the app's own words: the answer to a search that found nothing names no model."""
    return generator == "extractive" and model != "none"


def answer_markdown(text: str, quoted: bool) -> str:
    # a quote keeps the document's own Markdown ("# Title", "**note**") as written, and shows
    # its code blocks as code
    return plain_with_code(text) if quoted else safe_markdown(text)


def exported_passage(text: str) -> list[str]:
    """A source's passage as "Open [n]" quotes it, its code blocks as code, each line
    indented to stay inside the source's list item."""
    return [f"   {line}" for line in (quoted_with_code(text) or ">").split("\n")]


def to_markdown(messages: list[dict[str, Any]], title: str = "Conversation") -> str:
    """The conversation as Markdown: each question, each answer, and the answer's sources."""
    lines = [f"# {title}", ""]
    # a question is answered from one collection: the export says which, once when it is the
    # same for every question, else beside each
    collections = list(dict.fromkeys(m["collection"] for m in messages
                                     if m.get("role") == "user" and m.get("collection")))
    if len(collections) == 1:
        lines += [f"Asked of the collection {plain(collections[0])}.", ""]
    for m in messages:
        if m.get("role") == "user":
            asked_in = (f" (in {plain(m['collection'])})"
                        if len(collections) > 1 and m.get("collection") else "")
            lines += [f"**You{asked_in}:** {message_markdown(m)}", ""]
            continue
        if m.get("error"):  # a notice in the answer's place (a refusal, an error): no answer
            lines += [f"> {plain(m.get('content', ''))}", ""]
            continue
        lines += [f"**Answer** ({plain(answer_meta(m))}):", "",
                  message_markdown(m), ""]
        if m.get("searched"):
            lines += [f"> Searched for: {plain(m['searched'])}", ""]
        if m.get("notice"):
            lines += [f"> {plain(m['notice'])}", ""]
        strategy = describe_strategy(m)
        if strategy:
            lines += [f"> {plain(strategy[0])}", ""]
        citations = m.get("citations") or []
        if citations:
            lines.append("Sources:")
            lines.append("")
            cited = cited_numbers(m)
            # a mark per line: a Markdown list shows its numbers in order, whatever is written
            for n, (c, name) in enumerate(zip(citations, shown_file_names(citations),
                                              strict=True), start=1):
                mark = "" if cited is None or n in cited else " · retrieved, not cited"
                lines.append(f"{n}. {plain(source_label(c))} ({plain(name)}){mark}")
                lines += exported_passage(str(c.get("text", "")))
            lines.append("")
    # a file read in a terminal (`cat`) obeys escape sequences: a clipboard write, a title
    return terminal_safe("\n".join(lines).rstrip() + "\n")
