"""`recoup audit verify|checkpoint|list`."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from recoup.audit.chain import ChainBreak
from recoup.audit.checkpoint_file import checkpoint_path
from recoup.audit.checkpoints import AuditBroken, write_checkpoint
from recoup.audit.models import AuditEntry
from recoup.audit.service import verify
from recoup.context import CliContext
from recoup.output import Format, emit

app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


def _broken(found: ChainBreak, count: int) -> AuditBroken:
    if found.seq == 0:
        return AuditBroken(f"audit checkpoints broken: {found.reason}")
    return AuditBroken(f"audit trail broken at entry {found.seq}: {found.reason} ({count} entries read)")


@app.command("verify")
def verify_command() -> None:
    """Walk the whole chain (every tenant) against the key and the checkpoints; name the first entry
    that was altered, removed, reordered or rebuilt. When intact, write a checkpoint."""
    ctx = CliContext()
    with ctx.database.unit_of_work() as session:
        count, found = verify(session)
    if found is not None:
        raise _broken(found, count)
    typer.echo(f"audit trail intact: {count} entries verified")
    checkpoint = write_checkpoint(ctx.database)
    if checkpoint is not None:
        typer.echo(f"checkpoint: entry {checkpoint.seq} ({checkpoint.at}) in "
                   f"{checkpoint_path(ctx.settings.audit_checkpoint_folder)}")


@app.command("checkpoint")
def checkpoint_command() -> None:
    """Sign the trail's last entry into the checkpoint file (and the tenants' webhooks)."""
    ctx = CliContext()
    checkpoint = write_checkpoint(ctx.database)
    if checkpoint is None:
        typer.echo("the audit trail is empty: nothing to checkpoint")
        return
    typer.echo(f"checkpoint: entry {checkpoint.seq} ({checkpoint.at}) in "
               f"{checkpoint_path(ctx.settings.audit_checkpoint_folder)}")


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
