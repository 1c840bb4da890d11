"""A Docker engine for the provider daemon where none runs, and the demo's image, no registry.

`docker_engine()` finds a Docker engine or starts one: it uses `DOCKER_HOST` or the system
socket when an engine answers there; otherwise it installs Debian's docker.io when `dockerd`
is missing (root with apt-get only) and starts `dockerd` on its own socket under
`DOCKERD_HOME`. That engine is shared: the localnet's providers, tests on several xdist
workers, other worktrees and the benches reuse it, and it keeps running after them as a
system engine would (the image import is then paid once). What works in this sandbox
(docs/provider-runtime.md): overlay2 storage, the default bridge with `--iptables=false`
(published ports go through docker-proxy, the userland proxy, so no firewall rules are
needed), cgroup v1 CPU and memory limits. When no engine can start, the reason says why.
`engine_url()` is the address of that engine, for provider.yaml's docker_host.

`httpd_image(client)` imports the httpd image (busybox httpd serving /www on port 8080 and
logging each request) from a root filesystem of the static busybox binary.
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
from pathlib import Path

import docker
from docker import DockerClient
from docker.errors import DockerException, ImageNotFound

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


def engine_url() -> str:
    """The address of the engine docker_engine() finds, for provider.yaml's docker_host."""
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    if Path(SYSTEM_SOCKET.removeprefix("unix://")).exists():
        return SYSTEM_SOCKET
    return f"unix://{DOCKERD_HOME / 'docker.sock'}"
