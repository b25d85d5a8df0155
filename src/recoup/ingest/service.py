"""Use cases of import profiles: list, read, save a tenant's profiles; import a file through one.

The caller owns the transaction (services flush). Listing needs READ; saving a profile and importing
need IMPORT. Every saved profile leaves an audit entry. Shipped profiles cannot be replaced: a tenant's
profile needs a name of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from recoup.audit.service import record
from recoup.auth.principal import Principal
from recoup.auth.roles import Permission
from recoup.config import Settings
from recoup.db import utcnow
from recoup.errors import InvalidInput, NotFound
from recoup.ingest.detect import detect
from recoup.ingest.models import StatementProfile
from recoup.ingest.profile import Profile, parse_profile
from recoup.ingest.reject_copy import write_original_rejects
from recoup.ingest.shipped import shipped_profiles
from recoup.ingest.translate import Translation, TranslationRejected, translate
from recoup.scratch import scratch_folder
from recoup.transactions.importer import ImportOptions, ImportRejected, ImportReport, import_file
from recoup.transactions.models import ImportBatch
from recoup.transactions.rejects import Reject

MAX_PROFILE_CHARS = 20_000


def tenant_profiles(session: Session, principal: Principal) -> dict[str, Profile]:
    rows = session.execute(select(StatementProfile).where(StatementProfile.tenant_id == principal.tenant_id)
                           .order_by(StatementProfile.name)).scalars()
    return {row.name: parse_profile(row.body, row.name) for row in rows}


def all_profiles(session: Session, principal: Principal) -> dict[str, Profile]:
    """Shipped profiles and the tenant's own, by name."""
    principal.require(Permission.READ)
    return {**shipped_profiles(), **tenant_profiles(session, principal)}


def get_profile(session: Session, principal: Principal, name: str) -> Profile:
    found = all_profiles(session, principal).get(name)
    if found is None:
        raise NotFound(f"no profile named {name!r} (recoup profile list shows them)")
    return found


def save_profile(session: Session, principal: Principal, text: str, origin: str = "profile") -> Profile:
    """Parse and store `text` for the principal's tenant (a new profile, or a new version of one's own)."""
    principal.require(Permission.IMPORT)
    if len(text) > MAX_PROFILE_CHARS:
        raise InvalidInput(f"{origin}: a profile of at most {MAX_PROFILE_CHARS} characters")
    profile = parse_profile(text, origin)
    if profile.name in shipped_profiles():
        raise InvalidInput(f"{origin}: {profile.name} is the name of a shipped profile; choose another name")
    row = session.execute(select(StatementProfile).where(StatementProfile.tenant_id == principal.tenant_id,
                                                         StatementProfile.name == profile.name)).scalar_one_or_none()
    before: dict[str, object] | None = {"kind": row.kind, "body": row.body} if row else None
    if row is None:
        row = StatementProfile(tenant_id=principal.tenant_id, name=profile.name, created_by=principal.username)
        session.add(row)
    row.kind, row.title, row.body, row.updated_at = profile.kind, profile.title[:200], text, utcnow()
    session.flush()
    record(session, principal.actor(), "ingest.profile_saved", "statement_profile", str(row.id), before=before,
           after={"name": profile.name, "kind": profile.kind, "body": text})
    return profile


@dataclass(frozen=True)
class Choice:
    profile: Profile | None  # None: the native layout
    note: str


def choose_profile(session: Session, principal: Principal, path: Path, kind: str, name: str | None,
                   file_name: str | None = None) -> Choice:
    """The profile named, or the one detected for the file (None for a native file)."""
    if name:
        profile = get_profile(session, principal, name)
        if profile.kind != kind:
            raise InvalidInput(f"profile {profile.name} reads {profile.kind} files, not {kind}")
        return Choice(profile, f"{file_name or path.name}: read with profile {profile.name}")
    if kind not in ("orders", "journal", "settlement"):
        return Choice(None, "")
    detection = detect(path, kind, all_profiles(session, principal).values(), file_name=file_name)
    return Choice(detection.profile, detection.note)


def import_with_profile(session: Session, principal: Principal, kind: str, path: Path, settings: Settings,
                        options: ImportOptions, profile: Profile) -> tuple[ImportReport, Translation]:
    """Import `path` read through `profile`; rejects name lines and columns of the original file.

    With `skip_bad_rows`, the lines the profile cannot read and the lines the importer refuses are both
    left out and reported by original line and column; the reject file copies them from the original file.
    """
    principal.require(Permission.IMPORT)
    name = options.file_name or path.name
    with scratch_folder("profile") as scratch:
        native = Path(scratch) / f"{kind}.csv"
        translation = translate(path, profile, native, file_name=name, skip_bad=options.skip_bad_rows)
        if translation.rows == 0:  # every detail line was bad
            raise TranslationRejected(name, profile.name, translation.rejects, translation.rejected_lines)
        native_options = ImportOptions(options.skip_bad_rows, None, options.tenant_code, options.year, name)
        try:
            report = import_file(session, principal, kind, native, settings, native_options)
        except ImportRejected as rejected:
            raise ImportRejected(name, [translation.remap(r) for r in rejected.rejects],
                                 rejected.rejected_rows) from None
        except InvalidInput as error:
            raise _reworded(error, translation, name) from None
    report.rejects = sorted(translation.rejects + [translation.remap(reject) for reject in report.rejects])
    if translation.rejected_lines:
        report.rejected_rows += translation.rejected_lines
        batch = session.get(ImportBatch, report.batch_id) if report.batch_id else None
        if batch is not None:  # the batch counts the lines the profile could not read too
            batch.rejected = report.rejected_rows
            session.flush()
    if options.skip_bad_rows and report.rejected_rows and options.reject_path is not None:
        write_original_rejects(path, profile, report.rejects, options.reject_path)
        report.reject_file = str(options.reject_path)
    report.warnings.insert(0, f"{name}: read with profile {profile.name} ({translation.rows} detail line(s))")
    return report, translation


def _reworded(error: InvalidInput, translation: Translation, name: str) -> InvalidInput:
    detail = error.detail
    if isinstance(detail, list):
        detail = [translation.remap(item) if isinstance(item, Reject) else item for item in detail]
        shown = "\n".join(f"  {item}" for item in detail[:10])
        return InvalidInput(f"{name}: bad value(s) read through profile {translation.profile.name}; "
                            f"nothing imported:\n{shown}", detail=detail)
    return InvalidInput(error.message.replace(f"{translation.profile.kind}.csv", name), detail=detail)
