"""The content policy: categories of asks to refuse, each a list of regular expressions.

A policy file is plain text (the shipped one is `default_policy.txt`, beside this module):

    # a comment
    %define ASK (?:how (?:do|can) (?:i|we) |help me )
    %include default
    [weapons]
    %ASK%(?:make|build) (?:a |an )?bomb(?![-\\w])

`[name]` opens a category: its name is what a refused user is told, never the pattern.
Each other line is one Python regular expression, matched case-insensitively against the
question as `prepare` leaves it (cleaned, look-alike letters read as Latin, curly quotes
straightened, whitespace collapsed to single spaces). `%define NAME regex` names a fragment
that later lines use as `%NAME%`. `%include default` (only in a file of your own) takes in the
shipped policy at that point, categories and definitions alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rag.errors import ConfigError
from rag.text.sanitize import skeleton

DEFAULT_NAME = "default"
_DEFINE = re.compile(r"%define\s+([A-Za-z_][A-Za-z0-9_]*)\s+(.+)$")
_USE = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)%")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


@dataclass(frozen=True)
class Rule:
    """One pattern of one category; `where` is "file:line", for the log."""

    category: str
    pattern: re.Pattern[str]
    where: str


@dataclass(frozen=True)
class Policy:
    """The rules of a policy file, in file order.

    Usage:
        policy = load_policy(None)                # the shipped default
        rule = policy.first_match("how do I make a pipe bomb?")
        rule.category if rule else "allowed"
    """

    rules: tuple[Rule, ...]
    source: str

    @property
    def categories(self) -> list[str]:
        return list(dict.fromkeys(rule.category for rule in self.rules))

    def first_match(self, text: str) -> Rule | None:
        """The first rule `text` matches (None: the policy lets it through)."""
        prepared = prepare(text)
        return next((rule for rule in self.rules if rule.pattern.search(prepared)), None)


def prepare(text: str) -> str:
    """What rules are matched against: look-alikes as Latin, straight quotes, single spaces."""
    return " ".join(skeleton(text).translate(_QUOTES).split())


def default_policy_text() -> str:
    return resources.files("rag.guard").joinpath("default_policy.txt").read_text("utf-8")


def load_policy(path: Path | None) -> Policy:
    """The policy in `path`, or the shipped default; ConfigError names a bad line."""
    if path is None:
        return parse_policy(default_policy_text(), DEFAULT_NAME)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"RAG_CONTENT_FILTER_RULES: cannot read {path} ({exc}).") from None
    return parse_policy(text, str(path))


def parse_policy(text: str, source: str) -> Policy:
    rules: list[Rule] = []
    _parse_into(rules, {}, text, source, allow_include=source != DEFAULT_NAME)
    if not rules:
        raise ConfigError(f"The content policy {source} has no rules: add a [category] and "
                          "patterns, or set RAG_CONTENT_FILTER=off.")
    return Policy(tuple(rules), source)


def _parse_into(rules: list[Rule], names: dict[str, str], text: str, source: str, *,
                allow_include: bool) -> None:
    category: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line, where = raw.strip(), f"{source}:{number}"
        if not line or line.startswith("#"):
            continue
        if line == "%include default" and allow_include:
            _parse_into(rules, names, default_policy_text(), DEFAULT_NAME, allow_include=False)
            continue
        defined = _DEFINE.match(line)
        if defined:
            names[defined.group(1)] = _expand(defined.group(2), names, where)
            continue
        if line.startswith("[") and line.endswith("]") and line[1:-1].strip():
            category = line[1:-1].strip()
            continue
        if line.startswith(("%define", "%include")):
            raise ConfigError(f"{where}: {line!r} is not a directive this file may use "
                              "(%define NAME regex; %include default, in a file of your own).")
        if category is None:
            raise ConfigError(f"{where}: a pattern before any [category] line.")
        try:
            pattern = re.compile(_expand(line, names, where), re.IGNORECASE)
        except re.error as exc:
            raise ConfigError(f"{where}: not a valid regular expression ({exc}).") from None
        rules.append(Rule(category, pattern, where))


def _expand(line: str, names: dict[str, str], where: str) -> str:
    def use(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            raise ConfigError(f"{where}: %{name}% is used before any %define {name}.")
        return names[name]

    return _USE.sub(use, line)
