"""The tenant gateway on a real node and a real Docker engine: `gpuchain lease send-manifest`
runs the workload, `lease status` shows it and its host port answers, `lease logs` streams;
bad requests (hash mismatch, someone else's signature, stale or replayed timestamps, an
oversized body, an unknown lease, a wrong certificate) each get a clear error while the
gateway keeps serving."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from docker import DockerClient

from chain.testing import free_port
from provider.gateway import Gateway, NodeChainView, lease_name, make_self_signed_cert
from provider.gateway_client import GatewayClient, GatewayError, signed_headers
from provider.runtime import Runtime
from provider.runtime_testing import Marketplace

REPOSITORY = Path(__file__).resolve().parents[2]
WEB_SDL = REPOSITORY / "tests" / "data" / "provider_runtime" / "web.yaml"
DSEQ = 100


@dataclass
class Setup:
    market: Marketplace
    gateway: Gateway
    runtime: Runtime
    fingerprint: str
    host_uri: str

    @property
    def provider(self) -> str:
        return self.market.address("provider")

    def gpuchain(self, *argv: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        node = self.market.node
        return subprocess.run(
            [sys.executable, "-m", "chain.cli.main", *argv, "--home", str(node.home),
             "--node", node.rpc_address, "--keyring-backend", "test"],
            capture_output=True, text=True, cwd=REPOSITORY, timeout=timeout, check=False,
            env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        )  # fmt: skip

    def client(self, signer: str = "tenant", fingerprint: str = "") -> GatewayClient:
        return GatewayClient(
            self.host_uri, fingerprint or self.fingerprint, self.provider, self.market.keys[signer]
        )

    def raw(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """A request with exactly these headers; (status, JSON answer)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.gateway.port, context=context, timeout=30
        )
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            connection.close()

    def signed(
        self, method: str, path: str, body: bytes = b"", signer: str = "tenant", at_ms: int = 0
    ) -> dict[str, str]:
        return signed_headers(
            self.market.keys[signer], method, path, self.provider, body,
            at_ms or time.time_ns() // 1_000_000,
        )  # fmt: skip


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory, docker_client: DockerClient, httpd_image: str
) -> Iterator[Setup]:
    home = tmp_path_factory.mktemp("gateway")
    market = Marketplace.start(home / "node")
    fingerprint = make_self_signed_cert(home / "gateway.crt", home / "gateway.key")
    port = free_port()
    host_uri = f"https://127.0.0.1:{port}"
    market.register_provider(host_uri, fingerprint)
    runtime = Runtime(docker_client, publish_ip="127.0.0.1")
    gateway = Gateway(
        market.address("provider"),
        NodeChainView([market.node.rpc_address]),
        runtime,
        lambda lease_id, group: runtime.deploy(lease_name(lease_id), group),
        cert_path=home / "gateway.crt",
        key_path=home / "gateway.key",
        listen=f"127.0.0.1:{port}",
        max_body_bytes=64 * 1024,
    )
    gateway.start()
    market.deploy(WEB_SDL, DSEQ)
    lease_id = market.lease(DSEQ)
    try:
        yield Setup(market, gateway, runtime, fingerprint, host_uri)
    finally:
        gateway.stop()
        runtime.remove(lease_name(lease_id))
        market.node.stop()


def manifest_path(what: str, dseq: int = DSEQ) -> str:
    return f"/lease/{dseq}/1/1/{what}"


def manifest_body() -> bytes:
    import sdl

    return sdl.parse_sdl_file(WEB_SDL).manifest().canonical_json()


def still_serving(setup: Setup) -> None:
    """The gateway answers a good request after a bad one."""
    answer = setup.client().json("GET", manifest_path("status"))
    assert answer["lease"].startswith(setup.market.address("tenant"))


def test_the_tenant_cli_sends_the_manifest_and_reads_status_and_logs(setup: Setup) -> None:
    sent = setup.gpuchain(
        "lease", "send-manifest", str(WEB_SDL), "--dseq", str(DSEQ), "--from", "tenant"
    )
    assert sent.returncode == 0, sent.stderr
    assert "web: 2/2 ready" in sent.stdout

    status = setup.gpuchain(
        "lease", "status", "--dseq", str(DSEQ), "--from", "tenant", "-o", "json"
    )
    assert status.returncode == 0, status.stderr
    [lease] = json.loads(status.stdout)
    assert lease["state"] == "active"
    [web] = lease["services"]
    assert (web["name"], web["ready"], web["total"]) == ("web", 2, 2)
    port = web["ports"][0]["host_port"]
    assert web["ports"][0]["uri"] == f"127.0.0.1:{port}"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        assert response.read() == b"gpuchain fixture\n"

    logs = setup.gpuchain("lease", "logs", "--dseq", str(DSEQ), "--from", "tenant")
    assert logs.returncode == 0, logs.stderr
    assert "web-0 | hello from the manifest" in logs.stdout
    assert "web-1 | hello from the manifest" in logs.stdout


@pytest.mark.timeout(120)
def test_followed_logs_stream_new_lines_to_the_tenant(setup: Setup) -> None:
    [web] = setup.client().json("PUT", manifest_path("manifest"), manifest_body())["services"]
    port = web["ports"][0]["host_port"]
    lines = setup.client().lines(manifest_path("logs") + "?follow=1&tail=0")
    with pytest.raises(urllib.error.HTTPError, match="404"):  # logged all the same
        urllib.request.urlopen(f"http://127.0.0.1:{port}/followed.html", timeout=5)
    assert any("url:/followed.html" in line for line in lines)  # the test's timeout bounds it


def test_a_manifest_whose_hash_differs_is_refused_by_hash(setup: Setup) -> None:
    body = manifest_body().replace(b"hello from the manifest", b"something else")
    with pytest.raises(GatewayError) as raised:
        setup.client().request("PUT", manifest_path("manifest"), body)
    message = str(raised.value)
    assert "(400)" in message and "does not match deployment 100's on-chain hash" in message
    still_serving(setup)


def test_the_cli_refuses_an_sdl_that_is_not_the_deployed_one(setup: Setup, tmp_path: Path) -> None:
    changed = tmp_path / "changed.yaml"
    changed.write_text(WEB_SDL.read_text().replace("hello from the manifest", "changed"))
    sent = setup.gpuchain(
        "lease", "send-manifest", str(changed), "--dseq", str(DSEQ), "--from", "tenant"
    )
    assert sent.returncode == 1
    assert "is not deployment 100's on-chain hash" in sent.stderr


def test_a_request_signed_by_someone_else_is_refused(setup: Setup) -> None:
    with pytest.raises(GatewayError) as raised:
        setup.client("stranger").request("PUT", manifest_path("manifest"), manifest_body())
    message = str(raised.value)
    assert "(403)" in message and f"signed by {setup.market.address('stranger')}" in message
    still_serving(setup)


def test_a_signature_over_other_bytes_is_refused(setup: Setup) -> None:
    headers = setup.signed("GET", manifest_path("logs"))  # signed for another path
    status, answer = setup.raw("GET", manifest_path("status"), headers=headers)
    assert status == 401 and answer["error"].startswith("bad signature")
    status, answer = setup.raw("GET", manifest_path("status"))
    assert status == 401 and "missing header X-Gpuchain-Pubkey" in answer["error"]
    still_serving(setup)


def test_stale_and_replayed_timestamps_are_refused(setup: Setup) -> None:
    path = manifest_path("status")
    old = time.time_ns() // 1_000_000 - 10 * 60 * 1000
    status, answer = setup.raw("GET", path, headers=setup.signed("GET", path, at_ms=old))
    assert status == 401 and answer["error"].startswith("stale timestamp")

    headers = setup.signed("GET", path)
    first, _ = setup.raw("GET", path, headers=headers)
    again, answer = setup.raw("GET", path, headers=headers)
    assert (first, again) == (200, 401)
    assert answer["error"] == "replayed request: this signature was already used"
    still_serving(setup)


def test_an_oversized_body_is_refused_before_it_is_read(setup: Setup) -> None:
    body = b"[" + b" " * (64 * 1024) + b"]"
    path = manifest_path("manifest")
    status, answer = setup.raw("PUT", path, body, setup.signed("PUT", path, body))
    assert status == 413 and "over the gateway's 65536" in answer["error"]
    still_serving(setup)


def test_an_unknown_lease_is_named(setup: Setup) -> None:
    with pytest.raises(GatewayError) as raised:
        setup.client().request("GET", manifest_path("status", dseq=999))
    message = str(raised.value)
    assert "(404)" in message and "unknown lease" in message and "999/1/1" in message
    still_serving(setup)


def test_a_gateway_with_another_certificate_gets_nothing(setup: Setup) -> None:
    with pytest.raises(GatewayError, match=r"on-chain fingerprint is 0{64}: nothing was sent"):
        setup.client(fingerprint="0" * 64).request(
            "PUT", manifest_path("manifest"), manifest_body()
        )


def test_the_certificate_fingerprint_is_the_one_tx_provider_create_puts_on_chain(
    tmp_path: Path,
) -> None:
    from x.provider.cli import cert_fingerprint

    fingerprint = make_self_signed_cert(tmp_path / "gw.crt", tmp_path / "gw.key")
    assert fingerprint == cert_fingerprint(str(tmp_path / "gw.crt"))
    assert len(fingerprint) == 64 and fingerprint == fingerprint.lower()
    assert (tmp_path / "gw.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.timeout(120)
def test_many_tenants_following_logs_do_not_stall_the_gateway(setup: Setup) -> None:
    setup.client().json("PUT", manifest_path("manifest"), manifest_body())
    path = manifest_path("logs") + "?follow=1&tail=0"
    followers = [setup.client().request("GET", path) for _ in range(12)]  # more than the pool
    try:
        still_serving(setup)
    finally:
        for follower in followers:
            follower.close()
    still_serving(setup)


def test_a_daemon_fault_is_a_500_and_the_gateway_keeps_serving(
    setup: Setup, tmp_path: Path
) -> None:
    def broken_daemon(lease_id: Any, group: Any) -> list[Any]:
        raise RuntimeError("no Docker runtime configured")

    other = Gateway(
        setup.provider,
        NodeChainView([setup.market.node.rpc_address]),
        setup.runtime,
        broken_daemon,
        cert_path=setup.gateway.cert_path,
        key_path=setup.gateway.key_path,
        listen="127.0.0.1:0",
    )
    other.start()
    try:
        client = GatewayClient(
            f"https://127.0.0.1:{other.port}", setup.fingerprint, setup.provider,
            setup.market.keys["tenant"],
        )  # fmt: skip
        with pytest.raises(GatewayError, match=r"\(500\): the provider failed: no Docker runtime"):
            client.request("PUT", manifest_path("manifest"), manifest_body())
        assert client.json("GET", manifest_path("status"))["state"] == "active"
    finally:
        other.stop()


def test_the_replay_guard_forgets_signatures_once_they_would_be_stale() -> None:
    from provider.gateway import ReplayGuard, RequestError

    guard = ReplayGuard(max_skew_ms=1_000)
    for index in range(1_000):
        guard.check(b"signature %d" % index, 50_000, 50_000)
    with pytest.raises(RequestError, match="replayed request"):
        guard.check(b"signature 7", 50_500, 50_500)
    guard.check(b"fresh", 53_001, 53_001)  # two skews later the old ones are gone
    assert guard.seen == {hashlib.sha256(b"fresh").digest()}
