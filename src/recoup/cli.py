"""The `recoup` command: one Typer app with a subcommand per domain; errors become one clear line."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer._click.exceptions import ClickException  # Typer ships its own Click

from recoup.audit.cli import app as audit_app
from recoup.auth.cli import app as user_app
from recoup.cases.cli import app as case_app
from recoup.cases.worker import register as register_worker
from recoup.complaints.cli import register as register_complaints
from recoup.context import CliContext
from recoup.disputes.cli import register as register_disputes
from recoup.errors import RecoupError
from recoup.evidence.cli import register as register_evidence
from recoup.ingest.cli import register as register_ingest
from recoup.keys.cli import app as keys_app
from recoup.ledger.cli import app as ledger_app
from recoup.logs import guard_loggers
from recoup.merchants.cli import app as terminal_app
from recoup.messaging.cli import register as register_messaging
from recoup.reconciliation.cli import register as register_reconcile
from recoup.reports.cli import register as register_report
from recoup.transactions.cli import register as register_transactions
from recoup.webhooks.cli import app as webhook_app

app = typer.Typer(name="recoup", help="Recoup: find card payments taken wrongly and bring the money back.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(terminal_app, name="terminal")
app.add_typer(case_app, name="case")
app.add_typer(ledger_app, name="ledger")
app.add_typer(webhook_app, name="webhook")
app.add_typer(keys_app, name="keys")
register_worker(app)
register_transactions(app)
register_evidence(app)
register_messaging(app)
register_complaints(app)
register_ingest(app)
register_disputes(app)

db_app = typer.Typer(help="The database: apply migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied."""
    from recoup.migrations.runner import upgrade

    ctx = CliContext()
    upgrade(ctx.database.engine)
    typer.echo(f"database at the latest revision: {ctx.settings.resolved_database_url.split('@')[-1]}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="web processes (PostgreSQL; SQLite serves with one)")] = 1,
    access_log: Annotated[bool, typer.Option(help="log every request (off when the proxy in front logs them)")] = True,
) -> None:
    """Start the web application and the REST API (migrating the database first, once)."""
    import uvicorn

    from recoup.keys.store import ENV_VARIABLES, weak_keys
    from recoup.migrations.runner import upgrade

    ctx = CliContext()
    weak = weak_keys(ctx.settings.keyring())
    if weak:  # a short key is guessable: refuse before anything listens
        names = " and ".join(ENV_VARIABLES[purpose] for purpose in weak)
        raise RecoupError(f"refusing to start: {names} {'is' if len(weak) == 1 else 'are'} shorter than 32 "
                          "bytes; give at least 32 random bytes, or unset it to use the generated key file")
    if workers > 1 and ctx.database.is_sqlite:
        raise RecoupError("--workers needs PostgreSQL (RECOUP_DATABASE_URL): SQLite takes one writer at a time")
    upgrade(ctx.database.engine)  # under an advisory lock on PostgreSQL: many processes starting migrate once
    bind = {"host": host or ctx.settings.host, "port": port or ctx.settings.port, "log_level": "info",
            "access_log": access_log}
    if workers > 1:  # each process builds its app from the environment; `recoup worker` processes run the jobs
        uvicorn.run("recoup.web.asgi:application", factory=True, workers=workers, **bind)  # type: ignore[arg-type]
        return
    from recoup.web.app import create_app

    if ctx.database.is_sqlite:  # the embedded default runs the background worker inside the server
        from recoup.cases.worker import start_in_thread

        start_in_thread(ctx.database)  # webhook secrets open with the settings' key ring, re-read on rotation
    from recoup.web.serving import finish_start_up, serve_blocking_work

    web = create_app(ctx.settings)
    serve_blocking_work(web, ctx.settings.web_request_threads)  # this process only: recoup.web.serving
    config = uvicorn.Config(web, **bind)  # type: ignore[arg-type]
    finish_start_up(web)  # after uvicorn set its loggers up
    uvicorn.Server(config).run()


@app.command()
def demo() -> None:
    """Fill an empty database with a realistic demo data set and print the demo logins."""
    from recoup.demo.loader import load_demo

    ctx = CliContext()
    for line in load_demo(ctx.database, ctx.settings):
        typer.echo(line)


def _later(name: str, issue: str) -> None:
    @app.command(name, context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
                 help=f"{issue} (not available in this version yet)")
    def placeholder() -> None:
        raise RecoupError(f"`recoup {name}` is not available in this version yet ({issue})")


register_reconcile(app)
register_report(app)


def main() -> None:
    """Entry point: run the app and turn every error into one line and a non-zero exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    guard_loggers()
    command = typer.main.get_command(app)
    try:
        code = command.main(args=sys.argv[1:], prog_name="recoup", standalone_mode=False)
        if isinstance(code, int) and code:  # typer.Exit(n) is returned, not raised, outside standalone mode
            sys.exit(code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except ClickException as usage:
        usage.show()
        sys.exit(usage.exit_code)
    except RecoupError as error:
        typer.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    except SQLAlchemyError as error:  # the statement (and its values) stays in the debug log
        logging.getLogger("recoup").debug("database error", exc_info=True)
        typer.echo(f"error: {_database_problem(error)}", err=True)
        sys.exit(1)
    except Exception as error:  # last line of defence: never a traceback for a user
        logging.getLogger("recoup").debug("unexpected", exc_info=True)
        typer.echo(f"error: unexpected failure ({type(error).__name__}: {error})", err=True)
        sys.exit(1)


def _database_problem(error: SQLAlchemyError) -> str:
    """What went wrong with the database, as its operator can act on it: most often a database that an
    older version migrated (a new column missing), which `recoup db upgrade` mends."""
    from recoup.migrations.runner import current_revision, head_revision

    try:
        engine = CliContext().database.engine
        with engine.connect() as connection:
            revision = current_revision(connection)
    except Exception:  # the database does not answer at all
        return f"the database does not answer ({type(error).__name__}); check RECOUP_DATABASE_URL"
    if revision != head_revision():
        return (f"the database is at revision {revision or 'none'} but this version of Recoup needs "
                f"{head_revision()}: run `recoup db upgrade`")
    cause = getattr(error, "orig", None) or error  # the driver's own message, without the statement
    return f"the database refused the request ({type(error).__name__}: {str(cause).splitlines()[0]})"
