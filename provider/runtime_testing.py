"""Test and bench harness for the runtime: a real `dockerd`, a registry-free image, NVML stand-in.

`docker_engine()` finds a Docker engine or starts one: it uses `DOCKER_HOST` or the system
socket when an engine answers there; otherwise it installs Debian's docker.io when `dockerd`
is missing (root with apt-get only) and starts `dockerd` on its own socket under
`DOCKERD_HOME`. That engine is shared: tests on several xdist workers, other worktrees and
the benches reuse it, and it keeps running after them as a system engine would (the image
import is then paid once). What works in this sandbox (docs/provider-runtime.md): overlay2 storage,
the default bridge with `--iptables=false` (published ports go through docker-proxy, the
userland proxy, so no firewall rules are needed), cgroup v1 CPU and memory limits.
When no engine can start, the reason says why, and the tests skip with it.

`httpd_image(client)` imports the fixture image (busybox httpd serving /www on port 8080 and
logging each request) from a root filesystem of the static busybox binary: no registry.

`Marketplace` is a real node with a tenant, a provider and a stranger, and the txs that get a
lease going (provider registered with its gateway's fingerprint, deployment from SDL, a bid
that matching turns into the lease).

`nvml_standin(build_dir)` compiles tests/data/nvml_standin/ into a `libnvidia-ml.so.1` with
the system C compiler, for the real pynvml to load through LD_LIBRARY_PATH.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
from docker import DockerClient
from docker.errors import DockerException, ImageNotFound
from google.protobuf.message import Message

import sdl
from chain.coins import Coin, Coins
from chain.crypto import PrivateKey
from chain.keyring import Keyring
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.testing import LocalNode
from chain.tx import build_and_sign, tx_hash
from provider.gateway import NodeChainView
from x.deployment import msgs as deployment_msgs
from x.deployment.cli import group_spec
from x.market import msgs as market_msgs
from x.provider import msgs as provider_msgs

DOCKERD_HOME = Path(os.environ.get("GPUCHAIN_DOCKERD_HOME", "/tmp/gpuchain-dockerd"))
SYSTEM_SOCKET = "unix:///var/run/docker.sock"
DOCKERD_START_TIMEOUT_S = 60.0
# `dockerd` flags that work where the engine cannot write firewall rules; the storage driver
# is the engine's default (overlay2), then vfs where overlay mounts are refused.
DOCKERD_FLAGS = ("--iptables=false", "--ip6tables=false")
STORAGE_FALLBACK = ("--storage-driver", "vfs")

HTTPD_IMAGE = "gpuchain-test/httpd:2"
HTTPD_PORT = 8080
HTTPD_PAGE = b"gpuchain fixture\n"
BUSYBOX_APPLETS = ("sh", "httpd", "echo", "sleep", "cat", "false", "true", "env", "ls")
REPOSITORY = Path(__file__).resolve().parents[1]
NVML_STANDIN_SOURCE = REPOSITORY / "tests" / "data" / "nvml_standin"


def _answers(base_url: str) -> DockerClient | None:
    try:
        client = docker.DockerClient(base_url=base_url, timeout=60)
        client.ping()
    except DockerException:
        return None
    return client


def _apt_install(*packages: str) -> str | None:
    """Install Debian packages; the reason they could not be, if not."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"{' and '.join(packages)} missing, and apt-get install needs root on Debian"
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", *packages]
    done = subprocess.run(install, capture_output=True, text=True, env=environment, check=False)
    if done.returncode != 0:  # a fresh machine may have no package lists yet
        subprocess.run(
            ["apt-get", "update", "-q"], capture_output=True, env=environment, check=False
        )
        done = subprocess.run(install, capture_output=True, text=True, env=environment, check=False)
    if done.returncode != 0:
        return f"apt-get install {' '.join(packages)} failed: {done.stderr.strip()[-400:]}"
    return None


def _start_dockerd(extra: tuple[str, ...]) -> tuple[DockerClient | None, str]:
    socket = DOCKERD_HOME / "docker.sock"
    log_path = DOCKERD_HOME / "dockerd.log"
    command = [
        "dockerd",
        "--data-root", str(DOCKERD_HOME / "root"),
        "--exec-root", str(DOCKERD_HOME / "exec"),
        "--pidfile", str(DOCKERD_HOME / "dockerd.pid"),
        "--host", f"unix://{socket}",
        *DOCKERD_FLAGS,
        *extra,
    ]  # fmt: skip
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
    deadline = time.monotonic() + DOCKERD_START_TIMEOUT_S
    while time.monotonic() < deadline:
        client = _answers(f"unix://{socket}")
        if client is not None:
            return client, ""
        if process.poll() is not None:
            break
        time.sleep(0.2)
    if process.poll() is None:
        process.kill()
        process.wait()
    tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
    return None, f"dockerd {' '.join(extra) or '(default storage)'} did not start: " + " | ".join(
        tail
    )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def docker_engine() -> tuple[DockerClient | None, str]:
    """A client of a running Docker engine, or None and the reason none could be had."""
    candidates = [os.environ["DOCKER_HOST"]] if os.environ.get("DOCKER_HOST") else []
    candidates += [SYSTEM_SOCKET, f"unix://{DOCKERD_HOME / 'docker.sock'}"]
    for base_url in candidates:
        client = _answers(base_url)
        if client is not None:
            return client, ""
    with _locked(DOCKERD_HOME / "start.lock"):
        client = _answers(candidates[-1])  # another worker may have started it meanwhile
        if client is not None:
            return client, ""
        if shutil.which("dockerd") is None:
            reason = _apt_install("docker.io", "busybox-static")
            if reason:
                return None, reason
        reasons = []
        for extra in ((), STORAGE_FALLBACK):
            client, reason = _start_dockerd(extra)
            if client is not None:
                return client, ""
            reasons.append(reason)
        return None, "; ".join(reasons)


def _busybox() -> Path | None:
    """The static busybox binary (busybox-static), which runs in an otherwise empty image."""
    path = shutil.which("busybox")
    if path is None:
        return None
    kind = subprocess.run(["file", "-L", path], capture_output=True, text=True, check=False)
    return Path(path) if "statically linked" in kind.stdout or kind.returncode != 0 else None


def _rootfs_tar(busybox: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(busybox, arcname="bin/busybox")
        for applet in BUSYBOX_APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            tar.addfile(link)
        for folder in ("www", "tmp"):
            entry = tarfile.TarInfo(folder)
            entry.type = tarfile.DIRTYPE
            entry.mode = 0o1777 if folder == "tmp" else 0o755
            tar.addfile(entry)
        page = tarfile.TarInfo("www/index.html")
        page.size = len(HTTPD_PAGE)
        page.mode = 0o644
        tar.addfile(page, io.BytesIO(HTTPD_PAGE))
    return buffer.getvalue()


def httpd_image(client: DockerClient) -> tuple[str | None, str]:
    """The fixture image's name once it is in the engine, or None and why it is not."""
    try:
        client.images.get(HTTPD_IMAGE)
        return HTTPD_IMAGE, ""
    except ImageNotFound:
        pass
    busybox = _busybox()
    if busybox is None:
        reason = _apt_install("busybox-static")
        busybox = _busybox()
        if busybox is None:
            return None, f"no static busybox binary: {reason or 'busybox is not static'}"
    changes = [
        'CMD ["/bin/sh", "-c", "echo fixture starting; exec httpd -f -vv -p 8080 -h /www"]',
        f"EXPOSE {HTTPD_PORT}",
    ]
    repository, tag = HTTPD_IMAGE.rsplit(":", 1)
    client.api.import_image_from_data(
        _rootfs_tar(busybox), repository=repository, tag=tag, changes=changes
    )
    return HTTPD_IMAGE, ""


def nvml_standin(build_dir: Path) -> tuple[Path | None, str]:
    """Build the stand-in libnvidia-ml.so.1 into build_dir; its folder, or None and why not."""
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        return None, "no C compiler (cc) to build the NVML stand-in"
    build_dir.mkdir(parents=True, exist_ok=True)
    library = build_dir / "libnvidia-ml.so.1"
    done = subprocess.run(
        [compiler, "-shared", "-fPIC", "-O1", "-o", str(library),
         str(NVML_STANDIN_SOURCE / "nvml_standin.c")],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return None, f"the NVML stand-in did not compile: {done.stderr.strip()[-400:]}"
    return build_dir, ""


MARKET_FEE = "3000ugpc"
MARKET_GAS = 3_000_000
MARKET_FUNDS = {
    "tenant": "1000000000ugpc",
    "provider": "1000000000ugpc",
    "stranger": "1000000000ugpc",
}


@dataclass
class Marketplace:
    node: LocalNode
    keys: dict[str, PrivateKey]

    @classmethod
    def start(cls, home: Path) -> Marketplace:
        node = LocalNode(home)
        node.init(MARKET_FUNDS)
        # Nobody reports usage on these leases: none may fault while the tests use it.
        node.set_genesis_params("market", report_interval_blocks=100_000)
        node.start()
        keyring = Keyring(home, "test")
        return cls(node, {name: keyring.private_key(name) for name in MARKET_FUNDS})

    def address(self, name: str) -> str:
        return self.keys[name].bech32_address

    def send(self, signer: str, *messages: Message) -> None:
        key = self.keys[signer]
        number, sequence = self.node.account(key.bech32_address)
        raw = build_and_sign(
            key,
            list(messages),
            chain_id=self.node.chain_id,
            account_number=number,
            sequence=sequence,
            fee=Coins.parse(MARKET_FEE),
            gas_limit=MARKET_GAS,
        )
        sent = self.node.rpc.broadcast_tx_sync(raw)
        assert sent["code"] == 0, sent
        result = self.node.rpc.wait_for_tx(tx_hash(raw))["tx_result"]
        assert int(result.get("code") or 0) == 0, result

    def register_provider(self, host_uri: str, fingerprint: str) -> None:
        self.send(
            "provider",
            provider_msgs.create_provider_msg(
                self.address("provider"), host_uri, (("region", "test"),),
                Coin("ugpc", 1_000_000), "ops@example.com", "https://example.com", fingerprint,
            ),
        )  # fmt: skip

    def deploy(self, sdl_file: Path, dseq: int, owner: str = "tenant") -> None:
        parsed = sdl.parse_sdl_file(sdl_file)
        groups = [group_spec(group.to_dict()) for group in parsed.groups()]
        manifest_hash = bytes.fromhex(parsed.manifest().hash())
        self.send(
            owner,
            deployment_msgs.create_msg(
                self.address(owner), dseq, groups, manifest_hash, Coin("ugpc", 5_000_000)
            ),
        )

    def lease(self, dseq: int, owner: str = "tenant", timeout: float = 60) -> market_pb2.LeaseID:
        """Bid 1ugpc a block on the deployment's first order and wait for matching's lease."""
        order = market_msgs.order_id(self.address(owner), dseq, 1, 1)
        self.send(
            "provider",
            market_msgs.create_bid_msg(
                order, self.address("provider"), Coin("ugpc", 1), Coin("ugpc", 500_000)
            ),
        )
        lease_id = market_msgs.lease_id(self.address(owner), dseq, 1, 1, self.address("provider"))
        view = NodeChainView([self.node.rpc_address])
        deadline = time.monotonic() + timeout
        while view.lease(lease_id) is None:
            assert time.monotonic() < deadline, f"no lease for deployment {dseq} in {timeout}s"
            time.sleep(0.2)
        return lease_id
