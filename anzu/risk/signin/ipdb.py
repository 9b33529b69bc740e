"""Region of an IP address from an offline database: ip2region ``.xdb`` (format version 2,
read here without a dependency) or MaxMind ``.mmdb`` (through ``maxminddb``).

Nothing is fetched at run time: the operator places the file and sets ``ANZU_IPDB_PATH``.
Without a database every lookup answers ``None`` and the region signals are absent.
"""

from __future__ import annotations

import ipaddress
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

from anzu.risk.signin import regions

XDB_HEADER_LENGTH = 256
XDB_VECTOR_ROWS = 256
XDB_VECTOR_COLS = 256
XDB_VECTOR_SIZE = 8
XDB_SEGMENT_SIZE = 14
XDB_VERSION = 2


class IpDatabaseError(Exception):
    """The configured file is not a readable IP database."""


@dataclass(frozen=True)
class Location:
    region: str
    latitude: float | None = None
    longitude: float | None = None
    country: str = ""
    city: str = ""


class Reader(Protocol):
    def lookup(self, ip: str) -> Location | None: ...


def _clean(value: str) -> str:
    return "" if value in ("", "0") else value


def location_from_ip2region(text: str) -> Location | None:
    """Parse an ip2region region string: ``国家|区域|省份|城市|ISP`` (version 2) or
    ``国家|省份|城市|ISP``."""
    parts = [_clean(p.strip()) for p in text.split("|")]
    if len(parts) >= 5:
        country, province, city = parts[0], parts[2], parts[3]
    elif len(parts) == 4:
        country, province, city = parts[0], parts[1], parts[2]
    else:
        return None
    region = province or country
    if not region:
        return None
    coords = regions.coordinates(province) if province else None
    return Location(
        region=region,
        latitude=coords[0] if coords else None,
        longitude=coords[1] if coords else None,
        country=country,
        city=city,
    )


class XdbReader:
    """ip2region xdb, format version 2 (IPv4), loaded whole into memory."""

    def __init__(self, path: str) -> None:
        data = Path(path).read_bytes()
        if len(data) < XDB_HEADER_LENGTH + XDB_VECTOR_ROWS * XDB_VECTOR_COLS * XDB_VECTOR_SIZE:
            raise IpDatabaseError(f"{path}: too short for an ip2region xdb file")
        version = struct.unpack_from("<H", data, 0)[0]
        if version != XDB_VERSION:
            raise IpDatabaseError(f"{path}: xdb format version {version}, expected 2")
        self.data = data

    def search(self, ip: int) -> str | None:
        data = self.data
        il0, il1 = (ip >> 24) & 0xFF, (ip >> 16) & 0xFF
        offset = XDB_HEADER_LENGTH + (il0 * XDB_VECTOR_COLS + il1) * XDB_VECTOR_SIZE
        start_ptr, end_ptr = struct.unpack_from("<II", data, offset)
        if start_ptr == 0 and end_ptr == 0:
            return None
        low, high = 0, (end_ptr - start_ptr) // XDB_SEGMENT_SIZE
        while low <= high:
            mid = (low + high) >> 1
            pos = start_ptr + mid * XDB_SEGMENT_SIZE
            if pos + XDB_SEGMENT_SIZE > len(data):
                raise IpDatabaseError("xdb segment index points past the end of the file")
            seg_start, seg_end, length, ptr = struct.unpack_from("<IIHI", data, pos)
            if ip < seg_start:
                high = mid - 1
            elif ip > seg_end:
                low = mid + 1
            else:
                return data[ptr : ptr + length].decode("utf-8", errors="replace")
        return None

    def lookup(self, ip: str) -> Location | None:
        address = ipaddress.ip_address(ip)
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is None:
                return None
            address = address.ipv4_mapped
        text = self.search(int(address))
        return location_from_ip2region(text) if text else None


def _name(node: Any) -> str:
    if isinstance(node, dict):
        names = node.get("names")
        if isinstance(names, dict):
            for lang in ("zh-CN", "en"):
                if names.get(lang):
                    return str(names[lang])
        if node.get("name"):
            return str(node["name"])
    if isinstance(node, str):
        return node
    return ""


class MmdbReader:
    """MaxMind DB (GeoIP2/GeoLite2 City layout, or a flat ``country``/``region`` record)."""

    def __init__(self, path: str) -> None:
        import maxminddb

        try:
            self.reader = maxminddb.open_database(path)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise IpDatabaseError(f"{path}: {exc}") from None

    def lookup(self, ip: str) -> Location | None:
        try:
            record = self.reader.get(ip)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        country = _name(record.get("country"))
        subdivisions = record.get("subdivisions")
        province = ""
        if isinstance(subdivisions, list) and subdivisions:
            province = _name(subdivisions[0])
        province = province or _name(record.get("region")) or _name(record.get("province"))
        city = _name(record.get("city"))
        region = province or country
        if not region:
            return None
        latitude = longitude = None
        location = record.get("location")
        if isinstance(location, dict) and location.get("latitude") is not None:
            latitude = float(cast(float, location["latitude"]))
            longitude = float(cast(float, location["longitude"]))
        elif province:
            coords = regions.coordinates(province)
            if coords:
                latitude, longitude = coords
        return Location(region, latitude, longitude, country=country, city=city)


_lock = threading.Lock()
_readers: dict[str, Reader] = {}


def open_reader(path: str) -> Reader:
    """The reader for ``path`` (loaded once per process)."""
    with _lock:
        reader = _readers.get(path)
        if reader is None:
            reader = MmdbReader(path) if path.lower().endswith(".mmdb") else XdbReader(path)
            _readers[path] = reader
        return reader


def forget_readers() -> None:
    with _lock:
        _readers.clear()


def lookup(ip: str | None, path: str) -> Location | None:
    """The location of ``ip`` in the database at ``path``; ``None`` without either."""
    if not ip or not path:
        return None
    try:
        return open_reader(path).lookup(ip)
    except (IpDatabaseError, ValueError):
        return None
