"""A throw-away certificate authority and server certificate for the emulator's HTTPS port.

Made afresh at every start; nothing trusts the CA unless told to (tests build a context from
`Emulator.ca_pem` / `ca_file`; nothing in the product turns verification off).
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime
import ipaddress
from pathlib import Path
import shutil
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ALPN_PROTOCOLS = ["h2", "http/1.1"]
_VALIDITY = datetime.timedelta(days=7)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tesla SSO emulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _subject_alt_names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(["localhost", "127.0.0.1", "::1", *hosts]):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _certificates(hosts: list[str]) -> tuple[bytes, bytes, bytes]:
    """(CA certificate, server certificate, server key), PEM."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Tesla SSO emulator throw-away CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
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
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
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
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.SubjectAlternativeName(_subject_alt_names(hosts)), critical=False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = serialization.Encoding.PEM
    return ca_cert.public_bytes(pem), cert.public_bytes(pem), key_pem


@dataclass
class TlsMaterial:
    """The CA, the server's SSL context, and the folder holding their files."""

    ca_pem: str
    ca_file: Path
    server_context: ssl.SSLContext
    directory: Path

    @classmethod
    def create(cls, hosts: list[str]) -> TlsMaterial:
        """Make a CA and a certificate for localhost, loopback and `hosts` (blocking: run in an executor)."""
        ca_pem, cert_pem, key_pem = _certificates(hosts)
        directory = Path(tempfile.mkdtemp(prefix="tesla-emulator-tls-"))
        ca_file = directory / "ca.pem"
        ca_file.write_bytes(ca_pem)
        chain_file = directory / "server.pem"
        chain_file.write_bytes(cert_pem + ca_pem)
        key_file = directory / "server.key"
        key_file.write_bytes(key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # Tesla's edge speaks TLS 1.2 and 1.3; which one a client used is part of the test.
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.maximum_version = ssl.TLSVersion.TLSv1_3
        context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
        context.set_alpn_protocols(ALPN_PROTOCOLS)
        context.load_cert_chain(chain_file, key_file)
        return cls(
            ca_pem=ca_pem.decode("ascii"),
            ca_file=ca_file,
            server_context=context,
            directory=directory,
        )

    def remove(self) -> None:
        """Delete the files (blocking)."""
        shutil.rmtree(self.directory, ignore_errors=True)
