"""Signing identities of organizations (PKCS#12: key, certificate, chain).

An operator configures a real PKCS#12 per organization with ``ANZU_SIGNING_P12_DIR``
(``<dir>/<org-slug>.p12``) and ``ANZU_SIGNING_P12_PASSWORD``. Without it, the embedded default
creates, on first use, an organization **test** CA and a signing certificate under
``$ANZU_HOME/pki/<org-slug>/``. Their names say "TEST CA — NOT FOR PRODUCTION" so nobody mistakes
them for a trusted identity.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

from anzu.common import clock
from anzu.core.models import Organization

TEST_LABEL = "TEST CA — NOT FOR PRODUCTION"


@dataclass(frozen=True)
class SigningIdentity:
    """Where an organization's PKCS#12 and trust root live."""

    p12_path: Path
    password: bytes
    root_cert_path: Path
    is_test: bool


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


COMMON_NAME_MAX_BYTES = 64  # X.509 upper bound of a common name, in UTF-8 bytes


def common_name(prefix: str, suffix: str) -> str:
    """``prefix suffix`` within the common name's 64-byte limit; ``prefix`` (the organization's
    name, 3 bytes per Chinese character) is shortened, ``suffix`` (the label) never is."""
    budget = COMMON_NAME_MAX_BYTES - len(f" {suffix}".encode())
    cut = prefix
    while cut and len(cut.encode()) > budget:
        cut = cut[:-1]
    return f"{cut} {suffix}" if cut else suffix


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _create_test_identity(folder: Path, org: Organization, password: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    now = clock.now()
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = _name(common_name(org.name, TEST_LABEL), org.name)
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name(org.name, "电子签章 (TEST)"), org.name))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        name=b"anzu-signing",
        key=key,
        cert=cert,
        cas=[root],
        encryption_algorithm=serialization.BestAvailableEncryption(password),
    )
    (folder / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    _write_private(folder / "signing.p12", p12)
    (folder / "README.txt").write_text(
        f"{TEST_LABEL}\nCreated {now.isoformat()} for {org.name}. Replace with a real PKCS#12 "
        "via ANZU_SIGNING_P12_DIR before sending documents to tenants.\n",
        encoding="utf-8",
    )


def identity_for(org: Organization) -> SigningIdentity:
    configured_dir = getattr(settings, "SIGNING_P12_DIR", "")
    if configured_dir:
        folder = Path(configured_dir)
        p12 = folder / f"{org.slug}.p12"
        root = folder / f"{org.slug}-root.pem"
        if not p12.exists() or not root.exists():
            raise FileNotFoundError(
                f"ANZU_SIGNING_P12_DIR: expected {p12.name} and {root.name} in {folder}"
            )
        return SigningIdentity(p12, settings.SIGNING_P12_PASSWORD.encode(), root, is_test=False)
    folder = Path(settings.ANZU_HOME) / "pki" / org.slug
    password = settings.SECRET_KEY.encode()[:32]
    if not (folder / "signing.p12").exists():
        _create_test_identity(folder, org, password)
    return SigningIdentity(folder / "signing.p12", password, folder / "root.pem", is_test=True)


def root_from_pem(pem: bytes) -> asn1_x509.Certificate:
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


def load_root(identity: SigningIdentity) -> asn1_x509.Certificate:
    return root_from_pem(identity.root_cert_path.read_bytes())
