"""The key ring: no secret has a usable default; keys are generated per install, kept private, rotatable."""

from __future__ import annotations

import itertools
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recoup.config import Settings
from recoup.keys.ring import MIN_KEY_BYTES, PURPOSES
from recoup.keys.store import KeyFileUnreadable, rotate, weak_keys
from recoup.transactions.cards import card_token, mask_pan

PAN = "6217991234691778"  # masked: 621799******1778
OLD_PUBLIC_CARD_KEY = b"recoup-development-secret-change-me-cards"  # the constant Recoup shipped before
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _fresh(var_dir: Path) -> Settings:
    return Settings(var_dir=var_dir)


def test_the_generated_key_file_is_private(tmp_path: Path) -> None:
    _fresh(tmp_path / "var").keyring()
    folder = tmp_path / "var" / "keys"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "keyring.json").stat().st_mode) == 0o600


def test_every_purpose_gets_a_random_key_long_enough(tmp_path: Path) -> None:
    ring = _fresh(tmp_path / "var").keyring()
    assert weak_keys(ring) == []
    secrets = {ring.current(purpose).secret for purpose in PURPOSES}
    assert len(secrets) == len(PURPOSES)
    assert all(len(secret) >= MIN_KEY_BYTES for secret in secrets)


def _brute_force(masked: str, token: str, key: bytes) -> str | None:
    """What an attacker does with a masked card, its token and a key they know: try every Luhn-valid middle."""
    head, tail = masked[:6], masked[-4:]

    def weight(digit: int, from_right: int) -> int:
        return sum(divmod(2 * digit, 10)) if from_right % 2 else digit

    fixed = sum(weight(int(d), i) for i, d in enumerate(reversed(head + "0" * 6 + tail)))
    places = [[weight(digit, from_right) for digit in range(10)] for from_right in range(9, 3, -1)]
    for middle in itertools.product(range(10), repeat=6):
        if (fixed + sum(place[digit] for place, digit in zip(places, middle, strict=True))) % 10 == 0:
            candidate = head + "".join(map(str, middle)) + tail
            if card_token(candidate, key) == token:
                return candidate
    return None


def test_a_masked_card_can_no_longer_be_brute_forced_with_a_constant(tmp_path: Path) -> None:
    masked = mask_pan(PAN)
    assert masked == "621799******1778"
    assert _brute_force(masked, card_token(PAN, OLD_PUBLIC_CARD_KEY), OLD_PUBLIC_CARD_KEY) == PAN  # the attack
    first = card_token(PAN, _fresh(tmp_path / "one").card_key_bytes)
    second = card_token(PAN, _fresh(tmp_path / "two").card_key_bytes)
    assert first != second  # random per install: no key anyone else knows
    assert _brute_force(masked, first, OLD_PUBLIC_CARD_KEY) is None


def test_the_same_install_keeps_its_keys_across_starts(tmp_path: Path) -> None:
    first = _fresh(tmp_path / "var").keyring()
    again = _fresh(tmp_path / "var").keyring()
    assert [first.current(p) for p in PURPOSES] == [again.current(p) for p in PURPOSES]


def test_two_processes_starting_at_once_get_the_same_keys(tmp_path: Path) -> None:
    script = ("import hashlib, sys; from recoup.config import Settings; "
              "ring = Settings(var_dir=sys.argv[1]).keyring(); "
              "print([hashlib.sha256(ring.current(p).secret).hexdigest() for p in sys.argv[2:]])")
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECOUP_")}
    command = [sys.executable, "-c", script, str(tmp_path / "var"), *PURPOSES]
    starting = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) for _ in range(4)]
    seen = {process.communicate(timeout=60)[0] for process in starting}
    assert len(seen) == 1
    assert all(process.returncode == 0 for process in starting)
    assert len(json.loads((tmp_path / "var" / "keys" / "keyring.json").read_text())["keys"]) == len(PURPOSES)


def test_keys_from_the_environment_win_and_the_file_keys_still_read(tmp_path: Path) -> None:
    file_ring = _fresh(tmp_path / "var").keyring()
    given = "x" * 40
    ring = Settings(var_dir=tmp_path / "var", data_key=given, card_token_key="c" * 40).keyring()
    assert ring.current("data").secret == given.encode()
    assert ring.current("data").source == "env"
    assert ring.current("card").secret == b"c" * 40
    assert ring.current("session") == file_ring.current("session")
    old = file_ring.current("data")
    assert ring.get("data", old.id).secret == old.secret  # what was sealed under the file key still opens


def test_a_short_key_from_the_environment_is_found_weak(tmp_path: Path) -> None:
    assert weak_keys(Settings(var_dir=tmp_path / "var", secret_key="short").keyring()) == ["session"]


def test_serve_refuses_to_start_with_a_short_key(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECOUP_")}
    env.update(RECOUP_SECRET_KEY="short", RECOUP_VAR_DIR=str(tmp_path / "var"),
               RECOUP_DATABASE_URL=f"sqlite:///{tmp_path / 'recoup.db'}", RECOUP_PORT="9")
    ran = subprocess.run([sys.executable, "-m", "recoup", "serve"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert ran.returncode == 1
    assert ran.stderr.strip().splitlines() == [
        "error: refusing to start: RECOUP_SECRET_KEY is shorter than 32 bytes; give at least 32 random bytes, "
        "or unset it to use the generated key file"]
    assert "Traceback" not in ran.stderr
    assert not (tmp_path / "recoup.db").exists()  # refused before touching anything


def test_a_rotation_in_another_process_is_seen_without_a_restart(tmp_path: Path) -> None:
    settings = _fresh(tmp_path / "var")
    before = settings.keyring().current("data")
    rotated = rotate(Settings(var_dir=tmp_path / "var"), "data", now=NOW)
    after = settings.keyring()
    assert after.current("data") == rotated
    assert rotated.id.startswith("d20260301T093000-")
    assert after.get("data", before.id) == before
    assert after.current("card") == settings.keyring().current("card")


def test_a_damaged_key_file_is_refused_and_never_overwritten(tmp_path: Path) -> None:
    settings = _fresh(tmp_path / "var")
    settings.keyring()
    path = tmp_path / "var" / "keys" / "keyring.json"
    path.write_text('{"keys": {', encoding="utf-8")
    with pytest.raises(KeyFileUnreadable, match="restore it from a backup"):
        _fresh(tmp_path / "var").keyring()
    assert path.read_text(encoding="utf-8") == '{"keys": {'
