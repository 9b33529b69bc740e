"""RFC 9162 §2.1 Merkle tree hashing, inclusion and consistency proofs, and compact ranges.

Pure functions over leaf hashes; no database. ``leaves`` are leaf hashes (SHA-256(0x00 ‖ data)).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes, computed level by level.

    Pairing the nodes of each level left to right and carrying an unpaired last node up
    unchanged gives exactly RFC 9162's MTH: the left subtree of every split is perfect.
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    sha256 = hashlib.sha256
    while len(level) > 1:
        odd = level[-1] if len(level) & 1 else None
        nodes = [
            sha256(b"\x01" + a + b).digest() for a, b in zip(level[::2], level[1::2], strict=False)
        ]
        if odd is not None:
            nodes.append(odd)
        level = nodes
    return level[0]


def prefix_roots(leaves: Sequence[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """MTH of the first ``size`` leaves for each of ``sizes`` (each ≤ ``len(leaves)``), in one
    pass over the leaves: O(n + k log n) hashes for k sizes instead of O(n·k)."""
    roots: dict[int, bytes] = {}
    compact = CompactRange()
    for size in sorted(set(sizes)):
        if not 0 <= size <= len(leaves):
            raise ValueError(f"no prefix of size {size} in {len(leaves)} leaves")
        compact.extend(leaves[compact.size : size])
        roots[size] = compact.root()
    return roots


def _subtree_root(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    n = end - start
    if n == 1:
        return leaves[start]
    k = _split(n)
    return node_hash(_subtree_root(leaves, start, start + k), _subtree_root(leaves, start + k, end))


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1 for leaf ``index`` in the tree of the first ``size``."""
    if not 0 <= index < size <= len(leaves):
        raise ValueError(f"index {index} is not in a tree of size {size}")
    return _path(leaves, index, 0, size)


def _path(leaves: Sequence[bytes], m: int, start: int, end: int) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(leaves, m, start, start + k), _subtree_root(leaves, start + k, end)]
    return [*_path(leaves, m - k, start + k, end), _subtree_root(leaves, start, start + k)]


def consistency_proof(leaves: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1."""
    if not 0 < old_size <= new_size <= len(leaves):
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size == new_size:
        return []
    return _subproof(leaves, old_size, 0, new_size, True)


def _subproof(leaves: Sequence[bytes], m: int, start: int, end: int, whole: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [_subtree_root(leaves, start, end)]
    k = _split(n)
    if m <= k:
        return [
            *_subproof(leaves, m, start, start + k, whole),
            _subtree_root(leaves, start + k, end),
        ]
    return [
        *_subproof(leaves, m - k, start + k, end, False),
        _subtree_root(leaves, start, start + k),
    ]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2."""
    if old_size > new_size or old_size == 0:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path = [old_root, *path]
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


class CompactRange:
    """The roots of the perfect subtrees that make up a tree of ``size`` leaves (left to right).

    Appending costs O(log n); the root is folded from the right, which gives RFC 9162's MTH.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError("a compact range holds one hash per set bit of the size")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> None:
        self._push(leaf, 1)

    def _push(self, subtree: bytes, width: int) -> None:
        """Add the root of a perfect subtree of ``width`` leaves starting at ``size`` (aligned)."""
        self.hashes.append(subtree)
        self.size += width
        # Merge the rightmost perfect subtrees while they have equal height.
        merges = (self.size & -self.size).bit_length() - width.bit_length()
        for _ in range(merges):
            right = self.hashes.pop()
            left = self.hashes.pop()
            self.hashes.append(node_hash(left, right))

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append many leaf hashes: the run is cut into the largest perfect subtrees aligned at
        the current size, each hashed level by level (same result as appending one by one)."""
        position, count = 0, len(leaves)
        while position < count:
            width = 1 << ((count - position).bit_length() - 1)
            if self.size:
                width = min(width, self.size & -self.size)
            self._push(root(leaves[position : position + width]), width)
            position += width

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        acc = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            acc = node_hash(h, acc)
        return acc
