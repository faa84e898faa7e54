"""PowerPoint (.pptx) with python-pptx: a slide is a page, with its title, body text, tables,
charts, SmartArt diagrams' text and speaker notes; its locator is "slide 3: <title>". A hidden
slide, and a shape hidden on a shown one, are left out. A chart or a diagram whose part is
missing or cannot be read is left out too, the rest of its slide read, and the file's
warnings name it ("slide 4: a chart is left out: its part is missing from the file"), the
first SHOWN_LEFT_OUT of them, one more counting the rest. So is a slide whose part is damaged
or missing from the file, the other slides read ("slide 3 could not be read: its part
ppt/slides/slide3.xml is damaged (...)"), and a slide's damaged or missing notes, the slide
read without them; a deck none of whose slides can be read fails. A slide whose layout, or
its layout's master, is missing from the file or damaged is read without it: its text is the
slide's own, and only the bullets and placements the layout or master would give are lost;
one warning names each such part and the slides read without it."""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ingest.formats.base import (
    MAX_PAGES,
    PARAGRAPH_BREAK,
    LoadOptions,
    Pages,
    Parsed,
    capped_warnings,
    library_error,
    metadata_title,
    number_span,
    too_large,
)
from ingest.formats.containers import (
    DAMAGE_ERRORS,
    MISSING,
    Relationship,
    check_package,
    dangling_relationships,
    know_main_parts,
    main_part,
    parsed_as,
    reading,
    without_unreadable_properties,
)
from ingest.formats.date_formats import Moment
from ingest.formats.word import short
from rag.errors import DocumentError

# DrawingML's, a SmartArt diagram's and relationships' namespaces, as lxml spells a tag
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
DIAGRAM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# the main parts of a slideshow, a template, and their macro-enabled kinds
PRESENTATION_LIKE_PARTS = (
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
    "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
    "application/vnd.ms-powerpoint.template.macroEnabled.main+xml")


def load_pptx(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    from pptx.exc import PythonPptxError
    from pptx.opc.package import XmlPart

    from ingest.formats.slide_parts import DamagedPart

    names = check_package(path, data, parsed=parsed_as(part_factory(), XmlPart))
    slides = sum(1 for name in names if name.startswith("ppt/slides/slide"))
    if slides > MAX_PAGES:  # counted from the zip's directory, before anything is parsed
        raise too_large(path, f"{slides:,} slides is more than {MAX_PAGES:,}")
    pages = Pages(path)
    left_out_parts: list[tuple[int, str]] = []  # (slide, what)
    unread: list[Unread] = []  # slides, and slides' notes
    without_design: dict[LostDesign, list[int]] = {}  # slides, by what they are read without
    furniture_seen: set[str] = set()
    with reading(path, "PowerPoint file", (PythonPptxError,)):
        data, properties_lost = without_unreadable_properties(path, data)
        deck = opened_deck(path, data)
        deck_title = metadata_title(deck.core_properties.title)
        dangling = dangling_relationships(data)
        parts = slide_parts(deck, dangling.get(part_name(deck.part), {}))
        for number, part in enumerate(parts, start=1):
            if isinstance(part, MissingPart):
                unread.append(Unread(number, part.name, MISSING))
                continue
            if isinstance(part, DamagedPart):
                unread.append(Unread(number, part_name(part), part.fault))
                continue
            seen = set(furniture_seen)  # a footer on a slide left out is shown on the next
            try:
                slide = part.slide
                if is_hidden(slide):
                    continue
                title, lines, left_out = slide_content(slide, seen)
                lacking = lost_design(part, dangling)
            except (PythonPptxError, SyntaxError, *DAMAGE_ERRORS) as exc:
                unread.append(Unread(number, part_name(part), f"damaged ({library_error(exc)})"))
                continue
            furniture_seen = seen
            if lacking is not None:
                without_design.setdefault(lacking, []).append(number)
            lines += notes_lines(slide, number, unread, dangling.get(part_name(part), {}))
            left_out_parts += ((number, what) for what in left_out)
            if lines:
                locator = f"slide {number}: {short(title)}" if title else f"slide {number}"
                pages.add(number, PARAGRAPH_BREAK.join(lines), locator)
            if not deck_title and number == 1 and title:
                deck_title = title
    unread_slides = [each for each in unread if not each.notes]
    if parts and len(unread_slides) == len(parts):
        raise DocumentError("corrupt", f"{path}: cannot read the PowerPoint file: none of its "
                                       f"slides could be read ({unread_slides[0].warning()})")
    return Parsed(deck_title or path.stem, pages.pages,
                  [*properties_lost, *unread_warnings(unread_slides, "slides"),
                   *unread_warnings([each for each in unread if each.notes], "slides' notes"),
                   *(lost.warning(numbers) for lost, numbers in without_design.items()),
                   *left_out_warnings(left_out_parts)])


class Unread(NamedTuple):
    """A slide, or a slide's notes, that could not be read: the slide's number, the part
    (`ppt/slides/slide3.xml`; "" for a missing one no relationship names), and what is wrong
    with it ("damaged (XMLSyntaxError: ...)", MISSING)."""

    number: int
    part: str
    fault: str
    notes: bool = False

    def warning(self) -> str:
        """"slide 3 could not be read: its part ppt/slides/slide3.xml is damaged (...)", or
        "slide 3's notes could not be read: ...; the slide is read without them"."""
        its_part = f"its part {self.part}" if self.part else "its part"
        if self.notes:
            return (f"slide {self.number}'s notes could not be read: {its_part} is "
                    f"{self.fault}; the slide is read without them")
        return f"slide {self.number} could not be read: {its_part} is {self.fault}"


def unread_warnings(unread: Sequence[Unread], what: str) -> list[str]:
    """A warning for each slide (or slide's notes) that could not be read, the first
    SHOWN_LEFT_OUT of them, and one counting the others: "4 more slides, 12 to 15, could not
    be read: their parts are damaged"."""
    return capped_warnings(
        unread, Unread.warning,
        lambda rest: f"{len(rest):,} more {what}, {number_span([each.number for each in rest])}, "
                     f"could not be read: their parts are {_faults(rest)}")


def _faults(unread: Sequence[Unread]) -> str:
    """What is wrong with the parts of `unread`: damaged, missing, or some of each."""
    missing = sum(each.fault == MISSING for each in unread)
    if not missing:
        return "damaged"
    return MISSING if missing == len(unread) else f"damaged or {MISSING}"


@dataclass(frozen=True)
class MissingPart:
    """A slide the deck's slide list names whose part the package lacks: `name`, the part's
    name as its relationship gives it ("" when no relationship does)."""

    name: str


def slide_parts(deck, dangling: dict[str, Relationship]) -> list:
    """The parts of a deck's slides, in its order: a `DamagedPart` for a slide whose XML
    cannot be parsed, a `MissingPart` for one the package lacks (`dangling`: the
    presentation's relationships to parts it lacks, by id). Read from the slide list itself:
    python-pptx's `slides` renames the parts by their order, and a warning names a part as
    the file holds it."""
    listed = deck.element.sldIdLst
    if listed is None:
        return []
    return [_slide_part(deck.part, entry.rId, dangling) for entry in listed.sldId_lst]


def _slide_part(presentation, rId: str, dangling: dict[str, Relationship]):
    try:
        return presentation.related_part(rId)
    except KeyError:  # python-pptx drops a relationship to a part the package lacks
        return MissingPart(dangling[rId].target if rId in dangling else "")


class LostDesign(NamedTuple):
    """A slide layout, or a layout's master, slides are read without: `what` ("layout",
    "layout's master"), its part's name (`ppt/slideLayouts/slideLayout2.xml`; "" for a
    missing one no relationship names) and what is wrong with it (MISSING, "damaged
    (XMLSyntaxError: ...)")."""

    what: str
    part: str
    fault: str

    def warning(self, numbers: Sequence[int]) -> str:
        """"3 slides, 1 to 3, are read without their layout: its part
        ppt/slideLayouts/slideLayout2.xml is missing from the file (...)"."""
        slides = (f"slide {numbers[0]} is" if len(numbers) == 1
                  else f"{len(numbers):,} slides, {number_span(numbers)}, are")
        its_part = f"its part {self.part}" if self.part else "its part"
        return (f"{slides} read without {'its' if len(numbers) == 1 else 'their'} {self.what}: "
                f"{its_part} is {self.fault}; the bullets and placements it gives are left out")


def lost_design(part, dangling: dict[str, dict[str, Relationship]]) -> LostDesign | None:
    """The layout, or the layout's master, a slide is read without, its part missing from the
    file or damaged; None when the slide has both (`dangling`: the relationships to parts the
    package lacks, by the name of the part listing them)."""
    from pptx.opc.constants import RELATIONSHIP_TYPE

    from ingest.formats.slide_parts import layout_of, master_of

    layout = layout_of(part.slide)
    if layout is None:
        return LostDesign("layout", *_lost(part, dangling, RELATIONSHIP_TYPE.SLIDE_LAYOUT))
    if master_of(layout) is None:
        return LostDesign("layout's master",
                          *_lost(layout.part, dangling, RELATIONSHIP_TYPE.SLIDE_MASTER))
    return None


def _lost(part, dangling: dict[str, dict[str, Relationship]], kind: str) -> tuple[str, str]:
    """The name of the part of type `kind` that `part` relates to, which python-pptx could
    not read, and what is wrong with it: damaged, or missing from the file ("" for the name
    when no relationship names one)."""
    try:
        damaged = part.part_related_by(kind)  # a `DamagedPart`: python-pptx reads a sound one
    except KeyError:  # python-pptx drops a relationship to a part the package lacks
        lost = dangling.get(part_name(part), {}).values()
        return next((each.target for each in lost if each.type == kind), ""), MISSING
    return part_name(damaged), damaged.fault


def slide_content(slide, furniture_seen: set[str]) -> tuple[str, list[str], list[str]]:
    """A slide's title, its lines (the title first, then its shapes' in reading order), and
    the charts and diagrams left out of them ("a chart is left out: ...")."""
    title_shape = slide.shapes.title
    title = " ".join(title_shape.text.split()) if title_shape is not None else ""
    title_id = title_shape.shape_id if title_shape is not None else None
    lines = [title] if title else []
    left_out: list[str] = []
    for shape in reading_order(slide.shapes):
        if shape.shape_id == title_id:
            continue
        if (kind := furniture(shape)) is not None:
            lines += new_furniture_lines(shape, kind, furniture_seen)
        else:
            lines += shape_lines(shape, slide, left_out)
    return title, lines, left_out


def notes_lines(slide, number: int, unread: list[Unread],
                dangling: dict[str, Relationship]) -> list[str]:
    """A slide's speaker notes, after "Notes:"; none when its notes part is damaged or
    missing (`dangling`: the slide's relationships to parts the package lacks, by id), which
    `unread` is told: the slide is read without them."""
    from pptx.exc import PythonPptxError
    from pptx.opc.constants import RELATIONSHIP_TYPE

    from ingest.formats.slide_parts import DamagedPart

    try:
        part = slide.part.part_related_by(RELATIONSHIP_TYPE.NOTES_SLIDE)
    except KeyError:  # a slide without notes, or whose notes part the package lacks
        unread.extend(Unread(number, lost.target, MISSING, notes=True)
                      for lost in dangling.values() if lost.type == RELATIONSHIP_TYPE.NOTES_SLIDE)
        return []
    if isinstance(part, DamagedPart):
        unread.append(Unread(number, part_name(part), part.fault, notes=True))
        return []
    try:
        notes = part.notes_slide.notes_text_frame
        text = notes.text.strip() if notes is not None else ""
    except (PythonPptxError, SyntaxError, *DAMAGE_ERRORS) as exc:
        unread.append(Unread(number, part_name(part), f"damaged ({library_error(exc)})",
                             notes=True))
        return []
    return ["Notes:", text] if text else []


def left_out_warnings(left_out: list[tuple[int, str]]) -> list[str]:
    """A warning for each chart or diagram left out (slide, what), the first SHOWN_LEFT_OUT
    of them ("slide 4: a chart is left out: ..."), and one counting the others and naming
    their slides."""

    def counted(rest: Sequence[tuple[int, str]]) -> str:
        numbers = [number for number, _ in rest]
        slides = "slide" if numbers[0] == numbers[-1] else "slides"
        return (f"{len(rest):,} more charts or SmartArt diagrams on {slides} "
                f"{number_span(numbers)} are left out: their parts are missing from the file "
                f"or cannot be read")

    return capped_warnings(left_out, lambda part: f"slide {part[0]}: {part[1]}", counted)


def opened_deck(path: Path, data: bytes):
    """The presentation python-pptx reads, a slideshow (.ppsx, .ppsm) or a template (.potx,
    .potm) saved under .pptx too, a slide, a slide's notes or a chart whose part is damaged
    read as a `DamagedPart` (`part_factory`)."""
    from pptx.package import Package
    from pptx.parts.presentation import PresentationPart

    part_factory()
    return main_part(path, data, Package, PresentationPart, "PowerPoint file").presentation


def part_factory():
    """python-pptx's part factory, reading a slideshow's or a template's main part as a
    presentation's, and a slide, a slide's notes or a chart whose part is damaged as a
    `DamagedPart`."""
    from pptx.opc.package import PartFactory
    from pptx.parts.presentation import PresentationPart

    from ingest.formats.slide_parts import read_damaged_parts_too

    read_damaged_parts_too()
    know_main_parts(PartFactory, PresentationPart, PRESENTATION_LIKE_PARTS)
    return PartFactory


def is_hidden(slide) -> bool:
    """Whether a slide is hidden ("Hide Slide"), which a show skips: hidden text is no
    reader's, and a classic place to plant instructions for a model. python-pptx has no
    property for it; the slide's `show` attribute says it."""
    return slide.element.get("show") in ("0", "false")


def furniture(shape):
    """A footer's, a date's or a slide number's placeholder type, None for other shapes:
    what PowerPoint draws on every slide alike."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    if not shape.is_placeholder:
        return None
    kind = shape.placeholder_format.type
    furniture_kinds = (PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.SLIDE_NUMBER)
    return kind if kind in furniture_kinds else None


def new_furniture_lines(shape, kind, seen: set[str]) -> list[str]:
    """A footer's or a date's lines the deck has not shown yet (`seen` grows by them): on
    every slide they would match a question by every slide alike, as a PDF's running
    header would, but once they are the deck's words ("Acme Corp, confidential"). A slide's
    number is its citation already."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    if (kind == PP_PLACEHOLDER.SLIDE_NUMBER or not shape.has_text_frame
            or is_hidden_shape(shape)):
        return []
    lines = [line for para in shape.text_frame.paragraphs
             if (line := para.text.strip()) and line not in seen]
    seen.update(lines)
    return lines


def reading_order(shapes) -> list:
    """Top to bottom, then left to right (placeholders without a position first)."""
    return sorted(shapes, key=_position)


def _position(shape) -> tuple[int, int]:
    """A shape's top and left; 0 for what it does not set, and for a placeholder's that the
    layout or the master it inherits them from would give, when the file lacks that part or
    it is damaged."""
    try:
        return shape.top or 0, shape.left or 0
    except KeyError:  # a part the package lacks (python-pptx drops the relationship), or damaged
        return 0, 0


def is_hidden_shape(shape) -> bool:
    """Whether a shape is hidden (PowerPoint's Selection Pane), which a show does not draw:
    hidden like a hidden slide, and for the same reasons left out."""
    return any(value in ("1", "true") for value in shape._element.xpath("./*[1]/p:cNvPr/@hidden"))


def shape_lines(shape, slide, left_out: list[str]) -> list[str]:
    """A shape's paragraphs, each after the bullet or number PowerPoint draws before it; a
    chart or a diagram that cannot be read is said in `left_out` ("a chart is left out: ...")."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    from ingest.formats.slide_lists import paragraph_marks
    from ingest.formats.word import table_lines

    if is_hidden_shape(shape):
        return []
    if _shape_type(shape) == MSO_SHAPE_TYPE.GROUP:
        return [line for inner in reading_order(shape.shapes)
                for line in shape_lines(inner, slide, left_out)]
    if getattr(shape, "has_table", False) and shape.has_table:
        return table_lines(shape.table)
    if getattr(shape, "has_chart", False) and shape.has_chart:
        return chart_lines(shape, left_out)
    diagram = diagram_data_id(shape)
    if diagram is not None:
        return diagram_lines(slide, diagram, left_out)
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        marked = zip(paragraph_marks(shape, slide), shape.text_frame.paragraphs, strict=True)
        return [f"{mark} {text}" if mark else text for mark, text in
                ((mark, para.text.strip()) for mark, para in marked) if text]
    return []


def _shape_type(shape):
    """The shape's type, or None where python-pptx cannot tell it: a text shape saved with
    no geometry and no placeholder (an empty `<p:spPr/>`, which PowerPoint draws) makes it
    raise, and the shape's text is still read as any text shape's."""
    try:
        return shape.shape_type
    except NotImplementedError:
        return None


def diagram_data_id(shape) -> str | None:
    """The relationship naming a SmartArt diagram's data part, which holds its text, when
    `shape` is a SmartArt graphic frame (python-pptx has no shape for one)."""
    ids = shape._element.find(f"{A}graphic/{A}graphicData/{DIAGRAM}relIds")
    return ids.get(f"{R}dm") if ids is not None else None


def diagram_lines(slide, data_id: str, left_out: list[str]) -> list[str]:
    """A SmartArt diagram's text (a process's steps, an org chart's names): each point's, in
    the order its data part keeps them, a line each, its paragraphs joined; points without
    text (the diagram's own, its connectors') have none. A diagram whose data part is
    missing or cannot be read is left out, the rest of the slide kept, and said in
    `left_out`."""
    from pptx.oxml import parse_xml  # python-pptx's parser: no entities resolved

    try:
        part = slide.part.related_part(data_id)
    except KeyError:  # python-pptx drops a relationship to a part the package lacks
        left_out.append("a SmartArt diagram is left out: its data part is missing from the file")
        return []
    try:
        data = parse_xml(part.blob)
    except (ValueError, SyntaxError) as exc:  # lxml's XMLSyntaxError is a SyntaxError
        left_out.append(f"a SmartArt diagram is left out: its data part {part_name(part)} "
                        f"cannot be read ({library_error(exc)})")
        return []
    points = (point_text(point) for point in data.iterfind(f"{DIAGRAM}ptLst/{DIAGRAM}pt"))
    return [text for text in points if text]


def point_text(point) -> str:
    """A SmartArt point's words, a line break a space, its paragraphs one line."""
    paragraphs = ("".join(" " if piece.tag == f"{A}br" else piece.text or ""
                          for piece in paragraph.iter(f"{A}t", f"{A}br"))
                  for paragraph in point.iterfind(f"{DIAGRAM}t/{A}p"))
    return " ".join(" ".join(paragraphs).split())


def chart_lines(shape, left_out: list[str]) -> list[str]:
    """A chart's title, then its figures as a table: the categories as its header, each series
    a row naming its values by them ("Revenue; Q1: 1200; Q2: 1350"), so what the slide shows
    as bars or slices can be found and quoted. A chart whose part is missing or cannot be
    read is left out, the rest of the slide kept, and said in `left_out`."""
    from ingest.formats.slide_parts import DamagedPart
    from rag.text.table_rows import cells_line, named_row

    try:
        part = shape.chart_part
    except KeyError:  # python-pptx drops a relationship to a part the package lacks
        left_out.append("a chart is left out: its part is missing from the file")
        return []
    if isinstance(part, DamagedPart):
        left_out.append(f"a chart is left out: its part {part_name(part)} cannot be read "
                        f"({part.error})")
        return []
    try:
        chart = part.chart
        lines = [chart.chart_title.text_frame.text.strip()
                 if chart.has_title and chart.chart_title.has_text_frame else ""]
        epoch = _epoch(chart)
        for plot in chart.plots:
            shown_category = _figures_shown(_format_code(plot._element, "./c:ser[1]/c:cat"),
                                            epoch)
            categories = [shown_category(category) for category in plot.categories]
            lines.append(cells_line(categories))
            for series in plot.series:
                shown_value = _figures_shown(_format_code(series._element, "./c:val"), epoch)
                lines.append(named_row(["", *categories],
                                       [_shown(series.name), *map(shown_value, series.values)]))
    except (KeyError, ValueError, TypeError, AttributeError, IndexError,
            OverflowError) as exc:
        left_out.append(f"a chart is left out: its part {part_name(part)} cannot be read "
                        f"({library_error(exc)})")
        return []
    return [line for line in lines if line]


def part_name(part) -> str:
    """A part's name as the package's zip holds it: `ppt/charts/chart1.xml`."""
    return part.partname.lstrip("/")


def _shown(value: object) -> str:
    """A chart's label or figure as a sheet's cell shows it (1200.0 as 1200)."""
    from ingest.formats.sheets import cell_text

    return cell_text(value)


def _format_code(element, path: str) -> str | None:
    """The number format a chart's cached figures under `path` are shown in ("0%",
    "yyyy\\-mm\\-dd"), as the chart part keeps it beside them."""
    found = element.xpath(f"{path}//c:numCache/c:formatCode")
    return found[0].text if found and found[0].text else None


def _epoch(chart) -> datetime.datetime:
    """The day a chart's date figures count from: 1904 when its part says so."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    said = chart._chartSpace.xpath("./c:date1904/@val")
    return CALENDAR_MAC_1904 if said and said[0] in ("1", "true") else CALENDAR_WINDOWS_1900


def _figures_shown(number_format: str | None, epoch: datetime.datetime):
    """How a chart shows its figures under `number_format`, as a sheet's cell under it: a
    date's serial number as the date (`2024-02-01`, `Feb-24`), a number of days under an
    elapsed format as the time elapsed (1.5 under `[h]:mm` as `36:00`), 0.155 under `0%` as
    `16%`."""
    from openpyxl.styles.numbers import is_date_format

    from ingest.formats.date_formats import shown_date
    from ingest.formats.number_formats import shown_number

    def shown(value: object) -> str:
        figure = _figure(value)
        if number_format and figure is not None:
            if is_date_format(number_format):
                moment = _moment(figure, number_format, epoch)
                if moment is None:
                    return _shown(value)
                return shown_date(moment, number_format) or _shown(moment)
            written = shown_number(figure, number_format)
            if written is not None:
                return written
        return _shown(value)

    return shown


def _moment(figure: float, number_format: str, epoch: datetime.datetime) -> Moment | None:
    """A chart's figure under a date format as openpyxl reads a sheet's cell under it: a
    duration under an elapsed format (`[h]:mm`, `[mm]:ss`), else a date or a time of day;
    None for a figure no date holds (past 9999-12-31), which is shown as the figure."""
    from openpyxl.styles.numbers import is_timedelta_format
    from openpyxl.utils.datetime import from_excel

    try:
        return from_excel(figure, epoch, timedelta=is_timedelta_format(number_format))
    except OverflowError:
        return None


def _figure(value: object) -> float | None:
    """A chart's figure: a number, or a category's label holding one ("45323.0", as
    python-pptx reads a category)."""
    if isinstance(value, bool):
        return None
    try:
        figure = float(value) if isinstance(value, (int, float)) else float(str(value))
    except ValueError:
        return None
    return figure if math.isfinite(figure) else None
