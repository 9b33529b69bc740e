"""Merkle tree math against RFC 6962's standard test leaves and exhaustive proof checks."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anzu.risk import merkle

# The eight standard test leaves of RFC 6962 implementations (certificate-transparency-go).
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]


def _independent_root(data: list[bytes]) -> bytes:
    """A direct transcription of RFC 9162 §2.1.1's recursive definition, for cross-checking."""
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < len(data):
        k *= 2
    return hashlib.sha256(
        b"\x01" + _independent_root(data[:k]) + _independent_root(data[k:])
    ).digest()


# Roots of the first n standard leaves, as published with the reference implementation.
GOLDEN = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}


@pytest.mark.parametrize("n", range(1, 9))
def test_golden_roots(n):
    leaves = [merkle.leaf_hash(d) for d in LEAVES[:n]]
    assert merkle.root(leaves).hex() == GOLDEN[n]
    assert _independent_root(LEAVES[:n]).hex() == GOLDEN[n]


def test_empty_tree():
    assert (
        merkle.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"leaf-{i}".encode()) for i in range(n)]


def test_all_inclusion_and_consistency_proofs_up_to_128():
    leaves = _leaves(128)
    roots = [merkle.root(leaves[:n]) for n in range(129)]
    for n in range(1, 129):
        assert roots[n] == _independent_root([f"leaf-{i}".encode() for i in range(n)])
        for m in range(n):
            proof = merkle.inclusion_proof(leaves, m, n)
            assert merkle.verify_inclusion(leaves[m], m, n, proof, roots[n])
            assert not merkle.verify_inclusion(
                leaves[m], m, n, proof, roots[n - 1] if n > 1 else b"x"
            )
            if proof:
                bad = [*proof]
                bad[0] = hashlib.sha256(bad[0]).digest()
                assert not merkle.verify_inclusion(leaves[m], m, n, bad, roots[n])
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(leaves, m, n)
            assert merkle.verify_consistency(m, n, roots[m], roots[n], proof)
            if m < n:
                assert not merkle.verify_consistency(m, n, roots[m], roots[n - 1], proof)
                if proof:
                    bad = [*proof]
                    bad[-1] = hashlib.sha256(bad[-1]).digest()
                    assert not merkle.verify_consistency(m, n, roots[m], roots[n], bad)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=16), min_size=1, max_size=70))
def test_compact_range_matches_recursive_definition(data):
    compact = merkle.CompactRange()
    for i, d in enumerate(data):
        compact.append(merkle.leaf_hash(d))
        assert compact.root() == _independent_root(data[: i + 1])
    restored = merkle.CompactRange(compact.size, compact.hashes)
    assert restored.root() == compact.root()


def test_out_of_range_proofs_are_refused():
    leaves = _leaves(5)
    with pytest.raises(ValueError):
        merkle.inclusion_proof(leaves, 5, 5)
    with pytest.raises(ValueError):
        merkle.consistency_proof(leaves, 0, 5)
    with pytest.raises(ValueError):
        merkle.consistency_proof(leaves, 3, 6)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.binary(max_size=8), min_size=0, max_size=300),
    st.lists(st.integers(min_value=0, max_value=300), max_size=6),
)
def test_extend_and_prefix_roots_match_appending_one_by_one(data, cuts):
    leaves = [merkle.leaf_hash(d) for d in data]
    sizes = sorted({min(c, len(leaves)) for c in cuts} | {len(leaves)})
    one_by_one = merkle.CompactRange()
    expected = {0: merkle.EMPTY_ROOT}
    for i, leaf in enumerate(leaves):
        one_by_one.append(leaf)
        expected[i + 1] = one_by_one.root()
    assert merkle.prefix_roots(leaves, sizes) == {n: expected[n] for n in sizes}
    # Extending in uneven runs keeps the same compact range as appending one leaf at a time.
    compact = merkle.CompactRange()
    start = 0
    for end in sizes:
        compact.extend(leaves[start:end])
        start = end
    assert (compact.size, compact.hashes) == (one_by_one.size, one_by_one.hashes)
    assert merkle.root(leaves) == expected[len(leaves)]
    with pytest.raises(ValueError):
        merkle.prefix_roots(leaves, [len(leaves) + 1])
