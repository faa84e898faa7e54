"""A deck's slides, notes slides and charts, read by python-pptx whether or not their XML can
be parsed.

python-pptx parses every one of these parts as the package opens, before any slide is read, so
one whose part is damaged (cut short, not XML) would fail the whole deck. Registered for their
content types in python-pptx's own part factory (`read_damaged_parts_too`), the part classes
here read such a part as a `DamagedPart` that keeps what the parser said: the deck is read
without it (a slide, its notes, or a chart on a slide kept), and the file's warnings name it.
A slide's layout, or a layout's master, whose part the file lacks is None here (`layout_of`,
`master_of`), where python-pptx raises: the slide is read without it.
"""

from __future__ import annotations

from pptx.opc.constants import CONTENT_TYPE
from pptx.opc.package import Part, PartFactory
from pptx.parts.chart import ChartPart
from pptx.parts.slide import NotesSlidePart, SlidePart

from ingest.formats.base import library_error
from ingest.formats.containers import too_deep


class DamagedPart(Part):
    """A part whose XML cannot be parsed, its bytes kept as a plain part's; `error`: what the
    parser said; `fault`: what is wrong with the part, as a warning says it ("damaged
    (XMLSyntaxError: ...)")."""

    def __init__(self, partname, content_type: str, package, blob: bytes,
                 exc: SyntaxError) -> None:
        super().__init__(partname, content_type, package, blob)
        self.error = library_error(exc)
        # sound XML deeper than lxml parses is no damage, as a whole file's is not
        self.fault = ("nested too deeply to read (elements within elements past the XML "
                      "parser's limit)" if too_deep(exc) else f"damaged ({self.error})")


class ReadDamagedToo:
    """A part class of python-pptx's, reading a part whose XML is damaged as a `DamagedPart`
    and a sound one as its own class does."""

    @classmethod
    def load(cls, partname, content_type: str, package, blob: bytes):
        try:
            return super().load(partname, content_type, package, blob)
        except SyntaxError as exc:  # lxml's XMLSyntaxError is a SyntaxError
            return DamagedPart(partname, content_type, package, blob, exc)


class ChartPartOrDamaged(ReadDamagedToo, ChartPart):
    pass


class SlidePartOrDamaged(ReadDamagedToo, SlidePart):
    pass


class NotesSlidePartOrDamaged(ReadDamagedToo, NotesSlidePart):
    pass


def read_damaged_parts_too() -> None:
    """Have python-pptx read slides, notes slides and charts with the classes above."""
    PartFactory.part_type_for.update({
        CONTENT_TYPE.DML_CHART: ChartPartOrDamaged,
        CONTENT_TYPE.PML_SLIDE: SlidePartOrDamaged,
        CONTENT_TYPE.PML_NOTES_SLIDE: NotesSlidePartOrDamaged,
    })


def layout_of(slide):
    """A slide's layout; None when the file lacks its part, which python-pptx raises on."""
    try:
        return slide.slide_layout
    except KeyError:  # python-pptx drops a relationship to a part the package lacks
        return None


def master_of(layout):
    """A slide layout's master; None when the file lacks its part."""
    try:
        return layout.slide_master
    except KeyError:  # python-pptx drops a relationship to a part the package lacks
        return None
