"""Turn a follow-up question ("and what about its price?") into one retrieval can use.

With an LLM configured, the model rewrites the question as a standalone one from the chat
history. Without one, a question that leans on the conversation carries over the terms of
the questions before it, back through the run of follow-ups to the question that started it:
in a conversation the subject is often named only there ("Who was hungry?" / "Was he
afraid?" / "What could he hear?"). A question leans on it when it points back (a pronoun, a
leading "and"), or is short and either a fragment ("In what year?", "Who else?") or made
only of words the conversation already had; a short question with a word of its own names a
new subject ("What is CRAN?") and is searched as asked.
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
_OWN_TERMS = 3  # a question with more content words than this stands alone
# how a question that stands alone opens; "In what year?", "unless what happens?" do not
_OPENER = re.compile(
    r"^\s*(what|which|who|whom|whose|where|when|why|how|is|are|was|were|do|does|did|can|"
    r"could|will|would|should|has|have|had|may|might|must|name|list|describe|explain|tell|"
    r"give)\b", re.I)
_MORE = re.compile(r"\b(else|also|too|other|another|more)\b", re.I)  # "Who else?"
# earlier questions carried over, at most: further back a conversation may have moved on
# (docs/evaluation.md, follow-up questions)
_CARRIED_QUESTIONS = 4
# words carried over, at most (the newest kept): the question and its context are embedded
# together, within the embedder's limit
_CARRIED_WORDS = 80


def previous_question(history: list[dict[str, str]]) -> str | None:
    return next((t["content"] for t in reversed(history) if t.get("role") == "user"), None)


def questions_leaned_on(question: str, history: list[dict[str, str]]) -> list[str]:
    """The earlier questions a follow-up leans on, oldest first: the one before it, and
    further back while each question reads as a follow-up of the conversation before it."""
    asked = [n for n, t in enumerate(history) if t.get("role") == "user"]
    carried: list[str] = []
    current, before = question, history
    while asked and len(carried) < _CARRIED_QUESTIONS and is_follow_up(current, before):
        at = asked.pop()
        current, before = history[at]["content"], history[:at]
        carried.insert(0, current)
    return carried


def is_follow_up(question: str, before: list[dict[str, str]]) -> bool:
    """Whether a question leans on the conversation `before` it (docs/evaluation.md)."""
    words = set(re.findall(r"[a-z]+", question.lower()))  # "it's": "it"
    if words & _ANAPHORA or _CONNECTIVE.match(question):
        return True
    terms = lexical.term_set(question)
    if len(terms) > _OWN_TERMS:
        return False
    if not _OPENER.match(question) or _MORE.search(question):
        return True
    said = frozenset().union(*(lexical.term_set(t.get("content", "")) for t in before))
    return terms <= said


def carry_over(question: str, history: list[dict[str, str]]) -> str:
    """The question plus the terms of the questions it leans on, when it reads as a
    follow-up."""
    # a question asked again (a retry) is carried once
    leaned_on = dict.fromkeys(questions_leaned_on(question, history))
    carried = " ".join(leaned_on).split()[-_CARRIED_WORDS:]
    return f"{question} ({' '.join(carried)})" if carried else question


def standalone_question(question: str, history: list[dict[str, str]],
                        generator: Generator, record: GenerationRecord | None = None) -> str:
    """The question to retrieve with: rewritten by the LLM (its run told to `record`), or
    with carried-over terms."""
    previous = previous_question(history)
    if previous is None:
        return question
    if generator.name == "extractive":
        return carry_over(question, history)
    transcript = "\n".join(f"{t['role']}: {t['content']}" for t in history[-6:]
                           if t.get("role") in ("user", "assistant"))
    request = GenerationRequest(
        question=f"Conversation:\n{transcript}\n\nLast question: {question}\n\n"
                 "Standalone question:",
        passages=[], system=REWRITE_INSTRUCTIONS,
    )
    try:
        text = "".join(generator.stream(request, record or GenerationRecord())).strip()
    except AIError as exc:
        log.warning("follow-up rewrite failed (%s); carrying terms over instead", exc)
        return carry_over(question, history)
    rewritten = text.splitlines()[0].strip().strip('"') if text else ""
    if not 3 <= len(rewritten) <= 4 * len(question) + 200 or not rewords(rewritten, question,
                                                                         history):
        return carry_over(question, history)
    return rewritten


def rewords(rewritten: str, question: str, history: list[dict[str, str]]) -> bool:
    """Whether a rewrite keeps a word of the question or of the conversation: a model that
    answers instead ("I could not find this in the documents.") is not searched for."""
    said = lexical.term_set(question).union(
        *(lexical.term_set(t.get("content", "")) for t in history if t.get("role") == "user"))
    return bool(lexical.term_set(rewritten) & said)
