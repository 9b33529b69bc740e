"""``anzu contracts review`` and the precision/recall script."""

from __future__ import annotations

import builtins
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from anzu.contracts.review import cli

ROOT = Path(__file__).resolve().parents[3]
CORPUS = Path(__file__).parent / "corpus"
LEASE = CORPUS / "lease_30.txt"  # rent 3800, market 6000 → RENT_BELOW_MARKET


def _run(
    path: Path | str, market_rent: str | None = None, fmt: str = "json"
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(str(path), market_rent, fmt, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_json_output_shape() -> None:
    code, out, err = _run(LEASE, "6000")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["fields", "findings", "risk_level"]
    assert data["fields"]["monthly_rent"]["value"] == "3800.00"
    assert set(data["fields"]["monthly_rent"]) == {
        "value",
        "start",
        "end",
        "confidence",
        "evidence",
    }
    (finding,) = data["findings"]
    assert list(finding) == ["code", "severity", "message", "evidence", "start", "end", "basis"]
    assert finding["code"] == "RENT_BELOW_MARKET"
    text = LEASE.read_text(encoding="utf-8")
    assert text[finding["start"] : finding["end"]] == finding["evidence"]
    assert data["risk_level"] == "medium"


def test_without_market_rent_there_is_no_market_finding() -> None:
    code, out, _ = _run(LEASE)
    assert code == 0
    assert json.loads(out)["findings"] == []


def test_text_format() -> None:
    code, out, _ = _run(CORPUS / "hand_05_shanghai.txt", fmt="text")
    assert code == 0
    assert "风险等级 / Risk level: 高 / high" in out
    assert "AMOUNT_INCONSISTENT" in out and "DATE_INCONSISTENT" in out
    assert "依据 / basis: 内部规则 R-09" in out
    assert "月租金 / monthly rent: 7200.00" in out


def test_gbk_file(tmp_path: Path) -> None:
    path = tmp_path / "lease.txt"
    path.write_bytes(LEASE.read_text(encoding="utf-8").encode("gbk"))
    code, out, _ = _run(path)
    assert code == 0
    assert json.loads(out)["fields"]["monthly_rent"]["value"] == "3800.00"


def test_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "lease.txt"
    path.write_bytes(b"\xef\xbb\xbf" + LEASE.read_bytes())
    code, out, _ = _run(path)
    assert code == 0
    assert json.loads(out)["fields"]["lessor"]["start"] == LEASE.read_text(encoding="utf-8").index(
        "曾小燕"
    )


@pytest.mark.parametrize(
    ("name", "content", "fmt", "market", "message"),
    [
        ("missing.txt", None, "json", None, "missing.txt: no such file"),
        ("empty.txt", b"  \n\t\n", "json", None, "empty.txt: empty contract"),
        ("lease.docx", b"PK\x03\x04", "json", None, "lease.docx: unsupported file type '.docx'"),
        ("binary.txt", b"\xff\xfe\xfa\x00\x81", "json", None, "binary.txt: not UTF-8 or GBK text"),
        ("lease.txt", "月租金3000元".encode(), "xml", None, "--format: must be json or text"),
        ("lease.txt", "月租金3000元".encode(), "json", "abc", "--market-rent: not an amount"),
        (
            "lease.txt",
            "月租金3000元".encode(),
            "json",
            "-5",
            "--market-rent: must be a positive amount",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_problem(
    tmp_path: Path, name: str, content: bytes | None, fmt: str, market: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code, out, err = _run(path, market, fmt)
    assert code == 2
    assert out == ""
    assert message in err


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path)
    assert code == 2 and "not a file" in err


def test_pdf_without_the_reader_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "anzu.contracts.reading":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    code, out, err = _run(path)
    assert code == 2 and out == ""
    assert "anzu.contracts.reading" in err


def test_pdf_and_images_go_through_the_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import anzu.contracts.reading as reading

    seen: list[str] = []

    def fake_read_text(path: str) -> str:
        seen.append(path)
        return LEASE.read_text(encoding="utf-8")

    monkeypatch.setattr(reading, "read_text", fake_read_text)
    for name in ("scan.pdf", "photo.JPG", "page.png", "fax.tiff"):
        path = tmp_path / name
        path.write_bytes(b"x")
        code, out, _ = _run(path, "6000")
        assert code == 0
        assert json.loads(out)["findings"][0]["code"] == "RENT_BELOW_MARKET"
    assert [Path(p).name for p in seen] == ["scan.pdf", "photo.JPG", "page.png", "fax.tiff"]


def test_reader_errors_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import anzu.contracts.reading as reading
    from anzu.common.errors import ValidationFailed

    def broken(path: str) -> str:
        raise ValidationFailed(
            "corrupt_file", "The file is damaged and cannot be read.", field="file"
        )

    monkeypatch.setattr(reading, "read_text", broken)
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-")
    code, _, err = _run(path)
    assert code == 2
    assert "scan.pdf: The file is damaged and cannot be read. (corrupt_file)" in err


def test_management_command() -> None:
    out = io.StringIO()
    call_command("contracts", "review", str(LEASE), "--market-rent", "6000", stdout=out)
    data = json.loads(out.getvalue())
    assert [f["code"] for f in data["findings"]] == ["RENT_BELOW_MARKET"]


def test_management_command_error_exit_status(tmp_path: Path) -> None:
    err = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("contracts", "review", str(tmp_path / "nope.txt"), stderr=err)
    assert exc.value.code == 2
    assert "nope.txt: no such file" in err.getvalue()


def test_console_script_end_to_end(tmp_path: Path) -> None:
    anzu = Path(sys.executable).parent / "anzu"
    proc = subprocess.run(
        [str(anzu), "contracts", "review", str(LEASE), "--market-rent", "6000", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["code"] == "RENT_BELOW_MARKET"
    proc = subprocess.run(
        [str(anzu), "contracts", "review", str(tmp_path / "none.txt")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "none.txt: no such file" in proc.stderr
    assert proc.stdout == ""


def test_precision_recall_script_passes_on_the_corpus() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "contracts_precision_recall.py"), "--fields"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    overall = next(line for line in lines if line.startswith("overall"))
    assert overall.split()[-2:] == ["1.000", "1.000"]
    assert sum(line.split()[0] in cli_codes() for line in lines if line.strip()) == 16
    assert "all expected field values match" in proc.stdout


def test_precision_recall_script_fails_below_the_bar(tmp_path: Path) -> None:
    # A corpus whose expectations are wrong: the clean lease is said to carry a finding.
    (tmp_path / "a.txt").write_text(
        (CORPUS / "lease_00.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "expected.json").write_text(
        json.dumps({"a.txt": {"codes": ["DATE_INCONSISTENT"], "fields": {}}}), encoding="utf-8"
    )
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "contracts_precision_recall.py"),
            "--corpus",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert "DATE_INCONSISTENT                   0    0    1      1.000    0.000  <" in proc.stdout
    (tmp_path / "expected.json").write_text(
        json.dumps({"a.txt": {"codes": ["NOPE"]}}), encoding="utf-8"
    )
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "contracts_precision_recall.py"),
            "--corpus",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown codes" in proc.stderr


def cli_codes() -> set[str]:
    from anzu.contracts.review import RULE_CODES

    return set(RULE_CODES)
