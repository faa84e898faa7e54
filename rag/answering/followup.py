"""Turn a follow-up question ("and what about its price?") into one retrieval can use.

With an LLM configured, the model rewrites the question as a standalone one from the chat
history. Without one, a question that leans on the conversation (a pronoun, or too few words
of its own) carries over the previous question's terms.
"""

from __future__ import annotations

import logging
import re

from rag.errors import AIError
from rag.providers.generators.base import GenerationRequest, Generator
from rag.text import lexical
from rag.types import GenerationRecord

log = logging.getLogger(__name__)

REWRITE_INSTRUCTIONS = (
    "You rewrite the last question of a conversation so that it can be understood without the "
    "conversation. Replace pronouns and references with what they refer to. Keep it short. "
    "Reply with the rewritten question only, nothing else."
)
_ANAPHORA = frozenset(
    "it its they them their theirs this that these those he him his she her hers there "
    "one ones same former latter".split()
)
_CONNECTIVE = re.compile(r"^\s*(and|also|what about|how about|and what|or|but|then)\b", re.I)
_OWN_TERMS = 3  # a question with at most this many content words leans on the context


def previous_question(history: list[dict[str, str]]) -> str | None:
    return next((t["content"] for t in reversed(history) if t.get("role") == "user"), None)


def is_follow_up(question: str) -> bool:
    words = set(re.findall(r"[a-z']+", question.lower()))
    return (bool(words & _ANAPHORA) or bool(_CONNECTIVE.match(question))
            or len(lexical.terms(question)) <= _OWN_TERMS)


def carry_over(question: str, previous: str | None) -> str:
    """The question plus the previous question's terms, when it reads as a follow-up."""
    if not previous or not is_follow_up(question):
        return question
    return f"{question} ({previous})"


def standalone_question(question: str, history: list[dict[str, str]],
                        generator: Generator) -> str:
    """The question to retrieve with: rewritten by the LLM, or with carried-over terms."""
    previous = previous_question(history)
    if previous is None:
        return question
    if generator.name == "extractive":
        return carry_over(question, previous)
    transcript = "\n".join(f"{t['role']}: {t['content']}" for t in history[-6:]
                           if t.get("role") in ("user", "assistant"))
    request = GenerationRequest(
        question=f"Conversation:\n{transcript}\n\nLast question: {question}\n\n"
                 "Standalone question:",
        passages=[], system=REWRITE_INSTRUCTIONS,
    )
    try:
        text = "".join(generator.stream(request, GenerationRecord())).strip()
    except AIError as exc:
        log.warning("follow-up rewrite failed (%s); carrying terms over instead", exc)
        return carry_over(question, previous)
    rewritten = text.splitlines()[0].strip().strip('"') if text else ""
    return rewritten if 3 <= len(rewritten) <= 4 * len(question) + 200 else carry_over(
        question, previous)
