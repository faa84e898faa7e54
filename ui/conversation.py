"""A chat's messages as the app shows them: who answered and how fast, its sources, and the
whole conversation as Markdown."""

from __future__ import annotations

from typing import Any

from rag.answering.strategies import describe as strategy_line
from rag.types import source_name


def source_label(citation: dict[str, Any]) -> str:
    """"Title, page 3" (the file name when there is no title; no page for pageless files)."""
    name = citation.get("title") or source_name(str(citation.get("source", "")))
    page = f", page {citation['page']}" if citation.get("page") else ""
    return f"{name}{page}"


def answer_meta(message: dict[str, Any]) -> str:
    """One line saying who answered, how, and how fast: generator · model · cache · latency."""
    generator, model = message.get("generator") or "?", message.get("model")
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


def to_markdown(messages: list[dict[str, Any]], title: str = "Conversation") -> str:
    """The conversation as Markdown: each question, each answer, and the answer's sources."""
    lines = [f"# {title}", ""]
    for m in messages:
        if m.get("role") == "user":
            lines += [f"**You:** {m['content']}", ""]
            continue
        lines += [f"**Answer** ({answer_meta(m)}):", "", m.get("content", ""), ""]
        if m.get("notice"):
            lines += [f"> {m['notice']}", ""]
        strategy = strategy_line(m)
        if strategy:
            lines += [f"> {strategy[0]}", ""]
        citations = m.get("citations") or []
        if citations:
            lines.append("Sources:")
            lines.append("")
            for n, c in enumerate(citations, start=1):
                quote = " ".join(str(c.get("text", "")).split())
                lines.append(f"{n}. {source_label(c)} ({source_name(str(c.get('source', '')))})")
                lines.append(f"   > {quote}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
