"""The tenant gateway: HTTPS (aiohttp) where tenants send manifests and read status and logs.

Manifests carry tenants' secrets in env vars, so the gateway only speaks TLS, with the
self-signed certificate `make_self_signed_cert` writes; its SHA-256 fingerprint is on chain
in the provider's record, and tenants pin their connection to it (no certificate authority).

Every request is signed by the tenant's account key over `request_sign_bytes`
(provider/gateway_client.py, the tenant's side): method,
path, the provider's address, the body's SHA-256 and a millisecond timestamp. The gateway
recovers the signer's address from the public key it sends, and asks the chain (through
the node) whether that address owns the lease: a request signed by anyone else is refused.
A timestamp outside the allowed skew is stale; a signature seen before is a replay. Bodies
above the limit are refused before they are read.

    PUT /lease/{dseq}/{gseq}/{oseq}/manifest   the manifest (Akash's JSON: a list of groups);
                                               its hash must be the deployment's on-chain one
    GET /lease/{dseq}/{gseq}/{oseq}/status     per service: replicas ready/total, host ports
    GET /lease/{dseq}/{gseq}/{oseq}/logs       the lease's log lines; ?follow=1 streams them

Errors are JSON `{"error": "..."}` naming what was wrong; the server keeps running.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import datetime
import hashlib
import ipaddress
import json
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from aiohttp import web

from chain.crypto import ED25519, SECP256K1, PublicKey, encode_address
from chain.pb.gpuchain.deployment.v1 import deployment_pb2
from chain.pb.gpuchain.deployment.v1 import query_pb2 as deployment_query_pb2
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.rpc import CometRpc, RpcError
from provider.gateway_client import (
    PUBKEY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    request_sign_bytes,
)
from provider.runtime import DeployError
from sdl.encode import canonical_json
from x.deployment.errors import DEPLOYMENT_NOT_FOUND
from x.deployment.queries import DEPLOYMENT_PATH
from x.market.errors import LEASE_NOT_FOUND
from x.market.msgs import lease_fields
from x.market.queries import LEASE_PATH, LEASES_PATH

log = logging.getLogger("provider.gateway")

MAX_SKEW_MS: Final = 30_000
MAX_BODY_BYTES: Final = 1_048_576
LOG_QUEUE_LINES: Final = 256
CERT_VALID_DAYS: Final = 3650
ALGORITHMS: Final = {SECP256K1: 33, ED25519: 32}


# -- certificate ----------------------------------------------------------------------------


def der_fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate in lower-case hex, as x/provider's cert_fingerprint."""
    return hashlib.sha256(der).hexdigest()


def make_self_signed_cert(
    crt_path: str | Path, key_path: str | Path, hostnames: Sequence[str] = ("localhost",)
) -> str:
    """Write a self-signed P-256 certificate and its key (mode 0600); its fingerprint.

    The names only help tools that look at them: tenants pin the fingerprint instead.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gpuchain provider gateway")])
    now = datetime.datetime.now(datetime.UTC)
    alternative: list[x509.GeneralName] = [x509.DNSName(host) for host in hostnames]
    alternative.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CERT_VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_file = Path(key_path)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    Path(crt_path).parent.mkdir(parents=True, exist_ok=True)
    Path(crt_path).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return der_fingerprint(certificate.public_bytes(serialization.Encoding.DER))


# -- what the gateway reads of the chain ----------------------------------------------------


class ChainView(Protocol):
    """The chain state the gateway checks requests against."""

    def lease(self, lease_id: market_pb2.LeaseID) -> market_pb2.Lease | None: ...

    def leases_of_provider(self, provider: str) -> list[market_pb2.Lease]: ...

    def deployment(self, owner: str, dseq: int) -> deployment_pb2.Deployment | None: ...


class NodeChainView:
    """ChainView through a node's ABCI queries, trying each RPC URL in turn."""

    def __init__(self, nodes: Sequence[str], timeout: float = 10.0) -> None:
        self.clients = [CometRpc(node, timeout=timeout) for node in nodes]

    def _query(self, path: str, request: Any, response: Any, not_found: Any) -> Any:
        failure: RpcError | None = None
        for client in self.clients:
            try:
                result = client.abci_query(path, request.SerializeToString())
            except RpcError as error:
                failure = error
                continue
            code, codespace = int(result.get("code") or 0), result.get("codespace") or ""
            if (codespace, code) == (not_found.codespace, not_found.code):
                return None
            if code:
                raise RpcError(f"query {path} failed ({codespace}/{code}): {result.get('log')}")
            response.ParseFromString(base64.b64decode(result.get("value") or ""))
            return response
        raise failure or RpcError("no node configured")

    def lease(self, lease_id: market_pb2.LeaseID) -> market_pb2.Lease | None:
        request = market_query_pb2.QueryLeaseRequest(**lease_fields(lease_id))
        found = self._query(
            LEASE_PATH, request, market_query_pb2.QueryLeaseResponse(), LEASE_NOT_FOUND
        )
        return None if found is None else found.lease

    def leases_of_provider(self, provider: str) -> list[market_pb2.Lease]:
        request = market_query_pb2.QueryLeasesRequest(provider=provider, state="active")
        found = self._query(
            LEASES_PATH, request, market_query_pb2.QueryLeasesResponse(), LEASE_NOT_FOUND
        )
        return [] if found is None else list(found.leases)

    def deployment(self, owner: str, dseq: int) -> deployment_pb2.Deployment | None:
        request = deployment_query_pb2.QueryDeploymentRequest(owner=owner, dseq=dseq)
        found = self._query(
            DEPLOYMENT_PATH,
            request,
            deployment_query_pb2.QueryDeploymentResponse(),
            DEPLOYMENT_NOT_FOUND,
        )
        return None if found is None else found.deployment


# -- the workloads the gateway reports on ---------------------------------------------------


class Workloads(Protocol):
    """What the gateway reads of the runtime (provider.runtime.Runtime)."""

    def status(self, lease_name: str) -> Sequence[Any]: ...

    def logs(self, lease_name: str, *, follow: bool = False, tail: int | str = "all") -> Any: ...


OnManifest = Callable[[market_pb2.LeaseID, Mapping[str, Any]], Sequence[Any]]


def lease_name(lease_id: market_pb2.LeaseID) -> str:
    """owner/dseq/gseq/oseq/provider: the runtime's label and the daemon's key."""
    return f"{lease_id.owner}/{lease_id.dseq}/{lease_id.gseq}/{lease_id.oseq}/{lease_id.provider}"


class RequestError(Exception):
    """A refused request: its HTTP status and the message the tenant reads."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ReplayGuard:
    """Signatures seen within the allowed skew; a second use of one is a replay.

    A signature is remembered until the gateway's clock passes its arrival plus twice the
    skew (by then its timestamp is stale anyway); arrivals are in clock order, so forgetting
    is a pop from the front, whatever the request rate.
    """

    max_skew_ms: int = MAX_SKEW_MS

    def __post_init__(self) -> None:
        self.seen: set[bytes] = set()
        self.expiries: collections.deque[tuple[int, bytes]] = collections.deque()
        self.lock = threading.Lock()

    def check(self, signature: bytes, timestamp_ms: int, now_ms: int) -> None:
        if abs(now_ms - timestamp_ms) > self.max_skew_ms:
            raise RequestError(
                401,
                f"stale timestamp: {timestamp_ms} is {abs(now_ms - timestamp_ms)} ms from the "
                f"gateway's clock ({now_ms}); at most {self.max_skew_ms} ms is allowed",
            )
        digest = hashlib.sha256(signature).digest()
        with self.lock:
            while self.expiries and self.expiries[0][0] < now_ms:
                self.seen.discard(self.expiries.popleft()[1])
            if digest in self.seen:
                raise RequestError(401, "replayed request: this signature was already used")
            self.seen.add(digest)
            self.expiries.append((max(now_ms, self._last_expiry()) + 2 * self.max_skew_ms, digest))

    def _last_expiry(self) -> int:
        return self.expiries[-1][0] - 2 * self.max_skew_ms if self.expiries else 0


def _signer(request: web.Request, body: bytes, provider: str, guard: ReplayGuard) -> str:
    """The bech32 address that signed the request; RequestError (401) saying what is wrong."""
    headers = request.headers
    missing = [h for h in (PUBKEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER) if h not in headers]
    if missing:
        raise RequestError(401, f"unsigned request: missing header {', '.join(missing)}")
    algo, _, encoded = headers[PUBKEY_HEADER].partition(":")
    try:
        key = base64.b64decode(encoded, validate=True)
        signature = base64.b64decode(headers[SIGNATURE_HEADER], validate=True)
    except (binascii.Error, ValueError):
        raise RequestError(401, "public key or signature is not valid base64") from None
    if ALGORITHMS.get(algo) != len(key):
        raise RequestError(
            401, f"{PUBKEY_HEADER} must be secp256k1:<33 bytes> or ed25519:<32 bytes> in base64"
        )
    timestamp = headers[TIMESTAMP_HEADER]
    if not timestamp.isdigit() or len(timestamp) > 15:
        raise RequestError(401, f"{TIMESTAMP_HEADER} must be milliseconds since the epoch")
    public = PublicKey(algo, key)
    message = request_sign_bytes(request.method, request.path_qs, provider, body, int(timestamp))
    if not public.verify(message, signature):
        raise RequestError(
            401, "bad signature: it does not sign this method, path, body and timestamp"
        )
    guard.check(signature, int(timestamp), time.time_ns() // 1_000_000)
    return encode_address(public.address)


def _sequence(request: web.Request, name: str, limit: int) -> int:
    text = request.match_info[name]
    if not text.isdigit() or not 0 < int(text) <= limit:
        raise RequestError(400, f"{name} must be a positive integer, not {text[:40]!r}")
    return int(text)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class Gateway:
    """The gateway of one provider; `start()` serves it on a thread of its own."""

    def __init__(
        self,
        provider: str,
        chain: ChainView,
        workloads: Workloads,
        on_manifest: OnManifest,
        *,
        cert_path: str | Path,
        key_path: str | Path,
        listen: str = "0.0.0.0:8443",
        max_body_bytes: int = MAX_BODY_BYTES,
        max_skew_ms: int = MAX_SKEW_MS,
    ) -> None:
        self.provider = provider
        self.chain = chain
        self.workloads = workloads
        self.on_manifest = on_manifest
        self.cert_path, self.key_path = Path(cert_path), Path(key_path)
        host, _, port = listen.rpartition(":")
        self.host, self.port = host or "0.0.0.0", int(port)
        self.max_body_bytes = max_body_bytes
        self.guard = ReplayGuard(max_skew_ms)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # -- the application -----------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(client_max_size=self.max_body_bytes, middlewares=[self._errors])
        lease = "/lease/{dseq}/{gseq}/{oseq}"
        app.router.add_put(f"{lease}/manifest", self._manifest)
        app.router.add_get(f"{lease}/status", self._status)
        app.router.add_get(f"{lease}/logs", self._logs)
        return app

    @web.middleware
    async def _errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except RequestError as error:
            log.info("gateway: %s %s refused: %s", request.method, request.path, error)
            return _error(error.status, str(error))
        except web.HTTPException as error:
            if error.status == 404:
                return _error(404, f"no such endpoint: {request.method} {request.path}")
            return _error(error.status, error.reason)
        except RpcError as error:
            return _error(503, f"the provider cannot reach the chain: {error}")
        except Exception as error:  # a daemon fault must not take the gateway down
            log.exception("gateway: %s %s failed", request.method, request.path)
            return _error(500, f"the provider failed: {error}")

    async def _body(self, request: web.Request) -> bytes:
        declared = request.content_length
        if declared is not None and declared > self.max_body_bytes:
            raise RequestError(
                413, f"body of {declared} bytes is over the gateway's {self.max_body_bytes}"
            )
        body = await request.content.read(self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            raise RequestError(413, f"body is over the gateway's {self.max_body_bytes} bytes")
        return body

    async def _authorized_lease(
        self, request: web.Request, body: bytes
    ) -> tuple[market_pb2.LeaseID, market_pb2.Lease]:
        """The lease the path names, owned by the request's signer and held by this provider."""
        dseq = _sequence(request, "dseq", 2**63 - 1)
        gseq = _sequence(request, "gseq", 2**32 - 1)
        oseq = _sequence(request, "oseq", 2**32 - 1)
        signer = _signer(request, body, self.provider, self.guard)
        lease_id = market_pb2.LeaseID(
            owner=signer, dseq=dseq, gseq=gseq, oseq=oseq, provider=self.provider
        )
        lease = await asyncio.to_thread(self.chain.lease, lease_id)
        if lease is not None:
            return lease_id, lease
        others = await asyncio.to_thread(self.chain.leases_of_provider, self.provider)
        for other in others:
            other_id = other.lease_id
            if (other_id.dseq, other_id.gseq, other_id.oseq) == (dseq, gseq, oseq):
                raise RequestError(
                    403,
                    f"request signed by {signer}, who does not own lease {dseq}/{gseq}/{oseq} "
                    "here: only the deployment owner may use it",
                )
        raise RequestError(
            404, f"unknown lease: {signer} has no lease {dseq}/{gseq}/{oseq} with {self.provider}"
        )

    async def _manifest(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        lease_id, lease = await self._authorized_lease(request, body)
        if lease.state != market_pb2.LEASE_STATE_ACTIVE:
            raise RequestError(409, f"lease {lease_name(lease_id)} is closed")
        try:
            manifest = json.loads(body)
        except (UnicodeDecodeError, ValueError) as error:
            raise RequestError(400, f"the manifest is not JSON: {error}") from None
        deployment = await asyncio.to_thread(self.chain.deployment, lease_id.owner, lease_id.dseq)
        if deployment is None:
            raise RequestError(404, f"deployment {lease_id.dseq} of {lease_id.owner} is gone")
        digest = hashlib.sha256(canonical_json(manifest)).hexdigest()
        if digest != deployment.manifest_hash.hex():
            raise RequestError(
                400,
                f"manifest hash {digest} does not match deployment {lease_id.dseq}'s on-chain "
                f"hash {deployment.manifest_hash.hex()}",
            )
        group = _lease_group(manifest, deployment, lease_id.gseq)
        try:
            statuses = await asyncio.to_thread(self.on_manifest, lease_id, group)
        except KeyError as error:
            raise RequestError(404, str(error.args[0] if error.args else error)) from None
        except DeployError as error:
            raise RequestError(422, f"the workload cannot run: {error}") from None
        log.info("gateway: manifest for lease %s deployed", lease_name(lease_id))
        return web.json_response(
            {"lease": lease_name(lease_id), "services": [s.to_json() for s in statuses]}
        )

    async def _status(self, request: web.Request) -> web.Response:
        lease_id, lease = await self._authorized_lease(request, await self._body(request))
        name = lease_name(lease_id)
        statuses = await asyncio.to_thread(self.workloads.status, name)
        state = "active" if lease.state == market_pb2.LEASE_STATE_ACTIVE else "closed"
        return web.json_response(
            {
                "lease": name,
                "state": state,
                "services": [s.to_json(request.url.host or "") for s in statuses],
            }
        )

    async def _logs(self, request: web.Request) -> web.StreamResponse:
        lease_id, _ = await self._authorized_lease(request, await self._body(request))
        follow = request.query.get("follow", "") in ("1", "true")
        tail = request.query.get("tail", "all")
        if tail != "all" and not tail.isdigit():
            raise RequestError(400, f"tail must be a number of lines or 'all', not {tail[:20]!r}")
        lines: Iterator[Any] = await asyncio.to_thread(
            self.workloads.logs,
            lease_name(lease_id),
            follow=follow,
            tail=int(tail) if tail.isdigit() else "all",
        )
        response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        await response.prepare(request)
        # A thread of its own reads the lines, so followers waiting for output never hold
        # the shared executor the chain queries and deploys run on.
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=LOG_QUEUE_LINES)
        hung_up = threading.Event()

        def deliver(item: bytes | None) -> bool:
            """Queue one item for the response; False once the tenant has hung up."""
            try:
                future = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
            except RuntimeError:  # the gateway stopped
                return False
            while not hung_up.is_set():
                try:
                    future.result(timeout=1)
                    return True
                except TimeoutError:
                    continue
            future.cancel()
            return False

        def read() -> None:
            try:
                for line in lines:
                    text = f"{line.service}-{line.replica} | {line.text}\n".encode()
                    if not deliver(text):
                        return
            except Exception as error:  # the engine went away: end the stream, say why
                log.warning("gateway: logs of %s ended: %s", lease_name(lease_id), error)
            deliver(None)

        threading.Thread(target=read, name="gateway-logs", daemon=True).start()
        try:
            while (chunk := await queue.get()) is not None:
                await response.write(chunk)
        except (ConnectionResetError, asyncio.CancelledError):
            # The tenant hung up; the reader ends with its next line or its containers.
            hung_up.set()
            return response
        await response.write_eof()
        return response

    # -- serving ---------------------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    async def serve(self) -> None:
        """Start listening (on this loop); `port` is the bound one afterwards."""
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self.ssl_context())
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("gateway listening on https://%s:%d", self.host, self.port)

    def start(self) -> None:
        """Serve on a thread of its own until `stop()`; returns once it listens."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.serve())
            except BaseException as error:  # reported to start()'s caller
                failure.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="gateway", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)


def _lease_group(
    manifest: Any, deployment: deployment_pb2.Deployment, gseq: int
) -> Mapping[str, Any]:
    """The manifest group of the lease's deployment group (matched by the group's name)."""
    groups = [g for g in deployment.groups if g.gseq == gseq]
    if not groups:
        raise RequestError(404, f"deployment {deployment.dseq} has no group {gseq}")
    name = groups[0].spec.name
    if isinstance(manifest, list):
        for group in manifest:
            if isinstance(group, dict) and group.get("name") == name:
                return group
    raise RequestError(400, f"the manifest has no group named {name!r} (group {gseq})")
