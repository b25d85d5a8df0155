"""`recoup evidence add|list|bundle`: keep a file as a case's evidence, list it, export the bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from recoup.audit.checkpoints import write_checkpoint
from recoup.cases.recording import audited
from recoup.cases.repository import get_case
from recoup.context import CliContext
from recoup.db import utcnow
from recoup.errors import InvalidInput, RecoupError
from recoup.evidence.bundle import plan_bundle, stream_bundle
from recoup.evidence.rules import UPLOAD_KINDS, readable_size
from recoup.evidence.service import add_to_case
from recoup.evidence.views import evidence_rows
from recoup.output import Format, emit, emit_one, write_new_file

app = typer.Typer(help="Evidence of a case: add files, list them, export the bundle (ZIP).", no_args_is_help=True)
UserOpt = Annotated[str | None, typer.Option("--user", help="act as this user (default: $RECOUP_USER)")]
FormatOpt = Annotated[Format, typer.Option("--format")]
LIST_COLUMNS = ["id", "kind", "name", "size", "sha256", "added_at", "added_by"]


def register(app_: typer.Typer) -> None:
    """Add this domain's commands to `recoup` (called once by recoup.cli)."""
    app_.add_typer(app, name="evidence")


@app.command("add")
def add(
    case: Annotated[str, typer.Argument(help="the case number, e.g. RC-2026-000123")],
    file: Annotated[Path, typer.Argument(help="the file to keep (photo, PDF, recording, chat export ...)")],
    kind: Annotated[str, typer.Option("--kind", help=f"what the file is: {'|'.join(UPLOAD_KINDS)}")] = "other",
    note: Annotated[str, typer.Option("--note", help="what it shows (kept with it)")] = "",
    user: UserOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Keep FILE as evidence of CASE: encrypted, hashed, never overwritten or deleted."""
    if not file.is_file():
        raise InvalidInput(f"no file {file}")
    ctx = CliContext()
    principal = ctx.principal(user)
    attempt: dict[str, object] = {"kind": kind, "name": file.name}
    with file.open("rb") as stream, audited(ctx.database, principal, "evidence.add", case, attempt) as session:
        item = add_to_case(session, ctx.settings, principal, case, kind=kind, name=file.name, stream=stream,
                           now=utcnow(), note=note)
        number = get_case(session, principal, case).number
        row = {"id": item.id, "case": number, "kind": item.kind, "name": item.name, "size": item.size,
               "sha256": item.sha256, "content_type": item.content_type}
    if fmt is Format.table:
        typer.echo(f"{number}: kept {row['name']} as evidence {row['id']} ({row['kind']}, "
                   f"{readable_size(item.size)}, sha256 {item.sha256})")
    else:
        emit_one(row, fmt)


@app.command("list")
def list_(case: str, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """The case's evidence: files (id, kind, name, size, sha256, added_at, added_by) and derived records."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        rows = evidence_rows(session, get_case(session, principal, case))
    emit(rows, fmt, columns=LIST_COLUMNS)


@app.command("bundle")
def bundle(
    case: str,
    out: Annotated[Path, typer.Option("--out", help="the ZIP to write (not overwritten if it exists)")],
    user: UserOpt = None,
) -> None:
    """Write the case's evidence bundle: incident reports, every file, records, audit entries, manifest."""
    ctx = CliContext()
    principal = ctx.principal(user)
    if out.exists():
        raise RecoupError(f"{out} exists already: name another file (a bundle never replaces one)")
    try:
        write_checkpoint(ctx.database)  # so the bundle carries a signed checkpoint covering the case's entries
    except RecoupError as broken:
        typer.echo(f"warning: no fresh audit checkpoint: {broken.message}", err=True)
    with ctx.database.unit_of_work() as session:
        plan = plan_bundle(session, ctx.settings, principal, case, utcnow())
    write_new_file(out, stream_bundle(plan, ctx.settings))
    typer.echo(f"{plan.case_number}: bundle written to {out} ({len(plan.files)} files, "
               f"{readable_size(out.stat().st_size)})")
