"""Files uploaded as multipart/form-data, streamed to the spool folder as they arrive.

Each part named `files` is written to disk while it is read, its size counted: a file over
the limit is a failed file of the batch's outcome, naming its size and the limit, and the
others go on (its copy is removed as soon as it passes the limit, and the rest of its bytes
are read to the part's end and dropped, so that its whole size is said and the next file
found); a file of a type no loader reads refuses the request with 415 before its bytes are
read, an empty one with 400. A part that is no file (a form field) is 400: nothing of the form
is read but files, and a field left unread (`collection`) would put the files elsewhere
without a word.
A file's name is its `filename*` (RFC 5987, as .NET and some other clients send non-ASCII
names) when it has one, else its `filename`, in UTF-8. The `rag` command on this machine (a trusted
caller) names each file by its full path, which becomes its source, as when it ingests
without an engine; other uploads are stored as `upload:NAME`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import IO
from urllib.parse import unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.requests import ClientDisconnect, Request

from ingest.loaders import is_supported, unsupported
from ingest.parse_ahead import SourceFile
from ingest.pipeline import FileResult
from rag.engine.api.errors import ApiError, ClientClosed
from rag.engine.jobs import (
    form_filename,
    no_room_for,
    over_upload_limit,
    spool_path,
    unnameable,
    without_folder,
)

MB = 1024 * 1024
ROOM_CHECK_BYTES = 8 * MB  # the disk's free space is looked at again after this much
# a header's `; name=value` parameters, a quoted value read whole (it may hold a `;`)
_PARAMETER = re.compile(rb';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
# RFC 5987's ext-value: charset'language'percent-encoded bytes
_EXT_VALUE = re.compile(rb"([A-Za-z0-9!#$%&+^_`{}~-]+)'[A-Za-z0-9-]*'([^\s;]*)")


@dataclass
class UploadForm:
    """What a multipart request held: the spooled files, and those refused unread (over the
    limit), each with its place among all the files sent."""

    files: list[SourceFile] = field(default_factory=list)
    refused: list[tuple[int, FileResult]] = field(default_factory=list)


def extended_filename(disposition: bytes) -> str | None:
    """The part's `filename*` (RFC 5987), decoded; None when it has none, 400 when it cannot
    be read. RFC 6266: it names the file, before `filename`."""
    given = next((value.strip().strip(b'"') for name, value in _PARAMETER.findall(disposition)
                  if name.lower() == b"filename*"), None)
    if given is None:
        return None
    value = _EXT_VALUE.fullmatch(given)
    try:
        if value is None:
            raise ValueError("not CHARSET'LANGUAGE'NAME")
        return unquote_to_bytes(value.group(2)).decode(value.group(1).decode())
    except (LookupError, ValueError) as exc:  # an unknown charset, bytes not in it
        raise ApiError("bad_request", f"A file's filename*={given.decode('latin-1')} cannot be "
                                      f"read ({exc}); send its name as UTF-8''NAME, "
                                      "percent-encoded, or as filename=\"NAME\".") from exc


def utf8_filename(sent: bytes) -> str:
    """The part's `filename`, which browsers and curl send in UTF-8; 400 when it is not: other
    bytes each read as U+FFFD would give two files one name, the second replacing the
    first."""
    try:
        return sent.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = sent.decode("utf-8", "backslashreplace")
        raise ApiError("bad_request", f"A file's filename=\"{shown}\" is not UTF-8 (byte "
                                      f"0x{sent[exc.start]:02x}); send its name in UTF-8, or as "
                                      "filename*=UTF-8''NAME, percent-encoded.") from exc


def field_refusal(name: str) -> ApiError:
    return ApiError("bad_request", f"The form field `{name}` holds no file: an upload reads "
                                   "files only, each in a part named `files` with its file "
                                   "name. Give the collection and wait as query parameters: "
                                   "POST /api/v1/documents?collection=NAME&wait=false.")


class _Reader:
    def __init__(self, folder: Path, limit: int, limit_name: str, trusted: bool) -> None:
        self.folder, self.limit, self.limit_name, self.trusted = folder, limit, limit_name, trusted
        self.form = UploadForm()
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._file: IO[bytes] | None = None
        self._label = ""
        self._source = ""
        self._size = 0
        self._over = False  # the file being read is past the limit: its bytes are dropped
        self._unread = ""  # why the file being read fails, its bytes dropped
        self._placed = 0  # files met so far, spooled or refused
        self._unchecked = 0  # bytes spooled since the disk's room was last checked

    def on_part_begin(self) -> None:
        self._disposition, self._file, self._size, self._over = b"", None, 0, False
        self._unread = ""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = extended_filename(self._disposition)
        if filename is None and b"filename" in options:
            filename = form_filename(utf8_filename(options[b"filename"]))
        if filename is None:
            raise field_refusal(name)
        if name != "files":
            raise ApiError("bad_request", "Upload files in parts named `files`.")
        self._open(filename)

    def _open(self, filename: str) -> None:
        # the `rag` command sends the names files have on this machine, whatever they are
        if not self.trusted and (refusal := unnameable(filename)):
            raise ApiError("bad_request", refusal)
        given = PurePath(filename)
        # a browser's name has no folder, but a client's may have one, by either separator
        label = (given.name or "upload") if self.trusted else without_folder(filename)
        source = filename if self.trusted and given.is_absolute() else f"upload:{label}"
        self._label, self._source = label, source
        self._placed += 1
        if not is_supported(Path(label)):  # by its name: its bytes are dropped unread
            self._unread = f"{label}: {unsupported(label)}"
            return
        path = spool_path(self.folder, self._placed - 1, label)
        self._file = open(path, "wb")  # noqa: SIM115 - closed at the part's end or on error
        self.form.files.append(SourceFile(path, source))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._over or self._unread:
            self._size += end - start
            return
        if self._file is None:
            return
        self._size += end - start
        if self._size > self.limit:
            self._drop_file()
            return
        self._unchecked += end - start
        opening = self._size == end - start  # the file's first bytes
        if opening or self._unchecked >= ROOM_CHECK_BYTES:
            self._check_room()
        self._file.write(data[start:end])

    def _check_room(self) -> None:
        """Stop the upload before it fills the disk (each file is limited, their number not)."""
        if no_room := no_room_for(self.folder, self._unchecked):
            raise ApiError("insufficient_storage", f"{self._label}: not stored: {no_room}.")
        self._unchecked = 0

    def _drop_file(self) -> None:
        """The file being read is over the limit: its copy goes, and the rest of its bytes
        are only counted."""
        if self._file is not None:
            self._file.close()
            self._file = None
        spooled = self.form.files.pop()
        spooled.path.unlink(missing_ok=True)
        self._over = True

    def on_part_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            if self._size == 0:
                self.form.files.pop().path.unlink(missing_ok=True)
                self._unread = f"{self._label}: the file is empty"
        if self._over:
            self._unread = over_upload_limit(self._label, self._size, self.limit, self.limit_name)
        if self._unread:  # failed in its place, the rest of the batch stored
            self.form.refused.append(
                (self._placed - 1, FileResult(self._source, "failed", error=self._unread)))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


async def read_upload(request: Request, folder: Path, limit: int, limit_name: str,
                      trusted: bool) -> UploadForm:
    """Stream the request's files into `folder`; raises ApiError for a refused request."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ApiError("bad_request", "Send the files as multipart/form-data, each in a part "
                                      "named `files`.")
    reader = _Reader(folder, limit, limit_name, trusted)
    parser = MultipartParser(boundary, {
        "on_part_begin": reader.on_part_begin, "on_part_data": reader.on_part_data,
        "on_part_end": reader.on_part_end, "on_header_field": reader.on_header_field,
        "on_header_value": reader.on_header_value, "on_header_end": reader.on_header_end,
        "on_headers_finished": reader.on_headers_finished,
    })
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise ApiError("bad_request", f"The multipart body is malformed ({exc}).") from exc
    except ClientDisconnect as exc:  # a cancel: logged as such, counted as no error
        raise ClientClosed("The client went away before the upload ended.") from exc
    finally:
        reader.close()
    if parser.state != MultipartState.END:  # a body cut short: its last file is incomplete
        raise ApiError("bad_request", "The multipart body ended before its closing boundary: "
                                      "the upload was cut short, so nothing was stored.")
    if not reader.form.files and not reader.form.refused:
        raise ApiError("bad_request", "No file was uploaded: send one or more parts named "
                                      "`files`.")
    return reader.form
