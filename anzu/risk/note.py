"""C2SP signed notes and tlog checkpoints with Ed25519.

Checkpoint body: ``<origin>\\n<size>\\n<base64 root>\\n``; a signed note adds a blank line and one
line per signature: ``— <key name> <base64(4-byte key hash ‖ signature)>\\n``. The key hash is the
first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key); the verifier key is published as
``<name>+<8 hex key hash>+<base64(0x01 ‖ public key)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = b"\x01"
EM_DASH = "\u2014"


class NoteError(ValueError):
    """A malformed or unverifiable note, checkpoint or verifier key."""


def key_hash(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ALG_ED25519 + public_key).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    raw = _raw_public(public_key)
    return f"{name}+{key_hash(name, raw).hex()}+{base64.b64encode(ALG_ED25519 + raw).decode()}"


@dataclass(frozen=True)
class Verifier:
    name: str
    hash: bytes
    public_key: Ed25519PublicKey


def parse_verifier_key(vkey: str) -> Verifier:
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("verifier key: expected <name>+<hash>+<key>")
    name, hash_hex, key_b64 = parts
    try:
        expected_hash = bytes.fromhex(hash_hex)
        blob = base64.b64decode(key_b64, validate=True)
    except (ValueError, binascii.Error):
        raise NoteError("verifier key: bad hex or base64") from None
    if len(expected_hash) != 4 or len(blob) != 33 or blob[:1] != ALG_ED25519:
        raise NoteError("verifier key: not an Ed25519 key")
    if key_hash(name, blob[1:]) != expected_hash:
        raise NoteError("verifier key: key hash does not match")
    return Verifier(name, expected_hash, Ed25519PublicKey.from_public_bytes(blob[1:]))


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    if "\n" in origin or not origin:
        raise NoteError("origin must be one non-empty line")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign_note(body: str, *, name: str, private_key: Ed25519PrivateKey) -> str:
    if not body.endswith("\n"):
        raise NoteError("note text must end with a newline")
    raw = _raw_public(private_key.public_key())
    signature = private_key.sign(body.encode("utf-8"))
    blob = base64.b64encode(key_hash(name, raw) + signature).decode()
    return f"{body}\n{EM_DASH} {name} {blob}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    body: str


def open_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    """Verify the note's signature by ``verifier`` and parse the checkpoint body."""
    body, sep, signatures = note.partition("\n\n")
    if not sep:
        raise NoteError("note: missing blank line before signatures")
    body += "\n"
    verified = False
    for line in signatures.splitlines():
        if not line.startswith(EM_DASH + " "):
            raise NoteError("note: malformed signature line")
        try:
            name, blob_b64 = line[2:].rsplit(" ", 1)
            blob = base64.b64decode(blob_b64, validate=True)
        except (ValueError, binascii.Error):
            raise NoteError("note: malformed signature line") from None
        if name != verifier.name or blob[:4] != verifier.hash:
            continue
        try:
            verifier.public_key.verify(blob[4:], body.encode("utf-8"))
        except InvalidSignature:
            raise NoteError("note: signature does not verify") from None
        verified = True
    if not verified:
        raise NoteError("note: no signature by the given key")
    lines = body.split("\n")
    if len(lines) < 4:
        raise NoteError("checkpoint: expected origin, size and root lines")
    origin, size_text, root_b64 = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError("checkpoint: size is not a decimal number")
    try:
        root = base64.b64decode(root_b64, validate=True)
    except binascii.Error:
        raise NoteError("checkpoint: root is not base64") from None
    if len(root) != 32:
        raise NoteError("checkpoint: root is not 32 bytes")
    return Checkpoint(origin=origin, size=int(size_text), root=root, body=body)
