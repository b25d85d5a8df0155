"""`recoup user add|list|disable|token`."""

from __future__ import annotations

from typing import Annotated

import typer

from recoup.audit.service import Actor
from recoup.auth.roles import Role
from recoup.auth.service import add_user, disable_user, get_or_create_tenant, issue_token, list_users
from recoup.context import CliContext
from recoup.output import Format, emit

app = typer.Typer(help="Users, roles and API tokens (an operator command: runs with the database's owner rights).",
                  no_args_is_help=True)
OPERATOR = Actor("cli-operator", None, "cli")


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
    """Disable a user and revoke their tokens."""
    with CliContext().database.unit_of_work() as session:
        disable_user(session, OPERATOR, username)
    typer.echo(f"disabled user {username}")


@app.command("token")
def token(username: str, name: str = "cli") -> None:
    """Issue an API token for a user (printed once; only its hash is stored)."""
    with CliContext().database.unit_of_work() as session:
        typer.echo(issue_token(session, OPERATOR, username, name))
