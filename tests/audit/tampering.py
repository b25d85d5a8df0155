"""What an attacker with write access to the database (and not the audit key) does to the trail: plain
SQL on the tables, as they would, with the chain recomputed where they can (SHA-256, or their own key)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from recoup.audit.chain import GENESIS
from recoup.audit.models import AuditEntry
from recoup.audit.service import _fields
from recoup.db import Database

THIEF_SECRET = b"t" * 32


def _rows(conn: Connection) -> list[AuditEntry]:
    """The entries as ORM objects (not attached to any session), to recompute their fields."""
    result = conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.seq)).mappings().all()
    entries = []
    for row in result:
        at = row["at"]
        entries.append(AuditEntry(**{**row, "at": at if isinstance(at, datetime) else datetime.fromisoformat(at)}))
    return entries


def _link(prev: str, entry: AuditEntry, secret: bytes | None) -> str:
    canonical = json.dumps(_fields(entry), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    message = (prev + canonical).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest() if secret else hashlib.sha256(message).hexdigest()


def rechain(conn: Connection, *, secret: bytes | None, key_id: str | None = None, edit_seq: int = 2) -> None:
    """Edit entry `edit_seq` and rebuild every link from entry 1: plain SHA-256 (secret None, key id "")
    or an HMAC under the attacker's own secret (keeping the real key id unless `key_id` is given)."""
    prev = GENESIS
    for entry in _rows(conn):
        if entry.seq == edit_seq:
            entry.note = "nothing happened here"
        entry.key_id = "" if secret is None else (key_id or entry.key_id)
        digest = _link(prev, entry, secret)
        conn.execute(text("UPDATE audit_entries SET note = :note, key_id = :key_id, prev_hash = :prev, hash = :hash "
                          "WHERE seq = :seq"), {"note": entry.note, "key_id": entry.key_id, "prev": prev,
                                                "hash": digest, "seq": entry.seq})
        prev = digest


def truncate(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_entries WHERE seq > 4"))


def delete_inside(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_entries WHERE seq = 3"))


def edit(conn: Connection) -> None:
    conn.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 4"))


def delete_all(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_entries"))


ATTACKS: dict[str, Callable[[Connection], None]] = {
    "truncate the tail": truncate,
    "delete inside": delete_inside,
    "edit one entry": edit,
    "rebuild with plain SHA-256": lambda conn: rechain(conn, secret=None),
    "rebuild under a wrong key, same key id": lambda conn: rechain(conn, secret=THIEF_SECRET),
    "rebuild under the attacker's own key id": lambda conn: rechain(conn, secret=THIEF_SECRET, key_id="a-thief"),
    "delete everything": delete_all,
}


def fix_head(conn: Connection) -> None:
    """The head row made to name the (new) last entry, as an attacker covering their tracks would."""
    last = conn.execute(text("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")).first()
    seq, digest = (last[0], last[1]) if last else (0, GENESIS)
    conn.execute(text("UPDATE audit_head SET last_seq = :seq, last_hash = :hash WHERE id = 1"),
                 {"seq": seq, "hash": digest})


def drop_head(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_head"))


HEADS: dict[str, Callable[[Connection], None]] = {
    "head row untouched": lambda _conn: None,
    "head row updated": fix_head,
    "head row deleted": drop_head,
}


def attack(database: Database, how: str, head: str) -> None:
    with database.engine.begin() as conn:
        ATTACKS[how](conn)
        HEADS[head](conn)
