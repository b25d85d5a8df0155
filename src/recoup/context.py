"""What a CLI command needs: settings, the database, and who is running it."""

from __future__ import annotations

import os
from functools import cached_property

from recoup.audit.setup import AuditSetup
from recoup.auth.models import User
from recoup.auth.principal import Principal
from recoup.auth.service import principal_for
from recoup.config import Settings, get_settings
from recoup.db import Database
from recoup.errors import RecoupError, Unauthorized


class CliContext:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @cached_property
    def database(self) -> Database:
        return Database(self.settings.resolved_database_url, audit=AuditSetup.from_settings(self.settings),
                        pool=self.settings.pool_sizes)

    def principal(self, username: str | None) -> Principal:
        """The user a data command acts as: --user, else RECOUP_USER. Their role and scope apply."""
        name = username or os.environ.get("RECOUP_USER", "")
        if not name:
            raise RecoupError("this command acts as a user: give --user NAME or set RECOUP_USER")
        with self.database.unit_of_work() as session:
            from sqlalchemy import select

            user = session.execute(select(User).where(User.username == name)).scalar_one_or_none()
            if user is None or not user.active:
                raise Unauthorized(f"no active user {name!r}")
            return principal_for(session, user, "cli")
