"""A deck's chart parts, read by python-pptx whether or not their XML can be parsed.

python-pptx parses every chart part as the package opens, before any slide is read, so one
chart whose part is damaged (cut short, not XML) would fail the whole deck. Registered for
the chart content type in python-pptx's own part factory (`read_damaged_charts_too`), the
part class here reads such a part as a `DamagedChart` that keeps what the parser said: the
slide holding it is read without the chart, and the file's warnings name it.
"""

from __future__ import annotations

from pptx.opc.constants import CONTENT_TYPE
from pptx.opc.package import Part, PartFactory
from pptx.parts.chart import ChartPart

from ingest.formats.base import library_error


class DamagedChart(Part):
    """A chart part whose XML cannot be parsed, its bytes kept as a plain part's; `error`:
    what the parser said."""

    def __init__(self, partname, content_type: str, package, blob: bytes, error: str) -> None:
        super().__init__(partname, content_type, package, blob)
        self.error = error


class ChartPartOrDamaged(ChartPart):
    """A chart part as python-pptx reads one, or a `DamagedChart` when its XML is damaged."""

    @classmethod
    def load(cls, partname, content_type: str, package, blob: bytes):
        try:
            return super().load(partname, content_type, package, blob)
        except SyntaxError as exc:  # lxml's XMLSyntaxError is a SyntaxError
            return DamagedChart(partname, content_type, package, blob, library_error(exc))


def read_damaged_charts_too() -> None:
    """Have python-pptx read chart parts with `ChartPartOrDamaged`, which reads a sound one
    as its own class does."""
    PartFactory.part_type_for[CONTENT_TYPE.DML_CHART] = ChartPartOrDamaged
