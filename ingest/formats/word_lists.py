"""The numbers and bullets Word draws before a list's items ("1.", "b)", "2.3", "•"), written out.

Word does not store them in the text: a paragraph names a list (`w:numPr`, its own, its
style's or that of a style its style is based on) and a level, and the numbering definitions
say how each level counts and is shown. Lists of one abstract definition count on together, as
Word counts them, until one restarts the count.
Read without them, a procedure's steps lose their order and "What is step 3?" has no answer.
A bulleted item is written after `LIST_BULLET`, whatever glyph its font draws (a Symbol
font's private character, "o", "§"): without it the item reads as a paragraph of its own, and
"The kit holds the following parts:" as a sentence that introduces nothing. Levels drawn with
no mark are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from docx.oxml.ns import qn

from ingest.formats.base import LIST_BULLET, whole_number, written_number

LEVELS = 9  # Word's list levels, 0 to 8
_NO_LIST = (None, None)
_P_PR, _P_STYLE, _NUM_PR, _NUM_ID, _ILVL, _VAL = (
    qn(name) for name in ("w:pPr", "w:pStyle", "w:numPr", "w:numId", "w:ilvl", "w:val"))


@dataclass(frozen=True)
class _Level:
    start: int
    kind: str  # numFmt: decimal, lowerLetter, upperRoman, bullet, ...
    pattern: str  # lvlText: "%1.", "%1.%2.", "(%3)"
    style: str | None  # pStyle: the paragraph style this level numbers


@dataclass(frozen=True)
class _List:
    levels: dict[int, _Level]  # its definition's, with its own overrides
    counter: str  # its abstract definition: Word counts that definition's lists as one
    restarts: frozenset[int]  # the levels its `w:startOverride`s restart


@dataclass
class ListNumbers:
    """The label of each numbered paragraph of one document, in reading order (`label` counts
    as it goes, so paragraphs must be given in the order they are read)."""

    lists: dict[str, _List]  # by numId
    # by style id: the list and level it numbers, each None when no style of its chain sets it
    style_lists: dict[str, tuple[str | None, int | None]]
    counts: dict[str, list[int | None]] = field(default_factory=dict)  # by abstract definition
    restarted: set[str] = field(default_factory=set)  # numIds whose restart is spent

    @classmethod
    def of(cls, document) -> ListNumbers:
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError):  # a document without lists
            return cls({}, {})
        styles = {node.get(qn("w:styleId")): node
                  for node in document.styles.element.iterchildren(qn("w:style"))}
        nums = {num.get(qn("w:numId")): num for num in numbering.iterchildren(qn("w:num"))}
        abstract = _abstract_levels(numbering, nums, styles)
        lists: dict[str, _List] = {}
        for num_id, num in nums.items():
            definition = _val(num.find(qn("w:abstractNumId")))
            if definition not in abstract:
                continue
            levels, restarts = dict(abstract[definition]), set()
            for override in num.iterchildren(qn("w:lvlOverride")):
                level = whole_number(override.get(qn("w:ilvl")), 0)
                whole, start = override.find(qn("w:lvl")), override.find(qn("w:startOverride"))
                if whole is not None:
                    levels[level] = _level(whole)
                if level in levels and start is not None:  # over the w:lvl's own start
                    levels[level] = replace(levels[level], start=whole_number(
                        _val(start), levels[level].start))
                    restarts.add(level)
            lists[num_id] = _List(levels, definition, frozenset(restarts))
        return cls(lists, _style_lists(styles, lists))

    def label(self, paragraph) -> str | None:
        """The number Word draws before `paragraph` ("3.", "1.2"), counting it; None for a
        paragraph of no numbered list."""
        found = self._list_of(paragraph)
        if found is None:
            return None
        num_id, level = found
        numbered = self.lists.get(num_id)
        if numbered is None or not 0 <= level < LEVELS:
            return None
        levels = numbered.levels
        if level not in levels or levels[level].kind == "none":
            return None
        if levels[level].kind == "bullet":
            return LIST_BULLET
        counts = self.counts.setdefault(numbered.counter, [None] * LEVELS)
        if level in numbered.restarts and num_id not in self.restarted:
            # the shared count restarts once, at this list's first item at that level: Word
            # goes on counting after it, so a list used again later does not restart again
            self.restarted.add(num_id)
            counts[level] = None
        counts[level] = (levels[level].start if counts[level] is None else counts[level] + 1)
        for deeper in range(level + 1, LEVELS):  # a new item restarts the levels under it
            counts[deeper] = None
        label = levels[level].pattern
        for shown in range(LEVELS):
            placeholder = f"%{shown + 1}"
            if placeholder in label:
                spec = levels.get(shown)
                value = counts[shown] if counts[shown] is not None else (
                    spec.start if spec else 1)
                label = label.replace(placeholder, written_number(value, spec.kind if spec else ""))
        return label.strip() or None

    def _list_of(self, paragraph) -> tuple[str, int] | None:
        # lxml's own calls: python-docx's properties cost several times more, per paragraph
        p_pr = paragraph._p.find(_P_PR)
        if p_pr is None:
            return None
        pstyle = p_pr.find(_P_STYLE)
        list_id, level = (self.style_lists.get(pstyle.get(_VAL, ""), _NO_LIST)
                          if pstyle is not None else _NO_LIST)
        num_pr = p_pr.find(_NUM_PR)
        if num_pr is not None:  # the paragraph's own list or level, each, over its style's
            num_id, ilvl = num_pr.find(_NUM_ID), num_pr.find(_ILVL)
            list_id = num_id.get(_VAL) if num_id is not None else list_id
            level = whole_number(ilvl.get(_VAL), 0) if ilvl is not None else level
        if list_id in (None, "0"):  # numId 0: numbering taken off this paragraph
            return None
        return list_id, level or 0


def _abstract_levels(numbering, nums: dict, styles: dict) -> dict[str, dict[int, _Level]]:
    """Each abstract definition's levels, by its id. One naming a numbering style
    (`w:numStyleLink`, a template's custom multilevel list) has none of its own: they are those
    of the definition the style's list is of (`w:styleLink`); none when the style is missing,
    names no list or leads back to a definition already passed."""
    nodes = {node.get(qn("w:abstractNumId")): node
             for node in numbering.iterchildren(qn("w:abstractNum"))}
    found = {}
    for definition in nodes:
        seen, node = {definition}, nodes[definition]
        while node is not None and (link := node.find(qn("w:numStyleLink"))) is not None:
            style = styles.get(_val(link))
            num_id = _val(style.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:numId')}")
                          if style is not None else None)
            num = nums.get(num_id)
            target = _val(num.find(qn("w:abstractNumId")) if num is not None else None)
            node = nodes.get(target) if target not in seen else None
            seen.add(target)
        found[definition] = _levels(node) if node is not None else {}
    return found


def _levels(abstract) -> dict[int, _Level]:
    return {whole_number(node.get(qn("w:ilvl")), 0): _level(node)
            for node in abstract.iterchildren(qn("w:lvl"))}


def _level(node) -> _Level:
    start, kind, pattern, style = (node.find(qn(name)) for name in (
        "w:start", "w:numFmt", "w:lvlText", "w:pStyle"))
    return _Level(whole_number(_val(start), 1), _val(kind) or "decimal", _val(pattern) or "",
                  _val(style))


def _style_lists(styles: dict, lists: dict[str, _List]
                 ) -> dict[str, tuple[str | None, int | None]]:
    """The list and level each paragraph style numbers (Word's "List Number", a heading style
    linked to a multilevel list): each its own, else the nearest style's it is based on (a
    numId of 0 nearer takes the list off). With no level set, the list's level that names the
    style or a base of it (`w:pStyle`): the standard has a style name its list alone."""
    found: dict[str, tuple[str | None, int | None]] = {}
    for style_id in styles:
        list_id = level = None
        chain, node = [], styles[style_id]
        while node is not None and node.get(qn("w:styleId")) not in chain:
            chain.append(node.get(qn("w:styleId")))
            num_pr = node.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
            num_id, ilvl = ((num_pr.find(qn("w:numId")), num_pr.find(qn("w:ilvl")))
                            if num_pr is not None else (None, None))
            if list_id is None and num_id is not None:
                list_id = _val(num_id)
            if level is None and ilvl is not None:
                level = whole_number(_val(ilvl), 0)
            based = node.find(qn("w:basedOn"))
            node = styles.get(_val(based)) if based is not None else None
        if level is None and list_id not in (None, "0"):
            levels = lists[list_id].levels if list_id in lists else {}
            named = {spec.style: n for n, spec in levels.items() if spec.style}
            level = next((named[name] for name in chain if name in named), None)
        if list_id is not None or level is not None:
            found[style_id] = (list_id, level)
    return found


def _val(node) -> str | None:
    return node.get(_VAL) if node is not None else None
