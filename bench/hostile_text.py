"""Text built to cost time out of proportion: how the sentence segmenter, the HTML layout and
the PDF text's mending grow with it.

A linear step doubles its time when its input doubles; a quadratic one quadruples it, and a
file of a few hundred kilobytes then takes minutes. Each case is timed at four sizes beside
plain prose of the same size, through the functions every ingest and every extractive answer
runs: `rag.text.sentences.split` (chunking and answers), `ingest.formats.web.visible`
(HTML pages), `ingest.formats.text.as_shown` (Markdown, its HTML read as text) and
`ingest.formats.pdf_text.mended` (a PDF's text, its lines joined again).

    .venv/bin/python bench/hostile_text.py [--sizes 20000 40000 80000 160000]

Prints a table and writes bench/results/hostile_text.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ingest.formats.pdf_text import mended  # noqa: E402
from ingest.formats.text import as_shown  # noqa: E402
from ingest.formats.web import visible  # noqa: E402
from rag.text.sentences import split  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "hostile_text.json"
PROSE = "The cat sat on the mat. "

# name: (function, text of about n characters)
CASES: dict[str, tuple[Callable[[str], object], Callable[[int], str]]] = {
    "prose (the baseline)": (split, lambda n: (PROSE * (n // len(PROSE) + 1))[:n]),
    "a hex dump in a sentence with a parenthesis": (
        split,
        lambda n: "The checksum (sha) is " + "0123456789abcdef" * (n // 16) + " as shipped."),
    "a Markdown list without blank lines": (
        split, lambda n: "# Changes\n\nThe list\n" + "- item word\n" * (n // 12)),
    "a run of 'Mr. '": (split, lambda n: "Mr. " * (n // 4)),
    "a run of '(' ": (split, lambda n: "(" * n),
    "HTML: prose in short paragraphs (the baseline)": (
        visible, lambda n: "<body>" + "<p>The cat sat on the mat.</p>" * (n // 31) + "</body>"),
    "HTML: one paragraph of n characters": (
        visible, lambda n: "<body><p>" + "word " * (n // 5) + "</p></body>"),
    "HTML: a hidden paragraph after each paragraph": (
        visible, lambda n: "<body>" + "<p>The cat sat.</p><p hidden>Secret.</p>" * (n // 41)
        + "</body>"),
    "HTML: hidden blocks nested n deep": (
        visible, lambda n: "<body><p>The cat sat.</p>" + "<div hidden>" * (n // 19)
        + "Secret." + "</div>" * (n // 19) + "</body>"),
    "HTML: a script after each paragraph": (
        visible, lambda n: "<body>" + "<p>The cat sat.</p><script>x = 1</script>" * (n // 41)
        + "</body>"),
    "HTML: a menu after each paragraph": (
        visible, lambda n: "<body>" + '<p>The cat sat.</p><nav><a href="/a">Home</a></nav>'
        * (n // 51) + "</body>"),
    "HTML: a list of links into the page after each paragraph": (
        visible, lambda n: "<body>" + '<p>The cat sat.</p><ul><li><a href="#a">Alpha</a></li>'
        '<li><a href="#b">Beta</a></li></ul>' * (n // 90) + "</body>"),
    "HTML: blocks nested n deep around a link into the page": (
        visible, lambda n: "<body><p>The cat sat.</p>" + "<div>" * (n // 11)
        + '<a href="#a">Alpha</a> words' + "</div>" * (n // 11) + "</body>"),
    "HTML: menus nested n deep": (
        visible, lambda n: "<body><p>The cat sat.</p>" + "<nav>" * (n // 11)
        + '<a href="/a">Home</a>' + "</nav>" * (n // 11) + "</body>"),
    "Markdown: prose with inline HTML (the baseline)": (
        as_shown, lambda n: "The cat sat on the <b>mat</b>, see `x`. " * (n // 39)),
    "Markdown: unclosed <script> tags": (as_shown, lambda n: "<script>" * (n // 8)),
    "Markdown: unclosed <h1> tags": (as_shown, lambda n: "<h1>" * (n // 4)),
    "Markdown: a tag's quoted attribute never closed": (
        as_shown, lambda n: "<a title='" * (n // 10)),
    "Markdown: images never closed": (as_shown, lambda n: "![logo](" * (n // 8)),
    "Markdown: image brackets never closed": (as_shown, lambda n: "[![" * (n // 3)),
    "PDF text mended: prose lines (the baseline)": (
        mended, lambda n: "The cat sat on the mat and\nthe dog sat too.\n" * (n // 44)),
    "PDF text mended: one line without a space": (
        mended, lambda n: "x" * n + " ends here\nthe next line\n"),
    "PDF text mended: addresses run together": (
        mended, lambda n: "http://a/" * (n // 9) + " ends here\nthe next line\n"),
    "PDF text mended: addresses each after a bracket": (
        mended, lambda n: "(https://" * (n // 9) + " ends here\nthe next line\n"),
}


def timed(function: Callable[[str], object], text: str) -> float:
    started = time.perf_counter()
    function(text)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 40_000, 80_000,
                                                                  160_000])
    args = parser.parse_args()
    rows = []
    for name, (function, make) in CASES.items():
        function(make(1_000))  # warm: imports, compiled patterns
        seconds = [timed(function, make(n)) for n in args.sizes]
        growth = seconds[-1] / seconds[-2] if seconds[-2] > 0 else None
        rows.append({"case": name, "seconds": [round(s, 4) for s in seconds],
                     "growth_last_doubling": None if growth is None else round(growth, 2)})
    table = Table(title="Time as the input doubles (a linear step: about 2x a doubling)")
    table.add_column("case")
    for n in args.sizes:
        table.add_column(f"{n:,} chars", justify="right")
    table.add_column("last doubling", justify="right")
    for row in rows:
        table.add_row(row["case"], *(f"{s * 1000:.1f} ms" for s in row["seconds"]),
                      f"{row['growth_last_doubling']}x")
    Console(width=150).print(table)
    RESULTS.write_text(json.dumps({
        "benchmark": "hostile_text", "machine": f"{platform.machine()}, Python "
        f"{platform.python_version()}", "sizes": args.sizes, "rows": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
