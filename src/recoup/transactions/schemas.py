"""What crosses the API for imports and transactions."""

from __future__ import annotations

from pydantic import BaseModel

from recoup.transactions.importer import ImportReport
from recoup.transactions.models import ImportBatch
from recoup.transactions.service import TransactionDetail


class RejectOut(BaseModel):
    line: int
    column: str
    reason: str


class ImportReportOut(BaseModel):
    kind: str
    file_name: str
    import_id: int | None
    already_imported: bool
    summary: str
    encoding: str
    rows_in_file: int
    imported: int
    already_present: int
    left_out: int
    rejected_rows: int
    rejects: list[RejectOut]
    flagged_stopped: dict[str, int]
    warnings: list[str]
    reject_file: str | None = None
    content_sha256: str
    cards_masked: int = 0  # values in which a full card number was masked before storage

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportOut:
        return cls(
            kind=report.kind, file_name=report.file_name, import_id=report.batch_id,
            already_imported=report.already_imported, summary=report.summary(), encoding=report.encoding,
            rows_in_file=report.rows_in_file, imported=report.imported, already_present=report.already_present,
            left_out=report.left_out, rejected_rows=report.rejected_rows,
            rejects=[RejectOut(line=r.line, column=r.column, reason=r.reason) for r in report.rejects],
            flagged_stopped=report.flagged_stopped, warnings=report.warnings, reject_file=report.reject_file,
            content_sha256=report.content_sha256, cards_masked=report.cards_masked,
        )


class ImportBatchOut(BaseModel):
    import_id: int
    kind: str
    file_name: str
    rows: int
    rejected: int
    imported_by: str
    imported_at: str

    @classmethod
    def of(cls, batch: ImportBatch) -> ImportBatchOut:
        return cls(import_id=batch.id, kind=batch.kind, file_name=batch.filename, rows=batch.rows,
                   rejected=batch.rejected, imported_by=batch.imported_by, imported_at=batch.imported_at.isoformat())


class TransactionPage(BaseModel):
    source: str
    items: list[dict[str, object]]
    limit: int
    offset: int
    next_offset: int | None


class TransactionDetailOut(BaseModel):
    journal: dict[str, object] | None
    flagged_stopped: bool
    settlement: list[dict[str, object]]
    order: dict[str, object] | None
    order_payments: list[dict[str, object]]
    related: list[dict[str, object]]

    @classmethod
    def of(cls, detail: TransactionDetail) -> TransactionDetailOut:
        return cls(journal=detail.journal, flagged_stopped=detail.flagged_stopped, settlement=detail.settlement,
                   order=detail.order, order_payments=detail.order_payments, related=detail.related)
