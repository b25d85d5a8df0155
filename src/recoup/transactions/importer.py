"""Importing one file: all or nothing, once, within the importer's tenant and merchants.

The caller owns the transaction: `import_file` flushes, the CLI command or the request commits. A
file whose content was imported before (same tenant and kind) changes nothing. A file with any bad
row imports nothing unless `skip_bad_rows`, which imports the good rows and writes the bad ones to
a reject file. Every import leaves an audit entry. A big journal file goes into PostgreSQL piece by
piece (each piece checked while the one before is copied); at the first piece with a bad line that is
undone and the whole file takes the usual path, so what the user sees is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import duckdb
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.models import Tenant
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.config import Settings
from recoup.errors import Conflict, Forbidden, InvalidInput
from recoup.merchants.repository import scoped_merchants
from recoup.scratch import scratch_folder
from recoup.transactions import registry_import
from recoup.transactions.duck import configure, spilling_memory
from recoup.transactions.file_digest import FileDigest
from recoup.transactions.loading import dialect_of
from recoup.transactions.models import ImportBatch
from recoup.transactions.reject_file import write_message_rejects, write_reject_file
from recoup.transactions.rejects import Reject
from recoup.transactions.staging import (
    Names,
    NotInPieces,
    Scope,
    Staged,
    every_rejected_line,
    pieces,
    stage_csv,
)
from recoup.transactions.storing import Batch, store_transactions
from recoup.transactions.storing_pieces import Piece, store_journal_pieces
from recoup.transactions.switch_log import stage_switch_log

REGISTRY_KINDS = ("merchants", "terminals")
TRANSACTION_KINDS = ("orders", "journal", "settlement")
KINDS = (*REGISTRY_KINDS, *TRANSACTION_KINDS, "iso8583")
REJECTS_SHOWN = 1000
DUCKDB_MEMORY = "256MB"  # more buys no speed (bench/import.py), only a peak growing with the file
# A journal file bigger than two pieces goes into PostgreSQL piece by piece, each checked while the one
# before is being copied. A piece costs DuckDB about 0.1 CPU second on top of its lines (bench/import.py);
# 16 MiB (about 110,000 lines) keeps that small. The first piece is small: the database waits for it. The
# next ones grow by a quarter each time up to 16 MiB, so that DuckDB gets ahead of the server: with the
# fixed cost, a small piece takes DuckDB longer than the server (which has the other core), and a piece
# half again as big as the one before kept the server waiting after each of the first six (idle 1.9-6.7 s
# of an import of a million lines, against 1.2-3.5 s growing by a quarter: six alternations, /proc
# samples of the server process). Straight from 2 MiB to 16 MiB was worse still.
PIECE_BYTES = 16 << 20
FIRST_PIECE_BYTES = 1 << 20
PIECE_GROWTH = 1.25
PIECE_THREADS = 1
Progress = Callable[[str, int, int | None], None]  # phase, done, total


def _no_progress(phase: str, done: int, total: int | None) -> None:  # noqa: ARG001
    return None


@dataclass(frozen=True)
class ImportOptions:
    skip_bad_rows: bool = False
    reject_path: Path | None = None
    tenant_code: str | None = None  # only this tenant's rows; the others are left out, not rejected
    year: int | None = None  # switch logs: the year of the messages
    file_name: str | None = None  # the name to show (an upload's own name)


@dataclass
class ImportReport:
    kind: str
    file_name: str
    content_sha256: str
    batch_id: int | None = None
    already_imported: bool = False
    encoding: str = ""
    rows_in_file: int = 0
    imported: int = 0
    already_present: int = 0
    left_out: int = 0
    rejected_rows: int = 0
    rejects: list[Reject] = field(default_factory=list)
    flagged_stopped: dict[str, int] = field(default_factory=dict)  # terminal -> lines flagged
    warnings: list[str] = field(default_factory=list)
    reject_file: str | None = None
    ledger_posted: int = 0  # settlement lines booked in the ledger
    recoveries_confirmed: int = 0  # refunds, reversals, collections the new lines confirmed
    disputes_confirmed: int = 0  # scheme disputes whose chargeback or reversal the new lines confirmed
    cards_masked: int = 0  # free-text values in which a full card number was masked (pan_guard)

    def summary(self) -> str:
        if self.already_imported:
            return (f"{self.file_name}: this file was imported before (import #{self.batch_id}); "
                    "nothing changed")
        parts = [f"{self.imported} row(s) imported"]
        if self.already_present:
            parts.append(f"{self.already_present} already present")
        if self.left_out:
            parts.append(f"{self.left_out} of other tenants left out")
        if self.rejected_rows:
            parts.append(f"{self.rejected_rows} rejected")
        if self.cards_masked:
            parts.append(f"{self.cards_masked} value(s) holding a full card number masked")
        if self.recoveries_confirmed:
            parts.append(f"{self.recoveries_confirmed} recovery action(s) confirmed")
        if self.disputes_confirmed:
            parts.append(f"{self.disputes_confirmed} scheme dispute(s) confirmed")
        if self.flagged_stopped:
            parts.append(f"{sum(self.flagged_stopped.values())} flagged: terminal stopped")
        return f"{self.file_name} ({self.kind}, import #{self.batch_id}): " + ", ".join(parts)


class ImportRejected(InvalidInput):
    """Bad rows and no `skip_bad_rows`: nothing was imported. `rejects` lists them by line."""

    def __init__(self, file_name: str, rejects: list[Reject], rejected_rows: int) -> None:
        shown = "\n".join(f"  {reject}" for reject in rejects[:10])
        more = f"\n  ... and more ({rejected_rows} line(s) in all)" if len(rejects) > 10 else ""
        super().__init__(f"{file_name}: {rejected_rows} bad line(s), nothing imported "
                         f"(use --skip-bad-rows to import the good ones):\n{shown}{more}",
                         detail=[{"line": r.line, "column": r.column, "reason": r.reason}
                                 for r in rejects[:REJECTS_SHOWN]])
        self.rejects = rejects
        self.rejected_rows = rejected_rows


def _check_request(session: Session, principal: Principal, kind: str, options: ImportOptions) -> str:
    """The importer's tenant code, once the kind, the permissions and --tenant are in order."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown import kind {kind!r}: one of {', '.join(KINDS)}")
    principal.require(Permission.IMPORT)
    if kind in REGISTRY_KINDS:
        principal.require(Permission.MANAGE_MERCHANTS)
    tenant = session.get(Tenant, principal.tenant_id)
    code = tenant.code if tenant else ""
    if options.tenant_code is not None and options.tenant_code != code:
        raise Forbidden(f"you import into your own tenant ({code}), not {options.tenant_code}")
    return code


def _scope(session: Session, principal: Principal, settings: Settings, options: ImportOptions) -> Scope:
    merchants = session.execute(scoped_merchants(principal)).scalars()
    return Scope({m.merchant_id: m.timezone for m in merchants}, settings.default_timezone,
                 leave_out_others=options.tenant_code is not None)


@dataclass
class _Job:
    """One import under way: what it works with, and the report it fills."""

    session: Session
    con: duckdb.DuckDBPyConnection
    principal: Principal
    kind: str
    path: Path
    settings: Settings
    options: ImportOptions
    scope: Scope
    tenant_code: str
    report: ImportReport
    tell: Progress
    digest: FileDigest
    imported_before: bool | None = None  # _already_imported's answer, once asked


def import_file(session: Session, principal: Principal, kind: str, path: Path, settings: Settings,
                options: ImportOptions | None = None, progress: Progress | None = None) -> ImportReport:
    """Import `path` as `kind` for `principal`; flushes, never commits."""
    options = options or ImportOptions()
    tenant_code = _check_request(session, principal, kind, options)
    name = options.file_name or path.name
    if not path.is_file():
        raise InvalidInput(f"{name}: no such file")
    report = ImportReport(kind, name, "")
    # In memory, its overflow spilling to a private folder, so memory stays flat in the file's size. A DuckDB
    # file of its own did the same, but compressed and re-read every table it checkpointed: a quarter of the
    # import's own CPU (13.5 -> 10.3 s a million lines, bench/import.py), taken from a database server on the
    # same machine.
    with FileDigest(path) as digest, spilling_memory(DUCKDB_MEMORY) as con:
        scope = _scope(session, principal, settings, options)
        job = _Job(session, con, principal, kind, path, settings, options, scope, tenant_code, report,
                   progress or _no_progress, digest)
        job.tell("reading", 0, None)
        _run(job)
    return report


def _already_imported(job: _Job) -> bool:
    """Whether the file's content was imported before (same tenant and kind): then the report says so. Asked
    once: a journal that falls back from the pieces to the whole file does not ask again."""
    if job.imported_before is not None:
        return job.imported_before
    report = job.report
    report.content_sha256 = job.digest.hexdigest()
    earlier = job.session.execute(select(ImportBatch.id).where(
        ImportBatch.tenant_id == job.principal.tenant_id, ImportBatch.kind == job.kind,
        ImportBatch.content_sha256 == report.content_sha256)).scalar_one_or_none()
    if earlier is not None:
        report.batch_id, report.already_imported = earlier, True
    job.imported_before = earlier is not None
    return job.imported_before


def _stage(job: _Job) -> Staged:
    if job.kind == "iso8583":
        staged_log = stage_switch_log(job.con, job.path, job.scope, job.settings.card_key_bytes, job.options.year)
        job.report.warnings += staged_log.warnings
        job.report.encoding = "ascii"
        return staged_log.staged
    registry = job.kind in REGISTRY_KINDS
    scope = Scope(job.scope.merchants, job.scope.default_timezone, job.scope.leave_out_others, checked=not registry)
    staged = stage_csv(job.con, job.kind, job.path, scope, job.settings.card_key_bytes,
                       display_name=job.report.file_name)
    job.report.encoding = staged.load.encoding
    job.report.warnings += staged.load.warnings
    return staged


def _run(job: _Job) -> None:
    if _in_pieces(job) and _run_in_pieces(job):
        return
    if _already_imported(job):
        return
    report, options = job.report, job.options
    staged = _stage(job)
    if staged.rows_in_file == 0:
        raise InvalidInput(f"{report.file_name}: line 1: a header and no rows; nothing to import")
    report.rows_in_file, report.left_out = staged.rows_in_file, staged.left_out
    report.rejects, report.rejected_rows = list(staged.rejects), staged.rejected_lines
    report.cards_masked = staged.pans_masked
    if report.rejected_rows and not options.skip_bad_rows:
        raise ImportRejected(report.file_name, report.rejects, report.rejected_rows)
    batch = _open_batch(job.session, job.principal, job.kind, report)
    job.tell("storing", 0, staged.good_rows)
    registry_rejects = _store(job, staged, batch.id)
    if registry_rejects:
        if not options.skip_bad_rows:
            raise ImportRejected(report.file_name, registry_rejects, len({r.line for r in registry_rejects}))
        report.rejects = sorted(report.rejects + registry_rejects)
        report.rejected_rows += len({r.line for r in registry_rejects})
    if options.skip_bad_rows and report.rejected_rows and options.reject_path is not None:
        _write_rejects(job, staged, registry_rejects, options.reject_path)
        report.reject_file = str(options.reject_path)
    _close_batch(job.session, job.principal, batch, report)


def _in_pieces(job: _Job) -> bool:
    return (job.kind == "journal" and dialect_of(job.session) == "postgresql"
            and job.path.stat().st_size > 2 * PIECE_BYTES)


class _Whole(Exception):
    """A signal: this file takes the whole-file path."""


def _run_in_pieces(job: _Job) -> bool:
    """Import a clean journal file piece by piece (`store_journal_pieces`). False, with nothing written,
    when the file needs the whole-file path: a bad line, a piece not like the first, a quoted line break.
    That path then imports it (or refuses it with every bad line) exactly as a small file."""
    report = job.report
    batch: ImportBatch | None = None
    first: list[Staged] = []
    job.con.execute(f"SET threads = {PIECE_THREADS}")
    try:
        with scratch_folder("pieces") as folder:
            checked = _checked_pieces(job, Path(folder), first)
            head = next(checked)  # checked while the file's digest is made
            if _already_imported(job):
                checked.close()  # the file it reads closed now, not when the generator is collected
                return True
            batch = _open_batch(job.session, job.principal, job.kind, report)
            stored = store_journal_pieces(job.session, job.con, chain([head], checked), job.principal.tenant_id,
                                          batch.id)
    except (_Whole, NotInPieces, InvalidInput):
        if batch is not None:
            job.session.delete(batch)
            job.session.flush()
        report.batch_id = None
        return False
    finally:
        configure(job.con, memory_limit=DUCKDB_MEMORY)
    report.imported = stored.imported
    report.already_present = report.rows_in_file - report.left_out - stored.imported
    report.flagged_stopped, report.warnings = stored.flagged_stopped, first[0].load.warnings + stored.warnings
    report.recoveries_confirmed = stored.recoveries_confirmed
    _close_batch(job.session, job.principal, batch, report)
    return True


def _checked_pieces(job: _Job, folder: Path, first: list[Staged]) -> Generator[Piece, None, None]:
    """Each piece of the file, loaded and checked; _Whole at the first piece with anything to report."""
    report, size, read, good = job.report, job.path.stat().st_size, 0, 0
    for index, path in enumerate(pieces(job.path, folder, PIECE_BYTES, FIRST_PIECE_BYTES, PIECE_GROWTH)):
        names = Names.piece(index)
        staged = stage_csv(job.con, job.kind, path, job.scope, job.settings.card_key_bytes,
                           display_name=report.file_name, names=names)
        if not first:
            first.append(staged)
        if staged.rejected_lines or staged.load.rejects or staged.load.encoding != first[0].load.encoding:
            raise _Whole(path.name)
        report.encoding = staged.load.encoding
        report.rows_in_file += staged.rows_in_file
        report.left_out += staged.left_out
        report.cards_masked += staged.pans_masked
        yield Piece(staged.load, names.good, staged.good_rows)
        read, good = read + path.stat().st_size, good + staged.good_rows
        job.tell("storing", good, max(good, good * size // max(read, 1)))  # the total: an estimate from the size
    if report.rows_in_file == 0:
        raise _Whole(job.path.name)


def _open_batch(session: Session, principal: Principal, kind: str, report: ImportReport) -> ImportBatch:
    batch = ImportBatch(tenant_id=principal.tenant_id, kind=kind, filename=report.file_name[:255],
                        content_sha256=report.content_sha256, imported_by=principal.username)
    session.add(batch)
    try:
        session.flush()
    except IntegrityError:  # the same file committed by a concurrent import since we looked
        raise Conflict(f"{report.file_name}: the same file is being imported right now") from None
    report.batch_id = batch.id
    return batch


def _store(job: _Job, staged: Staged, import_id: int) -> list[Reject]:
    """Write the good rows; returns rows the registry refused (they are checked against the database)."""
    leave_out = job.scope.leave_out_others
    if job.kind == "merchants":
        outcome = registry_import.import_merchants(
            job.session, job.principal, job.tenant_code, job.con, staged.structural_lines,
            leave_out_others=leave_out, default_timezone=job.settings.default_timezone)
    elif job.kind == "terminals":
        outcome = registry_import.import_terminals(
            job.session, job.principal, job.con, staged.structural_lines,
            visible_merchants=set(job.scope.merchants), leave_out_others=leave_out)
    else:
        _store_transactions(job, staged, import_id)
        return []
    job.report.imported, job.report.already_present = outcome.stored, outcome.unchanged
    job.report.left_out += outcome.left_out
    job.report.warnings += _registry_notes(job.kind, outcome)
    return outcome.rejects


def _registry_notes(kind: str, outcome: registry_import.RegistryOutcome) -> list[str]:
    notes = []
    if outcome.added:
        notes.append(f"{len(outcome.added)} {kind} added: {', '.join(outcome.added[:20])}")
    if outcome.updated:
        notes.append(f"{len(outcome.updated)} {kind} updated: {', '.join(outcome.updated[:20])}")
    return notes


def _store_transactions(job: _Job, staged: Staged, import_id: int) -> None:
    report = job.report
    batch = Batch(job.kind, staged.load, staged.good_rows, job.principal.tenant_id, import_id)
    stored = store_transactions(job.session, job.con, batch, job.settings.keyring(),
                                progress=lambda done: job.tell("storing", done, staged.good_rows))
    report.imported, report.already_present = stored.imported, staged.good_rows - stored.imported
    report.flagged_stopped, report.warnings = stored.flagged_stopped, report.warnings + stored.warnings
    report.ledger_posted, report.recoveries_confirmed = stored.ledger_posted, stored.recoveries_confirmed
    report.disputes_confirmed = stored.disputes_confirmed


def _write_rejects(job: _Job, staged: Staged, registry_rejects: list[Reject], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if job.kind == "iso8583":  # the rejects already name lines of the log
        write_message_rejects(job.path, target, [(r.line, r.column, r.reason) for r in staged.rejects])
        return
    lines = dict(every_rejected_line(job.con, staged, check_scope=job.kind not in REGISTRY_KINDS))
    for reject in registry_rejects:
        lines[reject.line] = f"{reject.column}: {reject.reason}"
    write_reject_file(job.path, target, sorted(lines.items()), encoding=staged.load.encoding)


def _close_batch(session: Session, principal: Principal, batch: ImportBatch, report: ImportReport) -> None:
    batch.rows = report.imported
    batch.rejected = report.rejected_rows
    batch.warnings = report.warnings[:50] or None
    session.flush()
    record(session, principal.actor(), f"import.{report.kind}", "import_batch", str(batch.id), after={
        "file": report.file_name, "sha256": report.content_sha256, "kind": report.kind,
        "rows_in_file": report.rows_in_file, "imported": report.imported,
        "already_present": report.already_present, "rejected": report.rejected_rows,
        "left_out": report.left_out, "flagged_stopped": sum(report.flagged_stopped.values()),
        "cards_masked": report.cards_masked,
    })
