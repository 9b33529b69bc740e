"""A small writer of ip2region xdb files (format version 2, vector index), for tests only.

Layout: a 256-byte header, a 256×256 vector index of (first, last) segment pointers per /16,
the region strings, then 14-byte segments (start ip, end ip, region length, region pointer),
each inside one /16.
"""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path

HEADER = 256
VECTOR = 256 * 256 * 8


def build_xdb(path: Path, segments: list[tuple[str, str, str]]) -> Path:
    """``segments``: sorted, non-overlapping ``(first ip, last ip, region)``."""
    data_start = HEADER + VECTOR
    regions: dict[str, int] = {}
    blob = bytearray()
    for _s, _e, region in segments:
        if region not in regions:
            regions[region] = data_start + len(blob)
            blob += region.encode("utf-8")
    split: list[tuple[int, int, str]] = []
    for first, last, region in segments:
        start, end = int(ipaddress.IPv4Address(first)), int(ipaddress.IPv4Address(last))
        while True:
            block_end = start | 0xFFFF
            if end <= block_end:
                split.append((start, end, region))
                break
            split.append((start, block_end, region))
            start = block_end + 1
    index_start = data_start + len(blob)
    vector = bytearray(VECTOR)
    index = bytearray()
    for i, (start, end, region) in enumerate(split):
        ptr = index_start + i * 14
        encoded = region.encode("utf-8")
        index += struct.pack("<IIHI", start, end, len(encoded), regions[region])
        offset = (((start >> 24) & 0xFF) * 256 + ((start >> 16) & 0xFF)) * 8
        cell_first, _cell_last = struct.unpack_from("<II", vector, offset)
        struct.pack_into("<II", vector, offset, cell_first or ptr, ptr)
    header = bytearray(HEADER)
    end_ptr = index_start + (len(split) - 1) * 14 if split else index_start
    struct.pack_into("<HHIII", header, 0, 2, 1, 1_700_000_000, index_start, end_ptr)
    path.write_bytes(bytes(header) + bytes(vector) + bytes(blob) + bytes(index))
    return path
