"""The `.env` settings file, as python-dotenv parses it, with the lines it cannot parse named.

python-dotenv skips a line it cannot parse (`RAG_SEARCH_MODE: dense`, a quote left open in
`RAG_EDITORS="alice`) with a log warning that names neither the file nor the variable, and the
setting keeps its default: with RAG_EDITORS, everyone may edit. Such a file is refused
instead, by the settings and by `rag ask`'s quick path alike, which must not import the
settings (`rag.cli.quick`): so this module is light, and loads python-dotenv only when a file
is read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from rag.setting_variables import SETTING_VARIABLES

if TYPE_CHECKING:
    from dotenv.parser import Binding

# the name a line begins with, as python-dotenv reads one (`export` may come before it)
_LEADING_NAME = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)")
_LINE_END = re.compile(r"\r\n|\n|\r")


def read_bindings(path: Path) -> list[Binding]:
    """Each statement of the file at `path` (a UTF-8 text file), unparsable ones included
    (with `error` set); OSError and UnicodeDecodeError are the caller's to say."""
    from dotenv.parser import parse_stream

    with path.open(encoding="utf-8") as stream:
        return list(parse_stream(stream))


def _without_value(binding: Binding) -> bool:
    """A setting's name alone on its line (`RAG_EDITORS`): python-dotenv reads it as no
    value, and the setting would keep its default as for a line it cannot parse. Another
    program's name is left to it, as the settings leave its lines."""
    return (binding.key is not None and binding.value is None
            and binding.key.upper() in SETTING_VARIABLES)


def unparsable_line(path: Path) -> str | None:
    """One line naming the first line of `path` python-dotenv cannot parse, or that names a
    setting without a value (and the variable when its name can be read), with how to write
    it; None when every line parses."""
    failed = [binding for binding in read_bindings(path)
              if binding.error or _without_value(binding)]
    if not failed:
        return None
    text, line = failed[0].original
    # a statement's text starts with the blank lines before it, which its line number counts
    # from: the line meant is the one its words are on
    words = text.lstrip()
    line += len(_LINE_END.findall(text[:len(text) - len(words)]))
    name = _LEADING_NAME.match(words)
    named = f" ({name.group(1)})" if name else ""
    more = len(failed) - 1
    also = (f"; {more} more line{'s' if more > 1 else ''} below cannot be read either"
            if more else "")
    return (f"Cannot read line {line} of the settings file {path.absolute()}{named}: write each "
            "setting as NAME=value (a quoted value ends with its quote), and a comment after "
            f"#{also}.")
