"""`recoup audit verify|list`."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from recoup.audit.models import AuditEntry
from recoup.audit.service import verify
from recoup.context import CliContext
from recoup.errors import RecoupError
from recoup.output import Format, emit

app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


class AuditBroken(RecoupError):
    status = 409


@app.command("verify")
def verify_command() -> None:
    """Walk the chain; name the first entry that was altered, removed or reordered."""
    with CliContext().database.unit_of_work() as session:
        count, found = verify(session)
    if found is not None:
        raise AuditBroken(f"audit trail broken at entry {found.seq}: {found.reason} ({count} entries read)")
    typer.echo(f"audit trail intact: {count} entries verified")


@app.command("list")
def list_(limit: int = 50, fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """The latest audit entries."""
    with CliContext().database.unit_of_work() as session:
        rows: list[dict[str, object]] = [
            {"seq": e.seq, "at": e.at.isoformat(timespec="seconds"), "actor": e.actor, "action": e.action,
             "object": f"{e.object_type}:{e.object_id}", "origin": e.origin}
            for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)).scalars()
        ]
    emit(rows, fmt, columns=["seq", "at", "actor", "action", "object", "origin"])
