"""`recoup keys list|rotate|reseal`: the operator's commands for the key ring (SPEC section 9: keys rotatable).

Operator commands, like `recoup db upgrade`: whoever runs them can read the key file anyway. Each
rotation and reseal is written to the audit trail (actor "operator", origin "cli"); a secret is
never printed. A rotation writes the new key to the key file (synced) before anything is sealed
under it, then audits it, with the reseal, in one database transaction.
"""

from __future__ import annotations

import getpass
from enum import StrEnum
from typing import Annotated

import typer

from recoup.audit.service import Actor, record
from recoup.config import Settings
from recoup.context import CliContext
from recoup.errors import RecoupError
from recoup.keys.reseal import ResealReport, reseal
from recoup.keys.ring import PURPOSES, Key, KeyRing, text_key
from recoup.keys.sealing import Sealer
from recoup.keys.store import ENV_VARIABLES, env_secret, rotate
from recoup.output import Format, emit

app = typer.Typer(help="Secret keys: list them, rotate them, re-seal stored secrets under the new data key.",
                  no_args_is_help=True)

AFTER_ROTATION = {
    "session": "browser sessions signed under the old key end when the server restarts",
    "card": "card tokens made before do not compare with new ones; see README, Keys",
    "data": "old contacts and webhook secrets still open; `recoup keys reseal` moves them to the new key",
    "audit": "new audit entries are chained under the new key; older ones verify under theirs",
}


class Purpose(StrEnum):
    session = "session"
    card = "card"
    data = "data"
    audit = "audit"
    all = "all"


OldDataKeyOpt = Annotated[str, typer.Option(
    "--old-data-key", envvar="RECOUP_OLD_DATA_KEY", show_default=False,
    help="a former RECOUP_DATA_KEY value to open what was sealed under it (read from the environment "
         "variable rather than typed on the command line)")]


def _operator() -> Actor:
    return Actor(f"operator:{getpass.getuser()}", None, "cli")


def _created(key: Key) -> str:
    stamp = key.created_at
    if len(stamp) != 15:  # %Y%m%dT%H%M%S; keys from the environment have none
        return ""
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:]} UTC"


def key_rows(ring: KeyRing) -> list[dict[str, object]]:
    return [{"purpose": purpose, "id": key.id, "created": _created(key), "current": index == 0,
             "source": key.source}
            for purpose in PURPOSES for index, key in enumerate(ring.all(purpose))]


@app.command("list")
def list_(fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """Every key: purpose, id, created, whether it is current, and where it comes from (never the secret)."""
    emit(key_rows(CliContext().settings.keyring()), fmt, columns=["purpose", "id", "created", "current", "source"])


def _rotatable(settings: Settings, purpose: Purpose) -> list[str]:
    if purpose is not Purpose.all:
        if env_secret(settings, purpose.value):
            raise RecoupError(
                f"the {purpose.value} key comes from {ENV_VARIABLES[purpose.value]}, which wins over the key "
                f"file: rotate it by setting a new value there (for the data key, then run `recoup keys reseal` "
                f"with RECOUP_OLD_DATA_KEY set to the old value); nothing was changed")
        return [purpose.value]
    return [name for name in PURPOSES if not env_secret(settings, name)]


def _reseal_and_audit(ctx: CliContext, rotated: list[Key], sealer: Sealer | None) -> ResealReport | None:
    report = None
    with ctx.database.unit_of_work() as session:
        for key in rotated:
            record(session, _operator(), "keys.rotate", "key", f"{key.purpose}/{key.id}",
                   after={"purpose": key.purpose, "key_id": key.id})
        if sealer is not None:
            report = reseal(session, sealer)
            record(session, _operator(), "keys.reseal", "key", f"data/{report.key_id}",
                   after={"key_id": report.key_id, "contacts": report.contacts,
                          "webhook_secrets": report.webhook_secrets,
                          "message_addresses": report.message_addresses})
    return report


def _say_resealed(report: ResealReport | None) -> None:
    if report is not None:
        typer.echo(f"re-sealed under data key {report.key_id}: {report.contacts} customer contacts, "
                   f"{report.webhook_secrets} webhook signing secrets, {report.message_addresses} message addresses")


@app.command("rotate")
def rotate_command(
    purpose: Annotated[Purpose, typer.Option("--purpose", help="which key to rotate")] = Purpose.all,
    also_reseal: Annotated[bool, typer.Option("--reseal", help="then re-seal stored secrets under the new "
                                                               "data key, in one transaction")] = False,
) -> None:
    """A new random current key; the old one stays for reading what was made under it."""
    ctx = CliContext()
    names = _rotatable(ctx.settings, purpose)
    if also_reseal and purpose not in (Purpose.data, Purpose.all):
        raise RecoupError("--reseal re-seals under the data key: use it with --purpose data or all")
    rotated = [rotate(ctx.settings, name) for name in names]
    ctx.settings.reload_keys()
    report = _reseal_and_audit(ctx, rotated, Sealer(ctx.settings.keyring()) if also_reseal else None)
    for key in rotated:
        typer.echo(f"{key.purpose} key rotated: {key.id} is current ({AFTER_ROTATION[key.purpose]})")
    for name in sorted(set(PURPOSES) - set(names)) if purpose is Purpose.all else []:
        typer.echo(f"{name} key not rotated: it comes from {ENV_VARIABLES[name]}, which wins over the key file")
    _say_resealed(report)


@app.command("reseal")
def reseal_command(old_data_key: OldDataKeyOpt = "") -> None:
    """Re-seal every stored customer contact and webhook signing secret under the current data key."""
    ctx = CliContext()
    extra = [text_key("data", old_data_key)] if old_data_key else []
    _say_resealed(_reseal_and_audit(ctx, [], Sealer(ctx.settings.keyring(), extra)))
