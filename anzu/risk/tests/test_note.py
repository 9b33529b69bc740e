from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anzu.risk import note


def test_checkpoint_round_trip_and_format():
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    body = note.checkpoint_body("anzu.example/audit", 42, bytes(32))
    assert body == "anzu.example/audit\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    signed = note.sign_note(body, name="anzu.example/audit", private_key=key)
    sig_line = signed.split("\n\n", 1)[1]
    assert sig_line.startswith("\u2014 anzu.example/audit ")
    assert sig_line.endswith("\n")
    blob = base64.b64decode(sig_line.rsplit(" ", 1)[1])
    assert len(blob) == 4 + 64
    vkey = note.verifier_key("anzu.example/audit", key.public_key())
    name, hash_hex, key_b64 = vkey.split("+", 2)
    assert name == "anzu.example/audit"
    assert bytes.fromhex(hash_hex) == blob[:4]
    assert base64.b64decode(key_b64)[0] == 1
    cp = note.open_checkpoint(signed, note.parse_verifier_key(vkey))
    assert (cp.origin, cp.size, cp.root) == ("anzu.example/audit", 42, bytes(32))


def test_tampered_checkpoint_is_refused():
    key = Ed25519PrivateKey.generate()
    signed = note.sign_note(note.checkpoint_body("o", 5, bytes(32)), name="o", private_key=key)
    verifier = note.parse_verifier_key(note.verifier_key("o", key.public_key()))
    with pytest.raises(note.NoteError, match="does not verify"):
        note.open_checkpoint(signed.replace("\n5\n", "\n6\n"), verifier)
    other = note.parse_verifier_key(
        note.verifier_key("o", Ed25519PrivateKey.generate().public_key())
    )
    with pytest.raises(note.NoteError, match="no signature"):
        note.open_checkpoint(signed, other)


@pytest.mark.parametrize(
    "vkey",
    ["a+b", "o+zzzzzzzz+AAAA", "o+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode()],
)
def test_bad_verifier_keys(vkey):
    with pytest.raises(note.NoteError):
        note.parse_verifier_key(vkey)
