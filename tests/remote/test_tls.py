"""HTTPS: verification is always on; a server signed by the user's own authority works once its CA bundle is set."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from visiondesk.engine import StopReason
from visiondesk.engine.remote import RemoteBackend, ServerStore, TlsVerifyFailed, probe

from tests.remote.conftest import run
from tests.remote.imitation_server import Imitation, ImitationServer


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def own_ca(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An organisation's own certificate authority and a server certificate for 127.0.0.1 signed by it."""
    d = tmp_path_factory.mktemp("ca")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=VisionDesk Test CA", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=127.0.0.1", cwd=d)
    (d / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "san.cnf", cwd=d)
    return {"ca": d / "ca.pem", "cert": d / "server.pem", "key": d / "server.key"}


@pytest.fixture
def https_server(own_ca: dict[str, Path]) -> Iterator[ImitationServer]:
    """The IMITATION server (generic flavour) behind TLS with the test authority's certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(own_ca["cert"], own_ca["key"])
    with ImitationServer(Imitation("other", {"vlm": {}}), tls=ctx) as s:
        yield s


def test_an_unknown_authority_is_refused_and_its_ca_bundle_fixes_it(servers: ServerStore, own_ca: dict[str, Path],
                                                                   https_server: ImitationServer) -> None:
    entry = servers.add(https_server.url, name="TLS")
    with pytest.raises(TlsVerifyFailed, match="CA bundle"):
        RemoteBackend(servers).load(entry.target("vlm"))
    assert https_server.imitation.requests == []
    entry = servers.update(entry.id, ca_bundle=str(own_ca["ca"]))
    backend = RemoteBackend(servers)
    info = backend.load(entry.target("vlm"))
    assert info.remote_host is None, "127.0.0.1 over https is still this computer"
    text, fin, _ = run(backend, [])
    assert fin.stop_reason is StopReason.END and text == "Hello there."


def test_the_servers_page_report_says_what_failed(servers: ServerStore, own_ca: dict[str, Path],
                                                 https_server: ImitationServer) -> None:
    entry = servers.add(https_server.url)
    report = probe.test_server(entry, servers.keys)
    assert not report.reachable and isinstance(report.error, TlsVerifyFailed) and report.models == ()
    report = probe.test_server(servers.update(entry.id, ca_bundle=str(own_ca["ca"])), servers.keys)
    assert report.reachable and report.error is None and report.kind is probe.ServerKind.OTHER
    assert report.models == (probe.RemoteModel("vlm", None),) and report.remote_host is None
