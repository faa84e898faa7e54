"""A text file is text when a letter or a digit is left once what did not decode is set
aside: junk behind a byte-order mark is refused as binary, and a file of symbols has nothing
to index; text in any script, and numbers, are read as before."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from ingest.loaders import load_file
from rag.errors import DocumentError
from tests import test_cli, test_engine_doors
from tests.test_cli import Door

door, served = test_cli.door, test_engine_doors.served


@pytest.mark.parametrize(("name", "data"), [
    ("utf32.md", b"\xff\xfe\x00\x00bad"),  # a UTF-32 mark, then too few bytes for a character
    ("utf32.txt", b"\xff\xfe\x00\x00bad"),
    ("utf16.txt", codecs.BOM_UTF16_LE + b"\x00\xdc\x00\xdc\x00\xd8"),  # lone pair halves
    ("cp1252.txt", b"\x81\x8d\x8f\x90\x9d"),  # bytes no code page the loader tries defines
    ("replaced.md", "\ufffd \ufffd\n".encode()),  # what another tool's failed decoding left
])
def test_text_that_did_not_decode_is_binary(tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(DocumentError) as refused:
        load_file(tmp_path / name)
    assert refused.value.reason == "binary"
    assert str(refused.value) == f"{tmp_path / name}: looks like a binary file, not text"


@pytest.mark.parametrize("text", ["--- *** ...\n", "🎉 🎉\n", "| - | - |\n"])
def test_a_file_of_symbols_has_no_text_to_index(tmp_path: Path, text: str) -> None:
    (tmp_path / "symbols.md").write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError) as refused:
        load_file(tmp_path / "symbols.md")
    assert refused.value.reason == "empty"
    assert str(refused.value) == (f"{tmp_path / 'symbols.md'}: the file holds no letter or "
                                  "digit: no text to index")


@pytest.mark.parametrize(("name", "data", "kept"), [
    ("numbers.txt", b"42\n3.14\n", "42\n3.14"),
    ("japanese.md", "猫は眠る。".encode(), "猫は眠る。"),
    ("utf32.txt", "Lemurs\n".encode("utf-32"), "Lemurs"),
    ("mostly.txt", "\ufffd caf\ufffd au lait\n".encode(), "caf\ufffd au lait"),
])
def test_text_with_a_letter_or_digit_is_read(tmp_path: Path, name: str, data: bytes,
                                             kept: str) -> None:
    (tmp_path / name).write_bytes(data)
    assert kept in load_file(tmp_path / name).pages[0].text


def test_junk_behind_a_byte_order_mark_fails_alone_in_its_batch(door: Door,
                                                                tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "utf32.md").write_bytes(b"\xff\xfe\x00\x00bad")
    (folder / "lemurs.md").write_text("# Lemurs\n\nLemurs live on Madagascar.")
    done = door.run("ingest", str(folder), "--json")
    assert done.exit_code == 1  # a file failed, the others are stored
    outcomes = {Path(f["path"]).name: (f["status"], f["error"])
                for f in json.loads(done.stdout)["files"]}
    assert outcomes == {
        "lemurs.md": ("ingested", None),
        "utf32.md": ("failed", f"{folder / 'utf32.md'}: looks like a binary file, not text")}
    listed = json.loads(door.run("docs", "list", "--json").stdout)["documents"]
    assert [Path(d["source"]).name for d in listed] == ["lemurs.md"]
