"""The pure rules of the keyed chain and its checkpoints (recoup.audit.chain): no database."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from recoup.audit.chain import (
    GENESIS,
    ChainLink,
    Checkpoint,
    check_checkpoints,
    entry_hash,
    sign_checkpoint,
    verify_chain,
)

KEY_ID, SECRET = "a-test", b"k" * 32
OTHER_SECRET = b"o" * 32


def secret_for(key_id: str) -> bytes | None:
    return SECRET if key_id == KEY_ID else None


def chain(n: int, *, legacy: int = 0, secret: bytes = SECRET, key_id: str = KEY_ID) -> list[ChainLink]:
    """`n` entries, the first `legacy` of them chained by plain SHA-256 (before migration 0002)."""
    links, prev = [], GENESIS
    for seq in range(1, n + 1):
        keyed = seq > legacy
        fields: dict[str, object] = {"seq": seq, "action": f"a{seq}"} | ({"key_id": key_id} if keyed else {})
        digest = entry_hash(prev, fields, secret if keyed else None)
        links.append(ChainLink(seq, prev, digest, fields, key_id if keyed else ""))
        prev = digest
    return links


def checkpoint_of(link: ChainLink, line: int = 1) -> Checkpoint:
    return sign_checkpoint(Checkpoint(link.seq, link.hash, "2026-03-01T08:00:00+00:00", KEY_ID, line=line), SECRET)


def test_a_keyed_chain_verifies_only_with_its_key() -> None:
    links = chain(5)
    assert verify_chain(links, secret_for) is None
    unknown = verify_chain(links)  # no key at all
    assert unknown is not None
    assert unknown.seq == 1
    assert "not in the key ring" in unknown.reason
    wrong = verify_chain(links, lambda _key_id: OTHER_SECRET)
    assert wrong is not None
    assert "altered" in wrong.reason


def test_plain_sha256_entries_are_accepted_only_before_the_keyed_ones_and_the_first_checkpoint() -> None:
    upgraded = chain(6, legacy=3)
    assert verify_chain(upgraded, secret_for, [checkpoint_of(upgraded[2])]) is None
    rebuilt = chain(6, legacy=6)  # the attacker's rebuild: every link plain SHA-256
    after_checkpoint = verify_chain(rebuilt, secret_for, [checkpoint_of(rebuilt[1])])
    assert after_checkpoint is not None
    assert after_checkpoint.seq == 3
    assert "plain SHA-256" in after_checkpoint.reason
    mixed = [*chain(3), *chain(5, legacy=5)[3:]]
    found = verify_chain(mixed, secret_for)
    assert found is not None
    assert found.seq == 4


def test_a_checkpoint_catches_what_the_links_cannot() -> None:
    links = chain(6)
    mark = checkpoint_of(links[5], line=7)
    cut = verify_chain(links[:4], secret_for, [mark])
    assert cut is not None
    assert cut.seq == 5
    assert "checkpoint line 7" in cut.reason
    assert "entry 6" in cut.reason
    rebuilt = chain(6, secret=OTHER_SECRET, key_id="a-thief")
    replaced = verify_chain(rebuilt, lambda key_id: OTHER_SECRET if key_id == "a-thief" else None, [mark])
    assert replaced is not None
    assert replaced.seq == 6
    assert "does not match checkpoint line 7" in replaced.reason
    assert verify_chain([], secret_for, [mark]) is not None


def test_a_checkpoint_signature_holds_its_fields() -> None:
    mark = checkpoint_of(chain(3)[2])
    assert check_checkpoints([mark], secret_for) is None
    for forged in (replace(mark, seq=2), replace(mark, hash="0" * 64), replace(mark, at="2030-01-01T00:00:00+00:00"),
                   replace(mark, scope="tenant:1")):
        found = check_checkpoints([forged], secret_for)
        assert found is not None
        assert "altered or forged" in found.reason
    unknown = check_checkpoints([replace(mark, key_id="a-thief")], secret_for)
    assert unknown is not None
    assert "not in the key ring" in unknown.reason


TAMPERING = st.sampled_from(["drop", "edit", "swap", "cut", "rekey"])


@settings(max_examples=200, deadline=None)
@given(n=st.integers(2, 12), where=st.integers(0, 11), how=TAMPERING)
def test_any_change_up_to_the_checkpoint_is_caught(n: int, where: int, how: str) -> None:
    links = chain(n)
    index = where % n
    marks = [checkpoint_of(links[-1])]
    tampered = list(links)
    if how == "drop":
        del tampered[index]
    elif how == "edit":
        link = tampered[index]
        tampered[index] = replace(link, fields={**link.fields, "action": "forged"})
    elif how == "swap":
        other = (index + 1) % n
        tampered[index], tampered[other] = tampered[other], tampered[index]
    elif how == "cut":
        tampered = tampered[:index]
    else:  # rebuilt from `index` on under a key the attacker made
        fields_of = [link.fields for link in links]
        tampered, prev = tampered[:index], tampered[index - 1].hash if index else GENESIS
        for fields in fields_of[index:]:
            digest = entry_hash(prev, fields, OTHER_SECRET)
            tampered.append(ChainLink(int(str(fields["seq"])), prev, digest, fields, KEY_ID))
            prev = digest
    assert verify_chain(tampered, secret_for, marks) is not None
