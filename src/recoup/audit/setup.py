"""What appending to and checking the audit trail needs besides the database: the audit key and the
folder of checkpoints. Bound to the `Database` at start-up (the app, the CLI, the worker), so the
~60 callers of `record(session, ...)` need not carry settings; a session opened by a `Database` built
without it refuses to write the trail, with a message saying how to bind it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from recoup.errors import RecoupError

if TYPE_CHECKING:
    from recoup.config import Settings
    from recoup.keys.ring import KeyRing

SESSION_INFO_KEY = "audit"


class AuditNotConfigured(RecoupError):
    status = 500


@dataclass(frozen=True)
class AuditSetup:
    keyring: Callable[[], KeyRing]  # called on first use: keys are never read at import or construction
    checkpoint_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditSetup:
        return cls(settings.keyring, settings.audit_checkpoint_folder)

    def secrets(self) -> Callable[[str], bytes | None]:
        """Audit key id -> its secret (None when the key ring does not hold it), for checking links."""
        return {key.id: key.secret for key in self.keyring().all("audit")}.get


def audit_setup(session: Session) -> AuditSetup:
    """The audit key and checkpoint folder bound to the database this session came from."""
    setup = session.info.get(SESSION_INFO_KEY)
    if not isinstance(setup, AuditSetup):
        raise AuditNotConfigured(
            "the audit trail has no key: open the database as Database(url, audit=AuditSetup.from_settings(settings))")
    return setup
