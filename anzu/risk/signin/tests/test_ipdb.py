"""Offline IP databases built inside the tests: ip2region xdb (v2) and MaxMind mmdb."""

from __future__ import annotations

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from anzu.common.env import ConfigError
from anzu.risk.signin import ipdb, regions
from anzu.risk.signin.config import load_signin_config

from .xdb_writer import build_xdb

SEGMENTS = [
    ("1.0.0.0", "1.0.0.255", "中国|0|上海|上海市|电信"),
    ("1.0.1.0", "1.0.255.255", "中国|0|广东省|深圳市|联通"),
    # Crosses several /16 blocks: the writer splits it, the reader must still find it.
    ("36.0.0.0", "36.3.255.255", "中国|0|新疆维吾尔自治区|乌鲁木齐市|移动"),
    ("36.4.0.0", "36.4.0.255", "美国|0|0|0|0"),
]


@pytest.fixture
def xdb(tmp_path):
    return build_xdb(tmp_path / "ip2region.xdb", SEGMENTS)


@pytest.fixture
def mmdb(tmp_path):
    writer = MMDBWriter(ip_version=4, database_type="GeoIP2-City", languages=["zh-CN", "en"])
    writer.insert_network(
        IPSet(["8.8.8.0/24"]),
        {
            "country": {"names": {"zh-CN": "中国", "en": "China"}, "iso_code": "CN"},
            "subdivisions": [{"names": {"zh-CN": "北京市", "en": "Beijing"}}],
            "city": {"names": {"zh-CN": "北京"}},
            "location": {"latitude": 39.9, "longitude": 116.4},
        },
    )
    writer.insert_network(
        IPSet(["9.9.9.0/24"]),
        {"subdivisions": [{"names": {"en": "Guangdong"}}], "country": {"names": {"en": "China"}}},
    )
    writer.insert_network(IPSet(["10.0.0.0/8"]), {"country": {"names": {"en": "Private"}}})
    path = tmp_path / "city.mmdb"
    writer.to_db_file(str(path))
    return path


def test_xdb_lookup_finds_regions_and_coordinates(xdb):
    reader = ipdb.XdbReader(str(xdb))
    shanghai = reader.lookup("1.0.0.7")
    assert shanghai is not None
    assert (shanghai.region, shanghai.country, shanghai.city) == ("上海", "中国", "上海市")
    assert (shanghai.latitude, shanghai.longitude) == regions.coordinates("上海")
    assert reader.lookup("1.0.200.1").region == "广东省"
    assert reader.lookup("1.0.200.1").latitude == pytest.approx(23.129)
    for ip in ("36.0.0.1", "36.1.128.9", "36.3.255.255"):
        assert reader.lookup(ip).region == "新疆维吾尔自治区"
    abroad = reader.lookup("36.4.0.3")
    assert (abroad.region, abroad.latitude) == ("美国", None)
    assert reader.lookup("36.4.1.0") is None  # inside the /16, outside every segment
    assert reader.lookup("200.1.1.1") is None  # no segment in this /16
    assert reader.lookup("::ffff:1.0.0.7").region == "上海"
    assert reader.lookup("2001:db8::1") is None


def test_xdb_with_another_version_is_refused(tmp_path, xdb):
    data = bytearray(xdb.read_bytes())
    data[0] = 3
    bad = tmp_path / "v3.xdb"
    bad.write_bytes(bytes(data))
    with pytest.raises(ipdb.IpDatabaseError, match="version 3"):
        ipdb.XdbReader(str(bad))
    short = tmp_path / "short.xdb"
    short.write_bytes(b"\x02\x00" + b"\x00" * 100)
    with pytest.raises(ipdb.IpDatabaseError, match="too short"):
        ipdb.XdbReader(str(short))


def test_mmdb_lookup(mmdb):
    reader = ipdb.MmdbReader(str(mmdb))
    beijing = reader.lookup("8.8.8.8")
    assert (beijing.region, beijing.country, beijing.city) == ("北京市", "中国", "北京")
    assert (beijing.latitude, beijing.longitude) == (39.9, 116.4)
    # No coordinates in the record: the capital of the province from the vendored table.
    guangdong = reader.lookup("9.9.9.9")
    assert guangdong.region == "Guangdong"
    assert guangdong.latitude == pytest.approx(23.129)
    assert reader.lookup("10.1.2.3").region == "Private"
    assert reader.lookup("11.1.1.1") is None


def test_lookup_by_path_picks_the_format_and_absent_without_database(xdb, mmdb):
    assert ipdb.lookup("1.0.0.7", str(xdb)).region == "上海"
    assert ipdb.lookup("8.8.8.8", str(mmdb)).region == "北京市"
    assert ipdb.lookup("8.8.8.8", "") is None
    assert ipdb.lookup(None, str(xdb)) is None
    assert ipdb.lookup("garbage", str(xdb)) is None


def test_region_names_match_without_suffix_in_both_languages():
    assert (
        regions.coordinates("广东省")
        == regions.coordinates("广东")
        == regions.coordinates("Guangdong")
    )
    assert regions.coordinates("新疆维吾尔自治区") == regions.coordinates("xinjiang")
    assert regions.coordinates("Atlantis") is None
    assert regions.coordinates("") is None


def test_configuration_is_parsed_strictly(monkeypatch, xdb, tmp_path):
    monkeypatch.setenv("ANZU_OFFICE_CIDRS", "203.0.113.0/24, 2001:db8::/48")
    monkeypatch.setenv("ANZU_IPDB_PATH", str(xdb))
    cfg = load_signin_config()
    assert [str(n) for n in cfg.office_cidrs] == ["203.0.113.0/24", "2001:db8::/48"]
    assert cfg.ipdb_path == str(xdb)

    monkeypatch.setenv("ANZU_OFFICE_CIDRS", "203.0.113.0/24,office")
    with pytest.raises(ConfigError, match="ANZU_OFFICE_CIDRS: 'office'"):
        load_signin_config()
    monkeypatch.delenv("ANZU_OFFICE_CIDRS")

    monkeypatch.setenv("ANZU_IPDB_PATH", str(tmp_path / "missing.xdb"))
    with pytest.raises(ConfigError, match="ANZU_IPDB_PATH: no such file"):
        load_signin_config()
    monkeypatch.setenv("ANZU_IPDB_PATH", str(tmp_path / "db.csv"))
    with pytest.raises(ConfigError, match="ANZU_IPDB_PATH: expected"):
        load_signin_config()
    monkeypatch.delenv("ANZU_IPDB_PATH")

    monkeypatch.setenv("ANZU_SIGNIN_STEP_UP_SCORE", "95")
    with pytest.raises(ConfigError, match="ANZU_SIGNIN_DENY_SCORE"):
        load_signin_config()
    monkeypatch.setenv("ANZU_SIGNIN_STEP_UP_SCORE", "many")
    with pytest.raises(ConfigError, match="ANZU_SIGNIN_STEP_UP_SCORE: expected an integer"):
        load_signin_config()
