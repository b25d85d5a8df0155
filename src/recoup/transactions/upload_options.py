"""The form of an uploaded import, declared once for the API and the upload page, and its options."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Form, UploadFile

from recoup.transactions.importer import ImportOptions
from recoup.web.upload_form import StoredUpload
from recoup.web.uploads import PrivateFile

FIRST_YEAR, LAST_YEAR = 1970, 2100

KindForm = Annotated[str, Form(max_length=20)]
SkipBadRowsForm = Annotated[bool, Form()]
YearForm = Annotated[int | None, Form(ge=FIRST_YEAR, le=LAST_YEAR)]  # switch logs: the year of the messages


def upload_name(file: UploadFile) -> str:
    """The upload's own file name, without any folder the browser sent."""
    return Path(file.filename or "upload").name


def upload_options(file: UploadFile, skip_bad_rows: bool, year: int | None, tenant: str | None = None,
                   ) -> ImportOptions:
    return ImportOptions(skip_bad_rows=skip_bad_rows, tenant_code=tenant or None, year=year,
                         file_name=upload_name(file))


def _stored(file: UploadFile) -> StoredUpload:
    if not isinstance(file, StoredUpload):  # a route of a router without route_class=UploadRoute
        raise TypeError("an upload route must be declared with route_class=UploadRoute")
    return file


@contextmanager
def upload_file(file: UploadFile) -> Iterator[Path]:
    """The upload's private file (streamed there as the body came in), removed when the block ends."""
    stored = _stored(file).stored
    try:
        yield stored.path
    finally:
        stored.release()


def claim_upload(file: UploadFile) -> PrivateFile:
    """The upload's private file, kept beyond the request for a background import (which releases it)."""
    return _stored(file).claim()
