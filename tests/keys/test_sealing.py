"""Sealing under the key ring's data keys: what was sealed before a rotation still opens; nothing moves."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.keys.ring import Key, KeyRing, text_key
from recoup.keys.sealing import SealedUnreadable, Sealer


def _ring(*secrets: bytes) -> KeyRing:
    """Data keys d0, d1, ... the last one current (a ring after len-1 rotations)."""
    keys = [Key("data", f"d{index}", secret) for index, secret in enumerate(secrets)]
    return KeyRing(keys, {"data": keys[-1].id})


def _sealed_v1(text_key_value: str, contact: str, context: str) -> str:
    """A value as Recoup sealed it before key ids: AES-GCM under SHA-256 of RECOUP_DATA_KEY's text."""
    nonce = os.urandom(12)
    sealed = AESGCM(hashlib.sha256(text_key_value.encode()).digest()).encrypt(nonce, contact.encode(), context.encode())
    return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()


def test_a_sealed_value_names_its_key_and_hides_the_text() -> None:
    sealed = Sealer(_ring(os.urandom(32))).seal("13800138000", "NO1")
    assert sealed is not None
    assert sealed.startswith("v2.d0.")
    assert "13800138000" not in sealed
    assert Sealer(_ring(os.urandom(32))).seal("", "NO1") is None


def test_after_a_rotation_old_values_open_and_new_ones_use_the_new_key() -> None:
    first, second = os.urandom(32), os.urandom(32)
    old = Sealer(_ring(first)).seal("alice@example.com", "NO1")
    rotated = Sealer(_ring(first, second))
    assert rotated.open(old, "NO1") == "alice@example.com"
    new = rotated.seal("bob@example.com", "NO2")
    assert new is not None
    assert new.startswith("v2.d1.")
    assert rotated.is_current(new)
    assert old is not None
    assert not rotated.is_current(old)


def test_a_value_moved_to_another_row_or_altered_does_not_open() -> None:
    sealer = Sealer(_ring(os.urandom(32)))
    sealed = sealer.seal("13800138000", "NO1")
    assert sealed is not None
    with pytest.raises(SealedUnreadable, match="moved to another row"):
        sealer.open(sealed, "NO2")
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(SealedUnreadable):
        sealer.open(flipped, "NO1")


def test_a_value_under_a_lost_key_says_which_key() -> None:
    sealed = Sealer(_ring(os.urandom(32))).seal("13800138000", "NO1")
    with pytest.raises(SealedUnreadable, match="data key 'd0', which is not in the key ring"):
        Sealer(KeyRing([Key("data", "other", os.urandom(32))], {"data": "other"})).open(sealed, "NO1")


@pytest.mark.parametrize("garbage", ["v2.d0.!!!", "v2.d0.", "v1.AAAA", "v3.x.y", "plain text"])
def test_garbage_is_a_clear_error_not_a_crash(garbage: str) -> None:
    with pytest.raises(SealedUnreadable):
        Sealer(_ring(os.urandom(32))).open(garbage, "NO1")


def test_v1_values_open_under_the_text_key_they_were_sealed_with() -> None:
    legacy = _sealed_v1("an-operator-data-key-of-old", "13800138000", "NO1")
    env_ring = KeyRing([Key("data", "d0", os.urandom(32)), text_key("data", "an-operator-data-key-of-old")],
                       {"data": "d0"})
    assert Sealer(env_ring).open(legacy, "NO1") == "13800138000"
    with pytest.raises(SealedUnreadable, match="v1"):
        Sealer(_ring(os.urandom(32))).open(legacy, "NO1")
    extra = [text_key("data", "an-operator-data-key-of-old")]
    assert Sealer(_ring(os.urandom(32)), extra).open(legacy, "NO1") == "13800138000"


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=6), context=st.text(max_size=20))
def test_every_value_opens_after_any_number_of_rotations(texts: list[str], context: str) -> None:
    secrets: list[bytes] = []
    sealed = []
    for text in texts:  # one rotation before each value
        secrets.append(os.urandom(32))
        sealed.append(Sealer(_ring(*secrets)).seal(text, context))
    latest = Sealer(_ring(*secrets))
    assert [latest.open(value, context) for value in sealed] == texts
    assert [value is not None and latest.is_current(value) for value in sealed][-1]
