"""The multipart form of an upload route, parsed as it streams: each file part goes straight to a private file.

Starlette's own parser spools a file part above 1 MiB to a `SpooledTemporaryFile` in the system temp folder
(mode 0600 but outside Recoup's data folder, and left there when the process is killed). A router whose
routes take uploads is declared with `route_class=UploadRoute`: its requests parse multipart bodies here,
writing file parts chunk by chunk into `var_dir/uploads` (see `recoup.web.uploads`), never holding a file in
memory. When the request ends, every file nobody claimed (`StoredUpload.claim`) is removed; a claimed one
is removed by its claimant (the background import) when it is done with it.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from recoup.web.uploads import PrivateFile, uploads_folder

MAX_FILES = 1  # every upload route takes one file


class StoredUpload(UploadFile):
    """An uploaded file already on disk, in a private file of its own."""

    def __init__(self, stored: PrivateFile, filename: str, headers: Headers) -> None:
        super().__init__(file=stored.handle, size=0, filename=filename, headers=headers)
        self.stored = stored

    @property
    def path(self) -> Path:
        return self.stored.path

    def claim(self) -> PrivateFile:
        """Take the file beyond the request (the claimant must `release` it)."""
        self.stored.claimed = True
        return self.stored


class _DiskForm:
    """python-multipart callbacks: fields kept (bounded), file parts queued for writing to their file."""

    def __init__(self, folder: Path, charset: str, limits: tuple[int | float, int], files: list[PrivateFile],
                 ) -> None:
        self.folder, self.charset = folder, charset
        self.max_fields, self.max_part_size = limits
        self.items: list[tuple[str, str | UploadFile]] = []
        self.files = files  # the request's list: it removes them when it ends, whatever happened here
        self.pending: list[tuple[StoredUpload, bytes]] = []
        self._header_name, self._header_value = b"", b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._name, self._data = "", bytearray()
        self._upload: StoredUpload | None = None
        self._fields = 0

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {"on_part_begin": self._begin, "on_part_data": self._part_data, "on_part_end": self._part_end,
                "on_header_field": self._header_field, "on_header_value": self._header_value_data,
                "on_header_end": self._header_end, "on_headers_finished": self._headers_finished}

    def _begin(self) -> None:
        self._headers, self._name, self._data, self._upload = [], "", bytearray(), None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers.append((self._header_name.lower(), self._header_value))
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        disposition = dict(self._headers).get(b"content-disposition", b"")
        _, options = parse_options_header(disposition)
        if b"name" not in options:
            raise _Refused('a part of the form has no name (Content-Disposition: form-data; name="...")')
        self._name = options[b"name"].decode(self.charset, errors="replace")
        if b"filename" not in options:
            self._fields += 1
            if self._fields > self.max_fields:
                raise _Refused(f"too many fields in the form (at most {self.max_fields})")
            return
        if len(self.files) >= MAX_FILES:
            raise _Refused(f"too many files in the form (at most {MAX_FILES})")
        stored = PrivateFile(self.folder)
        self.files.append(stored)
        filename = options[b"filename"].decode(self.charset, errors="replace")
        self._upload = StoredUpload(stored, filename, Headers(raw=self._headers))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._upload is not None:
            self.pending.append((self._upload, data[start:end]))
            return
        if len(self._data) + end - start > self.max_part_size:
            raise _Refused(f"the form field '{self._name}' is too long (at most {self.max_part_size} bytes)")
        self._data.extend(data[start:end])

    def _part_end(self) -> None:
        if self._upload is None:
            self.items.append((self._name, self._data.decode(self.charset, errors="replace")))
        else:
            self.items.append((self._name, self._upload))

    def write_pending(self) -> None:
        for upload, chunk in self.pending:
            upload.stored.handle.write(chunk)
            upload.size = (upload.size or 0) + len(chunk)
        self.pending.clear()

    def rewind(self) -> None:
        for stored in self.files:
            stored.handle.flush()
            stored.handle.seek(0)


class _Refused(Exception):
    pass


async def parse_to_disk(request: UploadRequest, max_fields: int | float, max_part_size: int) -> FormData:
    """The request's multipart form, its file parts streamed into private files as the body arrives."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise HTTPException(400, "the upload must be sent as multipart/form-data with a boundary")
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    folder = uploads_folder(request.app.state.settings.var_dir)
    form = _DiskForm(folder, _known(charset), (max_fields, max_part_size), request.stored)
    try:
        parser = MultipartParser(boundary, form.callbacks())  # type: ignore[arg-type]
        async for chunk in request.stream():
            parser.write(chunk)
            if form.pending:
                await run_in_threadpool(form.write_pending)
        parser.finalize()
        await run_in_threadpool(form.rewind)
    except _Refused as refused:
        raise HTTPException(400, str(refused)) from refused
    except FormParserError as malformed:
        raise HTTPException(400, "the upload is not a valid multipart/form-data body") from malformed
    return FormData(form.items)


def _known(charset: str) -> str:
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return "latin-1"


class UploadRequest(Request):
    """A request whose multipart form is parsed into private files (see the module's docstring)."""

    def __init__(self, scope: Any, receive: Any) -> None:
        super().__init__(scope, receive)
        self.stored: list[PrivateFile] = []

    async def _get_form(self, *, max_files: int | float = 1000, max_fields: int | float = 1000,
                        max_part_size: int = 1024 * 1024) -> FormData:
        if self._form is None and self.headers.get("content-type", "").lower().startswith("multipart/"):
            self._form = await parse_to_disk(self, max_fields, max_part_size)
        return await super()._get_form(max_files=max_files, max_fields=max_fields, max_part_size=max_part_size)

    def discard_unclaimed(self) -> None:
        for stored in self.stored:
            if not stored.claimed:
                stored.release()


class UploadRoute(APIRoute):
    """A route whose uploads are streamed into private files and removed when the request ends."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            upload_request = UploadRequest(request.scope, request.receive)
            try:
                return await handler(upload_request)
            finally:
                if upload_request.stored:  # most requests carry no file: no trip to a thread for nothing
                    await run_in_threadpool(upload_request.discard_unclaimed)

        return handle
