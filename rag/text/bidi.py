"""The bidirectional controls: invisible characters that reorder the text around them
(U+202E draws "invoice\\u202efdp.txt" as "invoicetxt.pdf", and turns the words after it on
the line backwards). Ingest drops them from a document's text (`sanitize`); a name or other
text shown as it was given has them written as escapes."""

from __future__ import annotations

import re

# embeddings and overrides (U+202A to U+202E), isolates (U+2066 to U+2069) and marks
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_bidi(text: str) -> str:
    """`text` with each bidirectional control written as its escape (`\\u202e`), visible and
    unable to reorder the text around it."""
    return BIDI_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
