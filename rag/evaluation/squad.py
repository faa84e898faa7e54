"""SQuAD v1.1-format files: paragraphs become documents, questions keep their gold paragraph."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders import content_id
from rag.errors import ConfigError
from rag.types import Document, Page


@dataclass(frozen=True)
class Question:
    text: str
    paragraph: str  # source id of the gold paragraph
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Article:
    """An article's title and its paragraphs' texts, in order (a PDF set lays one a page)."""

    title: str
    paragraphs: tuple[str, ...]


def paragraph_source(title: str, index: int) -> str:
    return f"squad:{title}#{index}"


def read_articles(path: Path) -> list[dict]:
    try:
        articles = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except OSError as exc:
        raise ConfigError(f"Cannot read {path} ({exc.strerror or exc}).") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise not_squad(path, exc) from None
    if not isinstance(articles, list):
        raise not_squad(path, TypeError("'data' is not a list"))
    return articles


def not_squad(path: Path, exc: Exception) -> ConfigError:
    problem = f"no {exc} field" if isinstance(exc, KeyError) else str(exc)
    return ConfigError(f"{path} is not a SQuAD-format file ({problem}): see "
                       "docs/evaluation.md.")


def load_squad(path: Path, limit: int | None = None,
               every: int = 1) -> tuple[list[Document], list[Question]]:
    """Paragraphs as documents and their questions.

    `limit` caps the questions (taking whole articles, so their paragraphs come along);
    `every` keeps every k-th question, for a faster run over all the paragraphs.
    """
    documents: list[Document] = []
    questions: list[Question] = []
    try:
        for article in read_articles(path):
            if limit is not None and len(questions) >= limit:
                break
            for i, para in enumerate(article["paragraphs"]):
                source = paragraph_source(article["title"], i)
                context = para["context"]
                documents.append(Document(source,
                                          content_id(source.encode() + context.encode()),
                                          article["title"], [Page(None, context)],
                                          "text/plain"))
                questions.extend(_questions(para, source))
    except (KeyError, TypeError, AttributeError) as exc:
        raise not_squad(path, exc) from None
    if not questions:
        raise ConfigError(f"{path} holds no questions to evaluate with.")
    if limit is not None:
        questions = questions[:limit]
    return documents, questions[::every]


def _questions(paragraph: dict, gold: str) -> list[Question]:
    return [Question(qa["question"], gold,
                     tuple(sorted({a["text"] for a in qa.get("answers", [])})))
            for qa in paragraph["qas"]]


def load_articles(path: Path, every: int = 1) -> tuple[list[Article], list[tuple[int, int,
                                                                                   Question]]]:
    """Articles, and every k-th question with its article's and paragraph's index. An article
    that repeats an earlier one (title and text) is that one: its questions point there. Laid
    out as files, the copy would be a second file the search can never tell from the first."""
    articles: list[Article] = []
    index_of: dict[Article, int] = {}
    questions: list[tuple[int, int, Question]] = []
    for article in read_articles(path):
        found = Article(article["title"], tuple(p["context"] for p in article["paragraphs"]))
        a = index_of.setdefault(found, len(articles))
        if a == len(articles):
            articles.append(found)
        for p, para in enumerate(article["paragraphs"]):
            questions.extend((a, p, q) for q in _questions(para, paragraph_source(
                article["title"], p)))
    return articles, questions[::every]
