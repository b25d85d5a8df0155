"""`recoup case refund|void|reverse|adjust|collect|transfer|confirm`: recovery actions from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import segno
import typer

from recoup.cases.recording import audited
from recoup.context import CliContext
from recoup.errors import InvalidInput
from recoup.output import Format, emit_one
from recoup.recovery.collect import for_action
from recoup.recovery.emvqr import parse_payload, render_png
from recoup.recovery.plans import ActionRequest
from recoup.recovery.qr_account import QrAccountTemplate, reset_template, set_template, template_view
from recoup.recovery.service import Outcome, confirm_by_hand, perform

UserOpt = Annotated[str | None, typer.Option("--user", help="act as this user (default: $RECOUP_USER)")]
FormatOpt = Annotated[Format, typer.Option("--format")]
KeyOpt = Annotated[str, typer.Option("--idempotency-key", help="the same key again never acts twice")]
AmountOpt = Annotated[str, typer.Option("--amount", help="in major units, e.g. 12.34")]
OptionalAmount = Annotated[str | None, typer.Option("--amount", help="default: the whole sale")]
RrnOpt = Annotated[str | None, typer.Option("--rrn", help="the sale, when not the case's own")]
NoteOpt = Annotated[str, typer.Option("--note")]
FundingOpt = Annotated[str | None, typer.Option(
    "--funding", help="when the balance is short: transfer (ask the bank, default) or settlements (wait)")]


def _perform(case: str, request: ActionRequest, key: str, user: str | None) -> Outcome:
    ctx = CliContext()
    return perform(ctx.database, ctx.principal(user), case, request, key,
                   qr_default=QrAccountTemplate.from_settings(ctx.settings))


def _show(outcome: Outcome, fmt: Format) -> None:
    if fmt is Format.table:
        action = outcome.action
        again = " (the same request was made before: nothing was done again)" if outcome.replayed else ""
        typer.echo(f"action {action['id']}: {action['kind']} {action['amount']} {action['currency']} "
                   f"{action['state']}{again}")
    else:
        emit_one({**outcome.action, "replayed": outcome.replayed}, fmt)


def register(app: typer.Typer) -> None:
    """Add the recovery commands to `recoup case`."""
    for command in (refund, void, reverse, adjust, collect, transfer, confirm):
        app.command(command.__name__)(command)
    app.command("qr-account")(qr_account)


def refund(case: str, amount: AmountOpt, key: KeyOpt, rrn: RrnOpt = None, note: NoteOpt = "",
           funding: FundingOpt = None, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Refund all or part of the case's sale to the card (after settlement)."""
    _show(_perform(case, ActionRequest("REFUND", amount, rrn, note=note, funding=funding), key, user), fmt)


def void(case: str, key: KeyOpt, amount: OptionalAmount = None, rrn: RrnOpt = None, note: NoteOpt = "",
         user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Void the case's sale (same day, before its batch settles)."""
    _show(_perform(case, ActionRequest("VOID", amount, rrn, note=note), key, user), fmt)


def reverse(case: str, key: KeyOpt, amount: OptionalAmount = None, rrn: RrnOpt = None, note: NoteOpt = "",
            funding: FundingOpt = None, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Reverse a debit that should not exist (a sale the terminal believes failed)."""
    _show(_perform(case, ActionRequest("REVERSAL", amount, rrn, note=note, funding=funding), key, user), fmt)


def adjust(case: str, amount: AmountOpt, key: KeyOpt,
           direction: Annotated[str | None, typer.Option(help="credit or debit the merchant")] = None,
           note: NoteOpt = "", funding: FundingOpt = None, user: UserOpt = None,
           fmt: FormatOpt = Format.table) -> None:
    """Ask the acquirer for a credit adjustment (贷记调整) between it and the merchant."""
    request = ActionRequest("ADJUSTMENT", amount, direction=direction, note=note, funding=funding)
    _show(_perform(case, request, key, user), fmt)


def collect(case: str, amount: AmountOpt, key: KeyOpt,
            qr: Annotated[Path | None, typer.Option(help="write the QR code here (.png or .svg)")] = None,
            note: NoteOpt = "", user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Ask the payer for the difference with an EMV QR code (bill number = case number)."""
    if qr is not None and qr.suffix.lower() not in (".png", ".svg"):
        raise InvalidInput("--qr writes a .png or .svg file")
    ctx = CliContext()
    outcome = perform(ctx.database, ctx.principal(user), case, ActionRequest("COLLECT", amount, note=note), key,
                      qr_default=QrAccountTemplate.from_settings(ctx.settings))
    with ctx.database.unit_of_work() as session:
        request = for_action(session, int(str(outcome.action["id"])))
        payload, token = (request.payload, request.token) if request else ("", "")
    if qr is not None and payload:
        _write_qr(payload, qr)
    base = f"http://{ctx.settings.host}:{ctx.settings.port}"
    if fmt is Format.table:
        _show(outcome, fmt)
        typer.echo(f"payment page: {base}/pay/{token}\nQR payload: {payload}")
        if qr is not None:
            typer.echo(f"QR code written to {qr}")
    else:
        emit_one({**outcome.action, "replayed": outcome.replayed, "payload": payload,
                  "payment_url": f"{base}/pay/{token}"}, fmt)


def _write_qr(payload: str, path: Path) -> None:
    """A PNG, or a standalone SVG file (with its XML namespace, unlike the inline SVG of the pages)."""
    if path.suffix.lower() == ".png":
        render_png(payload, path)
    else:
        parse_payload(payload)
        segno.make(payload, error="m", micro=False, encoding="utf-8").save(str(path), kind="svg", scale=8, border=4)


def transfer(case: str, amount: AmountOpt, key: KeyOpt,
             purpose: Annotated[str | None, typer.Option(help="funding or recovery")] = None,
             direction: Annotated[str | None, typer.Option(help="in or out of the merchant's account")] = None,
             bank_reference: Annotated[str | None, typer.Option("--bank-reference")] = None,
             note: NoteOpt = "", user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Request a bank transfer (funding a refund, or an acquirer-side return)."""
    request = ActionRequest("TRANSFER", amount, direction=direction, purpose=purpose, bank_reference=bank_reference,
                            note=note)
    _show(_perform(case, request, key, user), fmt)


def confirm(case: str, action_id: int, reference: Annotated[str, typer.Option(help="the bank's reference")] = "",
            user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Confirm an adjustment or transfer the bank reports done (no file carries those)."""
    ctx = CliContext()
    action = confirm_by_hand(ctx.database, ctx.principal(user), case, action_id, reference)
    _show(Outcome(action, False), fmt)


def qr_account(
    tag: Annotated[str | None, typer.Option(help="merchant account tag, 02-51 (15 = UnionPay)")] = None,
    gui: Annotated[str, typer.Option(help="the network's GUI, for a template tag 26-51")] = "",
    reset: Annotated[bool, typer.Option("--reset", help="back to the settings' default")] = False,
    user: UserOpt = None,
) -> None:
    """Show the merchant-account template of your collection QR codes, or change it (admin)."""
    ctx = CliContext()
    principal = ctx.principal(user)
    default = QrAccountTemplate.from_settings(ctx.settings)
    if reset:
        with audited(ctx.database, principal, "qr_account.reset", str(principal.tenant_id)) as session:
            view = reset_template(session, principal, default)
    elif tag is not None:
        attempted: dict[str, object] = {"tag": tag, "gui": gui}
        with audited(ctx.database, principal, "qr_account.set", str(principal.tenant_id), attempted) as session:
            view = set_template(session, principal, QrAccountTemplate(tag, gui), default)
    else:
        with ctx.database.unit_of_work() as session:
            view = template_view(session, principal.tenant_id, default)
    emit_one(view, Format.json)
