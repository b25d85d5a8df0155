"""`recoup user add|list|disable|password|unlock|token|tokens|revoke-token`."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from recoup.audit.service import Actor
from recoup.auth.login import unlock as unlock_user
from recoup.auth.roles import Role
from recoup.auth.service import add_user, change_password, disable_user, get_or_create_tenant, list_users
from recoup.auth.tokens import issue_token, revoke_token, user_tokens
from recoup.context import CliContext
from recoup.db import utcnow
from recoup.output import Format, emit

app = typer.Typer(help="Users, roles and API tokens (an operator command: runs with the database's owner rights).",
                  no_args_is_help=True)
OPERATOR = Actor("cli-operator", None, "cli")
TOKEN_COLUMNS = ["prefix", "name", "kind", "created_at", "expires_at", "last_used_at", "revoked"]


@app.command("add")
def add(
    username: str,
    role: Annotated[Role, typer.Option(help="the user's role (SPEC section 1)")],
    tenant: Annotated[str, typer.Option(help="tenant code, e.g. ACQ-EAST (created when new)")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    merchant: Annotated[list[str] | None, typer.Option(help="merchant id this user works for (repeat)")] = None,
    email: str = "",
    locale: str = "zh_CN",
) -> None:
    """Add a user."""
    with CliContext().database.unit_of_work() as session:
        found = get_or_create_tenant(session, tenant)
        user = add_user(session, OPERATOR, tenant=found, username=username, password=password, role=role,
                        merchant_ids=merchant or [], email=email, locale=locale)
        typer.echo(f"added user {user.username} ({role.value}) in tenant {found.code}")


@app.command("list")
def list_(fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """List users."""
    with CliContext().database.unit_of_work() as session:
        rows: list[dict[str, object]] = [
            {"username": u.username, "role": u.role, "tenant_id": u.tenant_id, "active": u.active, "email": u.email}
            for u in list_users(session, None)
        ]
    emit(rows, fmt, columns=["username", "role", "tenant_id", "active", "email"])


@app.command("disable")
def disable(username: str) -> None:
    """Disable a user: their tokens are revoked and their browser sessions end."""
    with CliContext().database.unit_of_work() as session:
        disable_user(session, OPERATOR, username)
    typer.echo(f"disabled user {username}")


@app.command("password")
def password(
    username: str,
    new_password: Annotated[str, typer.Option("--password", prompt="New password", hide_input=True,
                                              confirmation_prompt=True)],
) -> None:
    """Set a user's password: their browser sessions and login tokens end."""
    with CliContext().database.unit_of_work() as session:
        ended = change_password(session, OPERATOR, username, new_password)
    typer.echo(f"changed the password of {username}; {ended} session(s) ended")


@app.command("unlock")
def unlock(username: str) -> None:
    """End a user's login lockout (and clear the counters of the addresses that failed on it); audited."""
    with CliContext().database.unit_of_work() as session:
        locked = unlock_user(session, OPERATOR, username)
    typer.echo(f"unlocked {username}" + (f" (was locked: {', '.join(locked)})" if locked else " (was not locked)"))


@app.command("token")
def token(
    username: str,
    name: str = "cli",
    expires_days: Annotated[int | None, typer.Option(min=1, max=3650, help="days until it expires (default: never)")]
    = None,
) -> None:
    """Issue a personal API token for a user (printed once; only its hash is stored)."""
    now = utcnow()
    expires_at = now + timedelta(days=expires_days) if expires_days is not None else None
    with CliContext().database.unit_of_work() as session:
        typer.echo(issue_token(session, OPERATOR, username, name, expires_at=expires_at, now=now))


@app.command("tokens")
def tokens(username: str, fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """List a user's API tokens by prefix (never the token itself)."""
    with CliContext().database.unit_of_work() as session:
        rows: list[dict[str, object]] = [
            {"prefix": t.prefix, "name": t.name, "kind": t.kind, "created_at": t.created_at.isoformat(),
             "expires_at": t.expires_at.isoformat() if t.expires_at else None,
             "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None, "revoked": t.revoked}
            for t in user_tokens(session, username)
        ]
    emit(rows, fmt, columns=TOKEN_COLUMNS)


@app.command("revoke-token")
def revoke(prefix: str) -> None:
    """Revoke an API token, named by its prefix (as `recoup user tokens` lists it)."""
    with CliContext().database.unit_of_work() as session:
        revoke_token(session, OPERATOR, prefix)
    typer.echo(f"revoked token {prefix}")
