"""The HTTPS cases' certificates, made by `openssl` at bench start."""

from __future__ import annotations

import subprocess
from pathlib import Path

# The certificates of the HTTPS cases, made by `openssl` at bench start: a CA and a server certificate
# for 127.0.0.1 and localhost signed by it, both EC P-256.
OPENSSL_CONF = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def make_certificates(d: Path) -> None:
    (d / "openssl.cnf").write_text(OPENSSL_CONF)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for argv in (
        ["openssl", "req", "-x509", "-new", "-config", "openssl.cnf", "-extensions", "ca_ext", *ec,
         "-keyout", "ca.key", "-out", "ca.pem", "-days", "7", "-subj", "/CN=Cicada bench CA"],
        ["openssl", "req", "-new", "-config", "openssl.cnf", *ec, "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=localhost"],
        ["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
         "-days", "7", "-extfile", "openssl.cnf", "-extensions", "server_ext", "-out", "server.pem"],
    ):
        r = subprocess.run(argv, cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{r.stdout}{r.stderr}")
