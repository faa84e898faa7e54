"""Turn a follow-up question ("and what about its price?") into one retrieval can use.

With an LLM configured, the model rewrites the question as a standalone one from the chat
history. Without one, a question that leans on the conversation carries over the terms of
the questions before it, back through the run of follow-ups to the question that started it:
in a conversation the subject is often named only there ("Who was hungry?" / "Was he
afraid?" / "What could he hear?"). A question leans on it when it opens on "and" or "what
about", or is short and holds a pronoun, is a fragment ("In what year?", "Who else?") or is
made only of words the conversation's questions already had; a longer question, a short
question with a word of its own ("What is CRAN?") and one asked again that stood alone the
first time name their subject and are searched as asked. The words that point back are
English: a follow-up in another language is left to the model's rewrite.
"""

from __future__ import annotations

import logging
import re
import threading

from rag.errors import AIError, InputTooLongError
from rag.providers.generators.base import GenerationRequest, Generator
from rag.text import lexical, sentences
from rag.text.tokens import estimate_tokens_many
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
# a name joined by dots or underscores ("read.table", "os.path.join", "retry_timeout_ms"):
# one thing named, however many words its pieces are, and none of them a pronoun ("this.x")
_JOINED_NAME = re.compile(r"\w+(?:[._]\w+)+")
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
# the rewrite reads the newest turns only, each shortened: the subject is named early in a turn,
# and the transcript must fit the model's window beside the question and its instructions
_REWRITE_TURNS = 6
_TRANSCRIPT_TOKENS = 1_500  # the first try, halved (with _TURN_CHARS) while it does not fit
_TURN_CHARS = 1_000
_MIN_TURN_CHARS = 60  # shorter, a turn says too little to rewrite from: the terms carry over
_CITES = re.compile(r"\[\d+\]")  # an answer cites passages; a question never does
# a reply asking the user back instead of rewriting
_ASKS_BACK = re.compile(r"\b(do|did) you mean\b|\b(could|can) you (clarify|specify|say which)\b"
                        r"|\bwhich one do you\b", re.I)
# a request rewritten needs no question mark: "Explain the Acme plan in more detail."
_REQUEST = re.compile(r"^\s*(explain|describe|list|tell|give|show|compare|summari[sz]e|find|"
                      r"define|outline|name|provide|identify)\b", re.I)


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


def points_back(question: str) -> bool:
    """Whether a question's words point back to a subject named before it ("How do I make
    one?", "how big is it"), rather than name their own after a connective ("And what is a
    matrix?")."""
    return bool(_words(question) & _ANAPHORA)


def _joined_names(question: str) -> list[str]:
    """The names joined by dots or underscores the question writes (not a number, "3.5")."""
    return [name for name in _JOINED_NAME.findall(question)
            if any(char.isalpha() for char in name)]


def _without_joined_names(question: str) -> str:
    return _JOINED_NAME.sub(
        lambda found: " " if any(char.isalpha() for char in found.group()) else found.group(),
        question)


def _words(question: str) -> set[str]:
    """The question's lower-cased words outside its joined names ("it's": "it")."""
    return set(re.findall(r"[a-z]+", _without_joined_names(question).lower()))


def _own_term_count(question: str) -> int:
    """How many terms the question names, a joined name counted once: "How is it different
    from read.table?" names two, not "read", "tabl" and "read.table" besides."""
    named = {name.lower() for name in _joined_names(question)}
    return len(lexical.term_set(_without_joined_names(question))) + len(named)


def is_follow_up(question: str, before: list[dict[str, str]]) -> bool:
    """Whether a question leans on the conversation `before` it (docs/evaluation.md)."""
    if _CONNECTIVE.match(question):
        return True
    terms = lexical.term_set(question)
    if _own_term_count(question) > _OWN_TERMS:
        # long, it names its subject: its "it", "that", "there" or "one" points inside it
        # ("so that my loop continues", "Is it possible to", "one of the distributions")
        return False
    if _words(question) & _ANAPHORA or not _OPENER.match(question) or _MORE.search(question):
        return True
    asked = {n: lexical.term_set(t.get("content", "")) for n, t in enumerate(before)
             if t.get("role") == "user"}
    again = next((n for n in reversed(asked) if terms and asked[n] == terms), None)
    if again is not None:
        # asked before in the same words: it leans on the conversation as it did then, so a
        # question that stood alone is not searched with the questions asked since
        return is_follow_up(before[again].get("content", ""), before[:again])
    # the questions' words only: an answer's words are its passage's, not the subject asked
    # about ("What is a data frame?" after an answer quoting aov(data=data.frame))
    return terms <= frozenset().union(*asked.values())


def carry_over(question: str, history: list[dict[str, str]]) -> str:
    """The question plus the terms of the questions it leans on, when it reads as a
    follow-up."""
    # a question asked again (a retry) is carried once
    leaned_on = dict.fromkeys(questions_leaned_on(question, history))
    carried = " ".join(leaned_on).split()[-_CARRIED_WORDS:]
    return f"{question} ({' '.join(carried)})" if carried else question


def standalone_question(question: str, history: list[dict[str, str]],
                        generator: Generator, record: GenerationRecord | None = None,
                        reader_gone: threading.Event | None = None) -> str:
    """The question to retrieve with: rewritten by the LLM (its run told to `record`), or
    with carried-over terms. However long the conversation, the rewrite's transcript is
    shortened to fit the model's window; when even a short one does not fit, or the call
    fails, the terms carry over: a follow-up never fails for its history's length. Once
    `reader_gone` is set the rewrite stops with ReaderGone: nobody waits for its answer."""
    previous = previous_question(history)
    if previous is None:
        return question
    if generator.name == "extractive":
        return carry_over(question, history)
    turns = [t for t in history if t.get("role") in ("user", "assistant") and t.get("content")]
    budget, turn_chars = _TRANSCRIPT_TOKENS, _TURN_CHARS
    while True:
        request = GenerationRequest(
            question=f"Conversation:\n{transcript(turns, budget, turn_chars)}\n\n"
                     f"Last question: {question}\n\nStandalone question:",
            passages=[], system=REWRITE_INSTRUCTIONS,
            reader_gone=reader_gone or threading.Event(),
        )
        try:
            text = "".join(generator.stream(request, record or GenerationRecord())).strip()
            break
        except InputTooLongError as exc:  # raised before any call: a shorter one is tried
            budget, turn_chars = budget // 2, turn_chars // 2
            if turn_chars < _MIN_TURN_CHARS:
                log.warning("follow-up rewrite does not fit the model's window (%s); "
                            "carrying terms over instead", exc)
                return carry_over(question, history)
        except AIError as exc:
            log.warning("follow-up rewrite failed (%s); carrying terms over instead", exc)
            return carry_over(question, history)
    rewritten = text.splitlines()[0].strip().strip('"') if text else ""
    if not 3 <= len(rewritten) <= 4 * len(question) + 200 or not rewords(rewritten, question,
                                                                         history):
        return carry_over(question, history)
    return rewritten


def transcript(turns: list[dict[str, str]], budget: int, turn_chars: int) -> str:
    """The newest of `turns` as "role: content" lines, each shortened to `turn_chars`
    characters, within `budget` estimated tokens (the newest turn at least, however short)."""
    recent = [(t["role"], shortened(t["content"], turn_chars))
              for t in turns[-_REWRITE_TURNS:]]
    lines = [f"{role}: {content}" for role, content in recent]
    costs = estimate_tokens_many(lines)
    kept, spent = 0, 0
    for cost in reversed(costs):
        if kept and spent + cost > budget:
            break
        kept, spent = kept + 1, spent + cost
    return "\n".join(lines[len(lines) - kept:])


def shortened(text: str, limit: int) -> str:
    """`text`, or its start within `limit` characters cut at a space, marked as cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def rewords(rewritten: str, question: str, history: list[dict[str, str]]) -> bool:
    """Whether a reply reads as the question rewritten: one sentence, a question or a request
    ("Explain ..."), that keeps a word of the question or of the conversation, cites no
    passage and asks the user nothing back. A statement ("The plan costs 20 dollars."), a
    refusal ("I could not find this in the documents.") or an answer followed by a question
    is set aside. A rewrite may paraphrase ("How much does it cost?" as "What is the price of
    the Acme plan?"), and a question may say "do not include" or "according to the contract"."""
    if _CITES.search(rewritten) or _ASKS_BACK.search(rewritten):
        return False
    if len(sentences.split(rewritten)) != 1:
        return False
    if not (rewritten.rstrip().endswith("?") or _REQUEST.search(rewritten)):
        return False  # a statement: an answer or a refusal, not the question rewritten
    said = lexical.term_set(question).union(
        *(lexical.term_set(t.get("content", "")) for t in history if t.get("role") == "user"))
    return bool(lexical.term_set(rewritten) & said)
