"""`recoup dispute open|respond|accept|outcome|advance|list|show|download|import|deadlines|reasons|scheme|reason`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from recoup.auth.principal import Principal
from recoup.cases.models import Case
from recoup.cases.recording import audited
from recoup.context import CliContext
from recoup.db import utcnow
from recoup.disputes import service
from recoup.disputes.deadlines import dispute_pass
from recoup.disputes.keyed import keyed
from recoup.disputes.models import Dispute
from recoup.disputes.notices import import_notices
from recoup.disputes.repository import get_dispute, list_disputes, merchant_day, reason_codes
from recoup.disputes.schemas import dispute_row
from recoup.disputes.settings import set_reason, set_scheme
from recoup.disputes.submission_zip import plan_submission
from recoup.disputes.views import detail_of, due_soon_day
from recoup.errors import InvalidInput
from recoup.evidence.bundle import stream_bundle
from recoup.money import format_major
from recoup.output import Format, emit, emit_one, write_new_file

app = typer.Typer(help="Scheme disputes: retrieval requests, chargebacks, re-presentments, arbitration.",
                  no_args_is_help=True)
UserOpt = Annotated[str | None, typer.Option("--user", help="act as this user (default: $RECOUP_USER)")]
FormatOpt = Annotated[Format, typer.Option("--format")]
KeyOpt = Annotated[str | None, typer.Option("--idempotency-key", help="the same key again never acts twice")]
NoteOpt = Annotated[str, typer.Option("--note")]
LIST_COLUMNS = ["id", "case", "scheme", "stage", "reason_code", "amount", "currency", "received_on", "due_on",
                "state", "outcome"]


def register(app_root: typer.Typer) -> None:
    """Add this domain's commands to `recoup` (called once by recoup.cli)."""
    app_root.add_typer(app, name="dispute")


def _row(session: Session, dispute: Dispute) -> dict[str, object]:
    case = session.get(Case, dispute.case_id)
    return dispute_row(dispute, case.number if case else "")


def _keyed(user: str | None, action: str, target: str, key: str | None, parameters: dict[str, object],
           work: Callable[[Session, Principal], Dispute], fmt: Format) -> None:
    ctx = CliContext()
    principal = ctx.principal(user)
    answer, replayed = keyed(ctx.database, principal, action, target, key or f"cli-{secrets.token_hex(12)}",
                             parameters, lambda session: _row(session, work(session, principal)), utcnow())
    if fmt is Format.table:
        again = " (the same request was made before: nothing was done again)" if replayed else ""
        typer.echo(f"dispute {answer['id']} on {answer['case']}: {answer['scheme']} {answer['stage']} "
                   f"{answer['reason_code']} {answer['amount']} {answer['currency']}, {answer['state']}"
                   f"{' ' + str(answer['outcome']) if answer['outcome'] else ''}, due {answer['due_on']}{again}")
    else:
        emit_one({**answer, "replayed": replayed}, fmt)


@app.command("open")
def open_(case: str, scheme: Annotated[str, typer.Option(help="unionpay, visa, mastercard")],
          reason: Annotated[str, typer.Option(help="the scheme's reason code, e.g. 4507")],
          amount: Annotated[str, typer.Option(help="the disputed amount, e.g. 128.00")],
          stage: Annotated[str, typer.Option(help="retrieval or chargeback")] = "chargeback",
          reference: Annotated[str, typer.Option(help="the scheme's reference")] = "",
          received: Annotated[str, typer.Option(help="YYYY-MM-DD (default: today)")] = "",
          due: Annotated[str, typer.Option(help="YYYY-MM-DD (default: from the stage's rule)")] = "",
          key: KeyOpt = None, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Open a retrieval request or a chargeback on a case; the due date is computed."""
    request = service.OpenRequest(scheme, stage, reason, amount, reference, received, due)
    _keyed(user, "dispute.open", case, key, dict(request.__dict__),
           lambda session, who: service.open_dispute(session, who, case, request, utcnow()), fmt)


EvidenceOpt = Annotated[list[int] | None, typer.Option(
    "--evidence", help="an evidence id of the case (repeat; default: what the reason code calls for)")]


@app.command()
def respond(dispute: str, evidence: EvidenceOpt = None,
            note: NoteOpt = "", late_reason: Annotated[str, typer.Option(
                "--late-reason", help="admin only: why it is answered after the due date")] = "",
            key: KeyOpt = None, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Submit this stage's answer with the case's evidence, frozen with its hashes."""
    ids = list(evidence or [])
    _keyed(user, "dispute.respond", dispute, key, {"evidence": ids, "note": note, "late_reason": late_reason},
           lambda session, who: service.respond(session, who, dispute, ids, utcnow(), note, late_reason), fmt)


@app.command("accept")
def accept_(dispute: str, yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
            note: NoteOpt = "", key: KeyOpt = None, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Accept the chargeback: the money stays with the cardholder."""
    if not yes and not typer.confirm(f"Accept dispute {dispute}? The debit stays and the dispute ends."):
        raise typer.Abort()
    _keyed(user, "dispute.accept", dispute, key, {"note": note},
           lambda session, who: service.accept(session, who, dispute, utcnow(), note), fmt)


@app.command()
def outcome(dispute: str, won: Annotated[bool, typer.Option("--won")] = False,
            lost: Annotated[bool, typer.Option("--lost")] = False,
            withdrawn: Annotated[bool, typer.Option("--withdrawn", help="the issuer withdrew it")] = False,
            note: NoteOpt = "", key: KeyOpt = None, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Record the scheme's decision: --won credits the amount back, --lost leaves the debit."""
    chosen = [name for name, flag in (("WON", won), ("LOST", lost), ("WITHDRAWN", withdrawn)) if flag]
    if len(chosen) != 1:
        raise InvalidInput("give exactly one of --won, --lost or --withdrawn")
    _keyed(user, "dispute.outcome", dispute, key, {"outcome": chosen[0], "note": note},
           lambda session, who: service.record_outcome(session, who, dispute, chosen[0], utcnow(), note), fmt)


@app.command("advance")
def advance_(dispute: str, stage: Annotated[str, typer.Option(help="chargeback, pre-arbitration or arbitration")],
             received: Annotated[str, typer.Option(help="YYYY-MM-DD (default: today)")] = "",
             due: Annotated[str, typer.Option(help="YYYY-MM-DD (default: from the stage's rule)")] = "",
             key: KeyOpt = None, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Record the scheme's next stage on the dispute."""
    _keyed(user, "dispute.advance", dispute, key, {"stage": stage, "received": received, "due": due},
           lambda session, who: service.advance(session, who, dispute, stage, utcnow(), received or None,
                                                due or None), fmt)


@app.command("list")
def list_(state: Annotated[str | None, typer.Option(help="AWAITING_RESPONSE, RESPONDED or ENDED")] = None,
          scheme: Annotated[str | None, typer.Option()] = None,
          due_soon: Annotated[bool, typer.Option("--due-soon", help="awaiting an answer within 3 days")] = False,
          outcome: Annotated[str | None, typer.Option(help="WON, LOST, ACCEPTED, WITHDRAWN or EXPIRED")] = None,
          user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """The disputes you can see, soonest due first."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        found = list_disputes(session, principal, state=state, scheme=scheme, outcome=outcome,
                              due_by=due_soon_day(utcnow()) if due_soon else None)
        rows = [_row(session, dispute) for dispute in found]
    emit(rows, fmt, columns=LIST_COLUMNS if fmt is not Format.json else None, title="disputes")


@app.command()
def show(dispute: str, user: UserOpt = None, fmt: FormatOpt = Format.table) -> None:
    """One dispute: its row, what its reason code calls for, what is missing, what was submitted."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        found = get_dispute(session, principal, dispute)
        shown = {**_row(session, found), **detail_of(session, found, merchant_day(session, found.merchant_id,
                                                                                  utcnow()))}
    emit_one(shown, fmt)


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="the notice CSV (docs/disputes.md)")], user: UserOpt = None,
            fmt: FormatOpt = Format.table) -> None:
    """Open or advance disputes from a scheme portal's notice file; importing it again changes nothing."""
    if not file.is_file():
        raise InvalidInput(f"no file {file}")
    ctx = CliContext()
    principal = ctx.principal(user)
    data = file.read_bytes()
    with audited(ctx.database, principal, "dispute.import", file.name) as session:
        report = import_notices(session, principal, data, utcnow())
    if fmt is Format.table:
        typer.echo(f"{len(report.opened)} opened, {len(report.advanced)} advanced, {len(report.unchanged)} "
                   f"unchanged; cases opened: {', '.join(report.cases_opened) or 'none'}")
    else:
        emit_one(report.as_dict(), fmt)


@app.command()
def download(dispute: str, out: Annotated[Path, typer.Option("--out", help="the ZIP to write (never overwritten)")],
             submission: Annotated[int | None, typer.Option(help="which submission, from 1 (default: the latest)")]
             = None, user: UserOpt = None) -> None:
    """Write a frozen submission as a ZIP: the documents sent and manifest.json (docs/disputes.md)."""
    ctx = CliContext()
    principal = ctx.principal(user)
    if out.exists():
        raise InvalidInput(f"{out} exists already: name another file (a download never replaces one)")
    with ctx.database.unit_of_work() as session:
        name, plan = plan_submission(session, principal, dispute, utcnow(), submission)
    write_new_file(out, stream_bundle(plan, ctx.settings))
    typer.echo(f"{name} written to {out} ({len(plan.files) - 1} document(s) and manifest.json)")


@app.command()
def deadlines() -> None:
    """Expire the disputes past due and alert those due in 3 days or less (the worker runs this daily)."""
    typer.echo(f"{dispute_pass(CliContext().database, utcnow())} dispute(s) expired or alerted")


@app.command()
def reasons(scheme: Annotated[str | None, typer.Option()] = None, user: UserOpt = None,
            fmt: FormatOpt = Format.table) -> None:
    """The reason codes of your organisation and the evidence each calls for."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        rows: list[dict[str, object]] = [
            {"scheme": r.scheme, "code": r.code, "label_zh": r.label_zh, "label_en": r.label_en,
             "evidence": ", ".join(r.evidence_kinds)}
            for r in reason_codes(session, principal.tenant_id, scheme.strip().upper() if scheme else None)]
    emit(rows, fmt, title="reason codes")


@app.command("scheme")
def scheme_(name: str, fee: Annotated[str, typer.Option(help="the chargeback fee, e.g. 15.00")] = "0",
            user: UserOpt = None) -> None:
    """Admin: add a card scheme, or set the fee its chargebacks cost the merchant."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with audited(ctx.database, principal, "dispute.scheme.set", name) as session:
        rule = set_scheme(session, principal, name, fee, utcnow())
        typer.echo(f"{rule.scheme}: chargeback fee {format_major(rule.chargeback_fee_minor, 'CNY')} CNY")


@app.command("reason")
def reason_(scheme: str, code: str, zh: Annotated[str, typer.Option("--zh")], en: Annotated[str, typer.Option("--en")],
            evidence: Annotated[list[str] | None, typer.Option("--evidence", help="an evidence kind (repeat)")] = None,
            user: UserOpt = None) -> None:
    """Admin: add or change a reason code, its words and the evidence it calls for."""
    ctx = CliContext()
    principal = ctx.principal(user)
    with audited(ctx.database, principal, "dispute.reason.set", f"{scheme}:{code}") as session:
        found = set_reason(session, principal, scheme, code, zh, en, evidence or [], utcnow())
        typer.echo(f"{found.scheme} {found.code}: {found.label_en} ({', '.join(found.evidence_kinds)})")
