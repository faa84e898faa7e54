"""The bullets and numbers PowerPoint draws before a slide's paragraphs, written out.

A slide does not store them in the text. A paragraph's own properties may say (`a:buChar`,
`a:buAutoNum`, or `a:buNone` for none); else its level's style does, looked up from the shape
to the layout's placeholder it comes from, to the master's, to the master's body text style:
so a content placeholder's paragraphs are bulleted by default, and a title, a subtitle or a
text box is not. Without the marks a slide's "We will focus on three goals:" is followed by
paragraphs of their own rather than its list. A layout or a master whose part the file lacks,
or whose part is damaged, sets none.
"""

from __future__ import annotations

from collections.abc import Iterator

from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.oxml.ns import qn

from ingest.formats.base import LIST_BULLET, whole_number, written_number
from ingest.formats.slide_parts import layout_of, master_of

# placeholders whose text the master's body style shapes (a title's has no bullets, and a
# date, footer or slide number is not the slide's text)
_BODY_PLACEHOLDERS = frozenset({PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT,
                                PP_PLACEHOLDER.SUBTITLE})
_DEEPEST = 8  # a paragraph's deepest list level (`a:lvl9pPr`)
_NONE, _CHAR, _AUTO = (qn(f"a:{name}") for name in ("buNone", "buChar", "buAutoNum"))
# `a:buAutoNum`'s scheme ("arabicPeriod", "alphaLcParenR") as a numbering kind and what
# follows the number
_KINDS = (("arabic", "decimal"), ("alphaLc", "lowerLetter"), ("alphaUc", "upperLetter"),
          ("romanLc", "lowerRoman"), ("romanUc", "upperRoman"))
_ENDINGS = (("ParenBoth", "(", ")"), ("ParenR", "", ")"), ("Plain", "", ""),
            ("Period", "", "."))


def paragraph_marks(shape, slide) -> Iterator[str | None]:
    """The mark PowerPoint draws before each paragraph of `shape` on `slide` ("•", "2.",
    "b)"), None where it draws none; numbers count on through a run of numbered paragraphs
    of one level, as PowerPoint counts them."""
    styles = _level_styles(shape, slide)
    counts: dict[int, tuple[str, int]] = {}  # by level: its numbering scheme, its last number
    for paragraph in shape.text_frame.paragraphs:
        properties = paragraph._p.pPr
        level = _level(properties)
        bullet = _bullet(properties, styles, level)
        scheme = bullet.get("type", "arabicPeriod") if bullet is not None else ""
        # a paragraph ends the numbering of the levels under it, and of its own unless
        # numbered there in the same scheme
        for ended in [n for n in counts if n > level or (
                n == level and (bullet is None or bullet.tag != _AUTO
                                or counts[n][0] != scheme))]:
            del counts[ended]
        if bullet is None or bullet.tag != _AUTO:
            yield None if bullet is None else LIST_BULLET
            continue
        start = whole_number(bullet.get("startAt"), 1)
        counts[level] = (scheme, counts[level][1] + 1 if level in counts else start)
        yield _numbered(counts[level][1], scheme)


def _level_styles(shape, slide) -> list:
    """Where a paragraph's level style may be set, nearest first: the shape's own list style,
    then its layout's and its master's placeholder's, then the master's body style (none of
    a layout or a master the file lacks or whose part is damaged)."""
    styles = [shape.element.find(f"{qn('p:txBody')}/{qn('a:lstStyle')}")]
    layout = layout_of(slide) if shape.is_placeholder else None
    if layout is None:
        return [style for style in styles if style is not None]
    placeholder = shape.placeholder_format
    base = layout.placeholders.get(idx=placeholder.idx)
    kind = placeholder.type
    if base is not None:
        styles.append(base.element.find(f"{qn('p:txBody')}/{qn('a:lstStyle')}"))
        kind = base.placeholder_format.type
    if kind in _BODY_PLACEHOLDERS and (master := master_of(layout)) is not None:
        body = master.placeholders.get(PP_PLACEHOLDER.BODY)
        if body is not None:
            styles.append(body.element.find(f"{qn('p:txBody')}/{qn('a:lstStyle')}"))
        styles.append(master.element.find(f"{qn('p:txStyles')}/{qn('p:bodyStyle')}"))
    return [style for style in styles if style is not None]


def _bullet(properties, styles: list, level: int):
    """The first bullet setting (`a:buNone`, `a:buChar` or `a:buAutoNum`) of the paragraph's
    own properties, then of its level in each style; None for no bullet."""
    level_name = qn(f"a:lvl{level + 1}pPr")
    for node in [properties, *(style.find(level_name) for style in styles)]:
        if node is None:
            continue
        for child in node:
            if child.tag in (_NONE, _CHAR, _AUTO):
                return None if child.tag == _NONE else child
    return None


def _numbered(value: int, scheme: str) -> str:
    kind = next((kind for prefix, kind in _KINDS if scheme.startswith(prefix)), "decimal")
    opening, closing = next(((opening, closing) for suffix, opening, closing in _ENDINGS
                             if scheme.endswith(suffix)), ("", "."))
    return f"{opening}{written_number(value, kind)}{closing}"


def _level(properties) -> int:
    """A paragraph's list level, 0 to 8. Read leniently: python-pptx's `level` raises on a
    value out of the schema's range, and the slide's text matters more than its marks."""
    level = whole_number(properties.get("lvl") if properties is not None else None, 0)
    return min(max(level, 0), _DEEPEST)
