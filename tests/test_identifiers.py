"""Codes and names a question looks up as written (`rag.text.identifiers`)."""

from __future__ import annotations

import pytest

from rag.text.identifiers import identifiers, writes


def test_codes_and_names_are_the_written_words_mixing_letters_and_digits_or_joined() -> None:
    asked = ('What do E9999, "CVE-2023-4863" and AB-9999-X say of v2.10.3 (0x80070005)? '
             "Is retry_timeout_ms 5mm, 230V or 21st in 1990 and __init__, at 3.14 or 2.10.2?")
    assert identifiers(asked) == ["E9999", "CVE-2023-4863", "AB-9999-X", "v2.10.3",
                                  "0x80070005", "retry_timeout_ms", "2.10.2"]


@pytest.mark.parametrize(("text", "code", "written"), [
    ("Error E9999: disk full.", "e9999", True),
    ("It affects COVID 19 wards.", "COVID-19", True),
    ("Fixed cve-2023-4863 in libwebp.", "CVE-2023-4863", True),
    ("the 9999 units", "E9999", False),  # another word's last letter is no part of it
    ("Error E9990.", "E9999", False),  # a letter apart is another code
    ("set retry_timeout_ms to 5", "retry_timeout_ms", True),
    # written with a separator added or left out, the same code
    ("It affects COVID-19 wards.", "covid19", True),
    ("It plays MP3 files.", "mp-3", True),
    ("Text is UTF-8.", "UTF8", True),
    ("Part AB-1234-X.", "ab1234x", True),
    ("Built for x86_64.", "x86-64", True),
    ("Error E9990.", "E-9999", False),
])
def test_a_text_writes_a_code_in_its_runs_whatever_separates_them(text: str, code: str,
                                                                    written: bool) -> None:
    assert writes(text, code) is written
