"""`recoup profile list|show NAME|add FILE|test PROFILE SAMPLE`: the import profiles of statement files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from recoup.context import CliContext
from recoup.output import Format, emit

if TYPE_CHECKING:
    from recoup.ingest.profile import Profile

app = typer.Typer(help="Import profiles: how statement files (对账单) map onto the SPEC layouts.",
                  no_args_is_help=True)
UserOpt = Annotated[str | None, typer.Option("--user", help="act as this user (default: $RECOUP_USER)")]


@app.command("list")
def list_command(user: UserOpt = None,
                 fmt: Annotated[Format, typer.Option("--format", help="table, csv or json")] = Format.table) -> None:
    """The shipped profiles and your tenant's own."""
    from recoup.ingest.service import all_profiles, tenant_profiles
    from recoup.ingest.shipped import shipped_profiles

    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        profiles = all_profiles(session, principal)
        own = set(tenant_profiles(session, principal))
    shipped = set(shipped_profiles())
    rows: list[dict[str, object]] = [{"name": p.name, "kind": p.kind, "origin": "tenant" if p.name in own else
             "shipped" if p.name in shipped else "", "title": p.title} for p in profiles.values()]
    emit(rows, fmt, columns=["name", "kind", "origin", "title"], title=f"{len(rows)} profile(s)")


@app.command("show")
def show_command(name: Annotated[str, typer.Argument(help="the profile's name")], user: UserOpt = None) -> None:
    """Print a profile (its TOML text)."""
    from recoup.ingest.service import get_profile

    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        profile = get_profile(session, principal, name)
    typer.echo(profile.source.rstrip("\n"))


@app.command("add")
def add_command(file: Annotated[Path, typer.Argument(help="a profile in TOML (docs/profiles.md)", dir_okay=False)],
                user: UserOpt = None) -> None:
    """Check a profile and save it for your tenant (a profile of the same name is replaced)."""
    from recoup.errors import InvalidInput
    from recoup.ingest.service import save_profile

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        raise InvalidInput(f"{file.name}: cannot be read as UTF-8 text") from None
    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        profile = save_profile(session, principal, text, file.name)
    typer.echo(f"profile {profile.name} ({profile.kind}) saved for your tenant")


@app.command("test")
def try_command(
    profile: Annotated[str, typer.Argument(help="a profile's name, 'auto' to detect, or a TOML file")],
    sample: Annotated[Path, typer.Argument(help="a statement file", dir_okay=False)],
    kind: Annotated[str | None, typer.Option(help="with auto: orders, journal or settlement")] = None,
    rows: Annotated[int, typer.Option(min=1, max=50, help="mapped rows to show")] = 5,
    user: UserOpt = None,
) -> None:
    """Read SAMPLE through PROFILE without importing: the profile used, the first mapped rows, any rejects."""
    from recoup.ingest.translate import TranslationRejected, translate

    chosen, note = _chosen(profile, sample, kind, user)
    typer.echo(note)
    try:
        translation = translate(sample, chosen, None)
    except TranslationRejected as rejected:
        for reject in rejected.rejects[:50]:
            typer.echo(f"  rejected: {reject}")
        raise typer.Exit(1) from None
    typer.echo(f"header on line {translation.header_line}; {translation.rows} detail line(s)"
               + (f"; {translation.summary_lines} summary line(s) agree" if translation.summary_lines else ""))
    typer.echo(f"the first mapped rows ({chosen.kind}, native columns):")
    for index, row in enumerate(translation.preview[:rows]):
        values = " ".join(f"{name}={value}" for name, value in row.items() if value)
        typer.echo(f"  line {translation.line_map[index]}: {values}")


def _chosen(profile: str, sample: Path, kind: str | None, user: str | None) -> tuple[Profile, str]:
    from recoup.errors import InvalidInput
    from recoup.ingest.reconcile_inputs import profile_named
    from recoup.ingest.service import all_profiles, choose_profile

    ctx = CliContext()
    principal = ctx.principal(user)
    with ctx.database.unit_of_work() as session:
        if profile != "auto":
            chosen = profile_named(profile, all_profiles(session, principal))
            return chosen, f"{sample.name}: read with profile {chosen.name}"
        if kind is None:
            raise InvalidInput("with auto, say the file's kind: --kind orders|journal|settlement")
        choice = choose_profile(session, principal, sample, kind.strip().lower(), None)
    if choice.profile is None:
        raise InvalidInput(f"{sample.name}: already in the native {kind} layout; no profile to test")
    return choice.profile, choice.note


def register(root: typer.Typer) -> None:
    """Add this domain's commands to `recoup` (called once by recoup.cli)."""
    root.add_typer(app, name="profile")
