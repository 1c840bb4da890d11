"""The tenant's side of the provider gateway: request signing, a pinned HTTPS client, and
`gpuchain lease send-manifest|status|logs`.

The client finds the deployment's leases on chain (x/market), and each lease's provider
record (x/provider) for its gateway URL and certificate fingerprint. It connects with TLS,
checks that the certificate the gateway presents has exactly the on-chain fingerprint, and
only then sends anything (manifests carry secrets): no certificate authority is involved.
Only the standard library and the chain's own code: `gpuchain` stays quick to start.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import ssl
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from chain.cli import api
from chain.cli.client import open_keyring
from chain.crypto import PrivateKey
from chain.keyring import KeyringError
from chain.pb.cosmos.base.query.v1beta1 import pagination_pb2
from chain.pb.gpuchain.deployment.v1 import query_pb2 as deployment_query_pb2
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.pb.gpuchain.provider.v1 import query_pb2 as provider_query_pb2
from x.deployment.queries import DEPLOYMENT_PATH
from x.market.queries import LEASES_PATH
from x.provider.queries import PROVIDER_PATH

SIGN_DOMAIN: Final = b"gpuchain-gateway/v1"
PUBKEY_HEADER: Final = "X-Gpuchain-Pubkey"  # "<secp256k1|ed25519>:<base64 key>"
SIGNATURE_HEADER: Final = "X-Gpuchain-Signature"  # base64
TIMESTAMP_HEADER: Final = "X-Gpuchain-Timestamp"  # milliseconds since the Unix epoch
REQUEST_TIMEOUT_S: Final = 120.0


def request_sign_bytes(
    method: str, path: str, provider: str, body: bytes, timestamp_ms: int
) -> bytes:
    """What the tenant signs: one field a line, the body by its SHA-256."""
    fields = (method.upper(), path, provider, hashlib.sha256(body).hexdigest(), str(timestamp_ms))
    return b"\n".join([SIGN_DOMAIN, *(field.encode() for field in fields)])


def signed_headers(
    key: PrivateKey, method: str, path: str, provider: str, body: bytes, timestamp_ms: int
) -> dict[str, str]:
    """The three headers that authenticate a request as `key`'s account."""
    signature = key.sign(request_sign_bytes(method, path, provider, body, timestamp_ms))
    return {
        PUBKEY_HEADER: f"{key.algo}:{base64.b64encode(key.public_key).decode()}",
        SIGNATURE_HEADER: base64.b64encode(signature).decode(),
        TIMESTAMP_HEADER: str(timestamp_ms),
    }


class GatewayError(Exception):
    """The gateway refused a request, or could not be reached safely; the message says why."""


@dataclass
class GatewayClient:
    """Signed requests to one provider's gateway, over TLS pinned to its on-chain fingerprint."""

    host_uri: str
    fingerprint: str
    provider: str
    key: PrivateKey
    timeout: float = REQUEST_TIMEOUT_S

    def _connect(self) -> http.client.HTTPSConnection:
        url = urllib.parse.urlsplit(self.host_uri)
        if url.scheme != "https" or not url.hostname:
            raise GatewayError(f"provider {self.provider}'s host {self.host_uri!r} is not https")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False  # the fingerprint below is the check
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(
            url.hostname, url.port or 443, context=context, timeout=self.timeout
        )
        try:
            connection.connect()
        except OSError as error:
            raise GatewayError(f"cannot reach the gateway at {self.host_uri}: {error}") from None
        der = connection.sock.getpeercert(binary_form=True) if connection.sock else None
        presented = hashlib.sha256(der or b"").hexdigest()
        if presented != self.fingerprint:
            connection.close()
            raise GatewayError(
                f"the gateway at {self.host_uri} presented certificate {presented}, but "
                f"provider {self.provider}'s on-chain fingerprint is {self.fingerprint}: "
                "nothing was sent"
            )
        return connection

    def request(self, method: str, path: str, body: bytes = b"") -> http.client.HTTPResponse:
        """Send a signed request; the response when its status is 2xx, else GatewayError."""
        connection = self._connect()
        headers = signed_headers(
            self.key, method, path, self.provider, body, time.time_ns() // 1_000_000
        )
        if body:
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
        except OSError as error:
            raise GatewayError(f"the gateway at {self.host_uri} failed: {error}") from None
        if response.status >= 300:
            text = response.read().decode(errors="replace")
            try:
                message = json.loads(text)["error"]
            except (ValueError, KeyError, TypeError):
                message = text.strip() or response.reason
            raise GatewayError(f"gateway refused ({response.status}): {message}")
        return response

    def json(self, method: str, path: str, body: bytes = b"") -> Any:
        return json.loads(self.request(method, path, body).read())

    def lines(self, path: str) -> Iterator[str]:
        """The response's lines; the request is made now, so a followed stream misses nothing."""
        response = self.request("GET", path)
        return (raw.decode(errors="replace").rstrip("\n") for raw in response)


# -- `gpuchain lease …` -----------------------------------------------------------------


def register(top: Any, common: argparse.ArgumentParser) -> None:
    """`gpuchain lease …` (listed in chain/cli/main.py's COMMANDS)."""
    parser = top.add_parser(
        "lease", parents=[common], help="a lease's manifest, status and logs (provider gateway)"
    )
    commands = parser.add_subparsers(dest="lease_command", required=True, metavar="CMD")
    send = commands.add_parser(
        "send-manifest",
        parents=[common],
        help="send a deployment's manifest to the providers of its leases",
        description="Send the SDL's manifest (its hash must be the deployment's on-chain hash) "
        "to the gateway of every active lease of --dseq.",
    )
    send.add_argument("sdl_file", metavar="SDL.yaml", help="the deployment's SDL file")
    send.set_defaults(func=send_manifest)
    status = commands.add_parser(
        "status", parents=[common], help="the lease's services: replicas ready, host ports"
    )
    status.set_defaults(func=lease_status)
    logs = commands.add_parser("logs", parents=[common], help="the lease's log lines")
    logs.add_argument("-f", "--follow", action="store_true", help="keep streaming new lines")
    logs.add_argument("--tail", default="all", help="only the last N lines of each container")
    logs.set_defaults(func=lease_logs)
    for command in (send, status, logs):
        command.add_argument("--dseq", type=api.uint64, required=True, help="deployment sequence")
        command.add_argument("--gseq", type=api.uint32, help="only this group's lease")
        command.add_argument("--oseq", type=api.uint32, help="only this order's lease")
        command.add_argument("--provider", help="only the lease with this provider")
        command.add_argument(
            "--from", dest="from_key", required=True, metavar="KEY",
            help="the deployment owner's key, which signs the requests",
        )  # fmt: skip


def _owner_key(args: argparse.Namespace) -> PrivateKey:
    try:
        key: PrivateKey = open_keyring(args).private_key(args.from_key)
    except KeyringError as error:
        raise api.CommandError(str(error)) from None
    return key


def _leases(args: argparse.Namespace, owner: str) -> list[market_pb2.Lease]:
    """The active leases of --dseq (and --gseq/--oseq/--provider when given), from the chain."""
    found: list[market_pb2.Lease] = []
    key = b""
    while True:
        page = api.query(
            args,
            LEASES_PATH,
            market_query_pb2.QueryLeasesRequest(
                owner=owner, state="active", pagination=pagination_pb2.PageRequest(key=key)
            ),
            market_query_pb2.QueryLeasesResponse(),
        )
        for lease in page.leases:
            lease_id = lease.lease_id
            if lease_id.dseq != args.dseq:
                continue
            if args.gseq is not None and lease_id.gseq != args.gseq:
                continue
            if args.oseq is not None and lease_id.oseq != args.oseq:
                continue
            if args.provider and lease_id.provider != args.provider:
                continue
            found.append(lease)
        key = page.pagination.next_key
        if not key:
            break
    if not found:
        raise api.CommandError(f"{owner} has no active lease of deployment {args.dseq}")
    return found


def _client(args: argparse.Namespace, key: PrivateKey, provider: str) -> GatewayClient:
    record = api.query(
        args,
        PROVIDER_PATH,
        provider_query_pb2.QueryProviderRequest(owner=provider),
        provider_query_pb2.QueryProviderResponse(),
    ).provider
    if not record.cert_fingerprint:
        raise api.CommandError(
            f"provider {provider} has no gateway certificate on chain (tx provider update --cert)"
        )
    return GatewayClient(record.host_uri, record.cert_fingerprint, provider, key)


def _path(lease_id: market_pb2.LeaseID, what: str) -> str:
    return f"/lease/{lease_id.dseq}/{lease_id.gseq}/{lease_id.oseq}/{what}"


def _each_lease(args: argparse.Namespace) -> Iterator[tuple[market_pb2.Lease, GatewayClient]]:
    key = _owner_key(args)
    for lease in _leases(args, key.bech32_address):
        yield lease, _client(args, key, lease.lease_id.provider)


def send_manifest(args: argparse.Namespace) -> int:
    import sdl

    try:
        manifest = sdl.parse_sdl_file(args.sdl_file).manifest()
    except (sdl.SdlError, OSError) as error:
        raise api.CommandError(str(error)) from None
    key = _owner_key(args)
    deployment = api.query(
        args,
        DEPLOYMENT_PATH,
        deployment_query_pb2.QueryDeploymentRequest(owner=key.bech32_address, dseq=args.dseq),
        deployment_query_pb2.QueryDeploymentResponse(),
    ).deployment
    if manifest.hash() != deployment.manifest_hash.hex():
        raise api.CommandError(
            f"{args.sdl_file}'s manifest hash {manifest.hash()} is not deployment {args.dseq}'s "
            f"on-chain hash {deployment.manifest_hash.hex()} (tx deployment update first)"
        )
    body = manifest.canonical_json()
    results = []
    for lease, client in _each_lease(args):
        try:
            answer = client.json("PUT", _path(lease.lease_id, "manifest"), body)
        except GatewayError as error:
            raise api.CommandError(f"lease with {lease.lease_id.provider}: {error}") from None
        results.append({"provider": lease.lease_id.provider, **answer})
    api.emit(args, results, "\n".join(_status_text(result) for result in results))
    return 0


def _status_text(answer: dict[str, Any]) -> str:
    lines = [f"lease {answer['lease']}" + (f" ({answer['state']})" if "state" in answer else "")]
    for service in answer["services"]:
        uris = ", ".join(port["uri"] for port in service["ports"]) or "no ports"
        lines.append(f"  {service['name']}: {service['ready']}/{service['total']} ready, {uris}")
        if service.get("message"):
            lines.append(f"    {service['message']}")
    if not answer["services"]:
        lines.append("  no containers (manifest not sent yet?)")
    return "\n".join(lines)


def lease_status(args: argparse.Namespace) -> int:
    results = []
    for lease, client in _each_lease(args):
        try:
            results.append(client.json("GET", _path(lease.lease_id, "status")))
        except GatewayError as error:
            raise api.CommandError(f"lease with {lease.lease_id.provider}: {error}") from None
    api.emit(args, results, "\n".join(_status_text(result) for result in results))
    return 0


def lease_logs(args: argparse.Namespace) -> int:
    query = urllib.parse.urlencode({"follow": "1" if args.follow else "0", "tail": args.tail})
    for lease, client in _each_lease(args):
        try:
            for line in client.lines(f"{_path(lease.lease_id, 'logs')}?{query}"):
                print(line, flush=True)
        except GatewayError as error:
            raise api.CommandError(f"lease with {lease.lease_id.provider}: {error}") from None
    return 0
