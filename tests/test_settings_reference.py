"""docs/configuration.md against `Settings`: every setting has its row, and a number's row
says the range the settings accept, so that nobody learns it from a refusal."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices

from rag.settings import Settings

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def _rows() -> dict[str, str]:
    rows = {}
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        if named := re.match(r"\| `([A-Z0-9_]+)` \|", line):
            rows[named.group(1)] = line
    return rows


def _variable(name: str) -> str:
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return str(alias) if alias else f"RAG_{name.upper()}"


def _number(value: float) -> str:
    return f"{value:,}"


def _bounds(name: str) -> dict[str, float]:
    found = {}
    for rule in Settings.model_fields[name].metadata:
        for kind in ("ge", "gt", "le", "lt"):
            if getattr(rule, kind, None) is not None:
                found[kind] = getattr(rule, kind)
    return found


def _stated_range(bounds: dict[str, float]) -> str:
    if "ge" in bounds and "le" in bounds:
        return f"{_number(bounds['ge'])} to {_number(bounds['le'])}"
    if bounds.get("ge") == 0:
        return "0 or more"
    if "ge" in bounds:
        return f"at least {_number(bounds['ge'])}"
    return f"more than {_number(bounds['gt'])}"


def test_every_setting_has_its_row() -> None:
    rows = _rows()
    missing = [_variable(name) for name in Settings.model_fields if _variable(name) not in rows]
    assert not missing, f"settings without a row in docs/configuration.md: {missing}"


def test_every_number_setting_states_the_range_it_accepts() -> None:
    rows = _rows()
    unstated = {}
    for name in Settings.model_fields:
        if (bounds := _bounds(name)) and _stated_range(bounds) not in rows[_variable(name)]:
            unstated[_variable(name)] = _stated_range(bounds)
    assert not unstated, f"rows of docs/configuration.md not stating their range: {unstated}"
