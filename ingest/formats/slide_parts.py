"""A deck's slides, notes slides, charts, slide layouts and masters and its notes master, read
by python-pptx whether or not their XML can be parsed.

python-pptx parses every one of these parts as the package opens, before any slide is read, so
one whose part is damaged (cut short, not XML) would fail the whole deck. Registered for their
content types in python-pptx's own part factory (`read_damaged_parts_too`), the part classes
here read such a part as a `DamagedPart` that keeps what the parser said: the deck is read
without it (a slide, its notes, or a chart on a slide kept), and the file's warnings name it.
A slide's layout, or a layout's master, whose part the file lacks or whose part is damaged is
None here (`layout_of`, `master_of`), where python-pptx raises: the slide is read without it.
A damaged notes master, which no text is read from, is kept as a `DamagedPart` unread.
"""

from __future__ import annotations

from pptx.exc import InvalidXmlError
from pptx.opc.constants import CONTENT_TYPE
from pptx.opc.package import Part, PartFactory
from pptx.parts.chart import ChartPart
from pptx.parts.slide import (
    NotesMasterPart,
    NotesSlidePart,
    SlideLayoutPart,
    SlideMasterPart,
    SlidePart,
)

from ingest.formats.base import library_error
from ingest.formats.containers import too_deep


class DamagedPart(Part):
    """A part whose XML cannot be parsed (or lacks what every part of its kind holds), its
    bytes kept as a plain part's; `error`: what the parser said; `fault`: what is wrong with
    the part, as a warning says it ("damaged (XMLSyntaxError: ...)")."""

    def __init__(self, partname, content_type: str, package, blob: bytes,
                 exc: Exception) -> None:
        super().__init__(partname, content_type, package, blob)
        self.error = library_error(exc)
        # sound XML deeper than lxml parses is no damage, as a whole file's is not
        self.fault = ("nested too deeply to read (elements within elements past the XML "
                      "parser's limit)" if too_deep(exc) else f"damaged ({self.error})")


class DamagedDesignPart(DamagedPart):
    """A slide layout or a slide master whose XML cannot be parsed, or that lacks the shapes
    tree every one holds (where its placeholders are). python-pptx reaches a slide's layout,
    and a layout's master, through this part (`slide_layout`, `slide_master`), for a
    placeholder's inherited position too: it raises KeyError here as it does for a part the
    package lacks, so a slide is read without it either way."""

    @property
    def slide_layout(self):
        raise KeyError(self.partname)

    @property
    def slide_master(self):
        raise KeyError(self.partname)


class ReadDamagedToo:
    """A part class of python-pptx's, reading a part whose XML is damaged as a `DamagedPart`
    (its `damaged_as`) and a sound one as its own class does."""

    damaged_as: type[DamagedPart] = DamagedPart

    @classmethod
    def load(cls, partname, content_type: str, package, blob: bytes):
        try:
            return super().load(partname, content_type, package, blob)
        except SyntaxError as exc:  # lxml's XMLSyntaxError is a SyntaxError
            return cls.damaged_as(partname, content_type, package, blob, exc)


class ChartPartOrDamaged(ReadDamagedToo, ChartPart):
    pass


class SlidePartOrDamaged(ReadDamagedToo, SlidePart):
    pass


class NotesSlidePartOrDamaged(ReadDamagedToo, NotesSlidePart):
    pass


class DesignPartOrDamaged(ReadDamagedToo):
    """A slide layout's or a slide master's part class, reading one that cannot be parsed or
    lacks its shapes tree as a `DamagedDesignPart`: python-pptx would raise on the tree only
    as a slide's placeholder looks into it, as though the slide were damaged."""

    damaged_as = DamagedDesignPart

    @classmethod
    def load(cls, partname, content_type: str, package, blob: bytes):
        part = super().load(partname, content_type, package, blob)
        if isinstance(part, DamagedPart):
            return part
        try:
            part._element.cSld.spTree  # noqa: B018 - reading the tree checks it is there
        # python-pptx's element lacks the tree, or is no layout's or master's (another root)
        except (InvalidXmlError, AttributeError) as exc:
            return cls.damaged_as(partname, content_type, package, blob, exc)
        return part


class SlideLayoutPartOrDamaged(DesignPartOrDamaged, SlideLayoutPart):
    pass


class SlideMasterPartOrDamaged(DesignPartOrDamaged, SlideMasterPart):
    pass


class NotesMasterPartOrDamaged(ReadDamagedToo, NotesMasterPart):
    pass


def read_damaged_parts_too() -> None:
    """Have python-pptx read slides, notes slides, charts, slide layouts and masters, and
    the notes master with the classes above."""
    PartFactory.part_type_for.update({
        CONTENT_TYPE.DML_CHART: ChartPartOrDamaged,
        CONTENT_TYPE.PML_SLIDE: SlidePartOrDamaged,
        CONTENT_TYPE.PML_NOTES_SLIDE: NotesSlidePartOrDamaged,
        CONTENT_TYPE.PML_SLIDE_LAYOUT: SlideLayoutPartOrDamaged,
        CONTENT_TYPE.PML_SLIDE_MASTER: SlideMasterPartOrDamaged,
        CONTENT_TYPE.PML_NOTES_MASTER: NotesMasterPartOrDamaged,
    })


def layout_of(slide):
    """A slide's layout; None when the file lacks its part or its part is damaged, which
    python-pptx raises on."""
    try:
        return slide.slide_layout
    except KeyError:  # a part the package lacks (python-pptx drops the relationship), or damaged
        return None


def master_of(layout):
    """A slide layout's master; None when the file lacks its part or its part is damaged."""
    try:
        return layout.slide_master
    except KeyError:  # a part the package lacks (python-pptx drops the relationship), or damaged
        return None
