"""Every table of every domain, so that Alembic and the tests see the whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData

from recoup.db import Base


def all_metadata() -> MetaData:
    # Imported here, not at module top, so importing this module does no work.
    import recoup.audit.models
    import recoup.auth.models
    import recoup.cases.models
    import recoup.complaints.models
    import recoup.disputes.models
    import recoup.evidence.models
    import recoup.ingest.models
    import recoup.ledger.models
    import recoup.merchants.models
    import recoup.messaging.models
    import recoup.reconciliation.models
    import recoup.recovery.models
    import recoup.reports.models
    import recoup.transactions.models
    import recoup.webhooks.models
    import recoup.workplace.models  # noqa: F401

    return Base.metadata
