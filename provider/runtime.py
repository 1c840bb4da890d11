"""The provider's workloads on a real Docker engine, through the docker SDK.

A lease's manifest group (Akash's manifest JSON, as `sdl.Manifest.to_dict()` writes it and
the tenant sends it) becomes one container per service replica. Each container carries
labels naming its lease, service and replica, so a restarted daemon finds its containers
again (`adopt`) instead of tearing leases down. CPU and memory limits come from the service's
resources; GPUs are handed over by UUID through a device request, never shared between
leases; env, command and args come from the manifest; every exposed port is published on a
host port the engine picks.
"""

from __future__ import annotations

import hashlib
import queue
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from docker import DockerClient
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.models.containers import Container
from docker.types import DeviceRequest
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout

LEASE_LABEL: Final = "gpuchain.lease"
GROUP_LABEL: Final = "gpuchain.group"
SERVICE_LABEL: Final = "gpuchain.service"
REPLICA_LABEL: Final = "gpuchain.replica"
REPLICAS_LABEL: Final = "gpuchain.replicas"
GPUS_LABEL: Final = "gpuchain.gpus"
# Workloads are services: the engine restarts one that fails, up to this many times in a row.
RESTART_POLICY: Final = {"Name": "on-failure", "MaximumRetryCount": 5}
STARTUP_GRACE_S: Final = 2.0
LOG_TAIL_LINES: Final = 20
NANO_CPUS_PER_MILLICORE: Final = 1_000_000
MAX_REPLICAS: Final = 64
SERVICE_NAME: Final = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


class DeployError(Exception):
    """A manifest group that cannot run here, or a workload that failed; the message says why."""


@dataclass(frozen=True)
class ExposedPort:
    """One exposed port of a service and where the host publishes it."""

    port: int
    proto: str
    host_port: int
    host_ip: str


@dataclass(frozen=True)
class ServiceStatus:
    """One service of a lease: replicas ready out of total, published ports, containers."""

    name: str
    ready: int
    total: int
    ports: tuple[ExposedPort, ...] = ()
    containers: tuple[str, ...] = ()
    gpus: tuple[str, ...] = ()
    message: str = ""

    def to_json(self, advertised_host: str = "") -> dict[str, Any]:
        """The gateway's status entry; URIs use `advertised_host` where one is known."""
        return {
            "name": self.name,
            "ready": self.ready,
            "total": self.total,
            "ports": [
                {
                    "port": p.port,
                    "proto": p.proto,
                    "host_port": p.host_port,
                    "host_ip": p.host_ip,
                    "uri": f"{advertised_host or p.host_ip}:{p.host_port}",
                }
                for p in self.ports
            ],
            "containers": list(self.containers),
            "gpus": list(self.gpus),
            "message": self.message,
        }


@dataclass(frozen=True)
class LogLine:
    service: str
    replica: int
    text: str


@dataclass(frozen=True)
class ServiceSpec:
    """What the runtime reads of one manifest service."""

    name: str
    image: str
    command: tuple[str, ...] | None
    args: tuple[str, ...] | None
    env: tuple[str, ...]
    count: int
    cpu_millicores: int
    memory_bytes: int
    gpu_units: int
    exposes: tuple[tuple[int, str], ...] = field(default=())
    registry_auth: dict[str, str] | None = None  # the manifest's credentials, for pulling


def _field(entry: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = entry.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise DeployError(f"{where}.{key} must be a {kind.__name__}, not {value!r:.60}")
    return value


def _quantity(resources: Mapping[str, Any], path: tuple[str, ...], where: str) -> int:
    value: Any = resources
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    if not isinstance(value, str) or not value.isdigit():
        raise DeployError(f"{where}.{'.'.join(path)} must be an integer string, not {value!r:.60}")
    return int(value)


def _strings(entry: Mapping[str, Any], key: str, where: str) -> tuple[str, ...] | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DeployError(f"{where}.{key} must be a list of strings or null")
    return tuple(value)


def _registry_auth(credentials: Any, where: str) -> dict[str, str] | None:
    """A private registry's login from the manifest's `credentials` (Akash's fields)."""
    if credentials is None:
        return None
    if not isinstance(credentials, Mapping):
        raise DeployError(f"{where}.credentials must be an object or null")
    auth = {
        key: credentials.get(key)
        for key in ("username", "password", "email")
        if credentials.get(key) is not None
    }
    if not all(isinstance(value, str) for value in auth.values()) or not auth.get("username"):
        raise DeployError(f"{where}.credentials needs a username and a password (strings)")
    host = credentials.get("host")
    if isinstance(host, str) and host:
        auth["serveraddress"] = host
    return {key: str(value) for key, value in auth.items()}


def parse_service(entry: Any, where: str) -> ServiceSpec:
    """One service of a manifest group; DeployError naming the field that is wrong."""
    if not isinstance(entry, Mapping):
        raise DeployError(f"{where} must be an object")
    name = _field(entry, "name", str, where)
    if not SERVICE_NAME.fullmatch(name):
        raise DeployError(f"{where}.name {name!r:.60} is not a valid service name")
    image = _field(entry, "image", str, where)
    if not image:
        raise DeployError(f"{where}.image is empty")
    count = _field(entry, "count", int, where)
    if not 1 <= count <= MAX_REPLICAS:
        raise DeployError(f"{where}.count must be 1..{MAX_REPLICAS}, not {count}")
    resources = _field(entry, "resources", dict, where)
    exposes = []
    for index, expose in enumerate(entry.get("expose") or []):
        at = f"{where}.expose[{index}]"
        if not isinstance(expose, Mapping):
            raise DeployError(f"{at} must be an object")
        port = _field(expose, "port", int, at)
        if not 1 <= port <= 65535:
            raise DeployError(f"{at}.port must be 1..65535, not {port}")
        proto = str(expose.get("proto") or "TCP").lower()
        if proto not in ("tcp", "udp"):
            raise DeployError(f"{at}.proto must be TCP or UDP, not {expose.get('proto')!r:.20}")
        if (port, proto) not in exposes:
            exposes.append((port, proto))
    return ServiceSpec(
        name=name,
        image=image,
        command=_strings(entry, "command", where),
        args=_strings(entry, "args", where),
        env=_strings(entry, "env", where) or (),
        count=count,
        cpu_millicores=_quantity(resources, ("cpu", "units", "val"), f"{where}.resources"),
        memory_bytes=_quantity(resources, ("memory", "size", "val"), f"{where}.resources"),
        gpu_units=_quantity(resources, ("gpu", "units", "val"), f"{where}.resources"),
        exposes=tuple(exposes),
        registry_auth=_registry_auth(entry.get("credentials"), where),
    )


def parse_group(group: Any) -> tuple[str, list[ServiceSpec]]:
    """A manifest group's name and its services, checked."""
    if not isinstance(group, Mapping):
        raise DeployError("the manifest group must be an object with name and services")
    name = _field(group, "name", str, "group")
    services = _field(group, "services", list, "group")
    if not services:
        raise DeployError("group.services is empty: nothing to run")
    specs = [parse_service(entry, f"services[{i}]") for i, entry in enumerate(services)]
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise DeployError(f"service names repeat in group {name!r}: {names}")
    return name, specs


def container_name(lease_name: str, service: str, replica: int) -> str:
    """A unique, readable container name: lease name digest, service, replica."""
    digest = hashlib.sha256(lease_name.encode()).hexdigest()[:12]
    return f"gpuchain-{digest}-{service}-{replica}"


def _labels(container: Container) -> dict[str, str]:
    labels: dict[str, str] = container.labels
    return labels


def _ports(container: Container) -> tuple[ExposedPort, ...]:
    published = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
    result = []
    for key, bindings in sorted(published.items()):
        port, _, proto = key.partition("/")
        for binding in bindings or []:
            if ":" in binding.get("HostIp", ""):
                continue  # the IPv6 twin of the same published port
            result.append(
                ExposedPort(int(port), proto, int(binding["HostPort"]), binding["HostIp"])
            )
    return tuple(result)


def _state(container: Container) -> dict[str, Any]:
    state: dict[str, Any] = container.attrs.get("State") or {}
    return state


def _tail(container: Container) -> str:
    try:
        text = container.logs(tail=LOG_TAIL_LINES).decode(errors="replace").strip()
    except DockerException:
        return ""
    return " | ".join(text.splitlines()[-LOG_TAIL_LINES:])


class Runtime:
    """Leases' containers on one Docker engine."""

    def __init__(
        self,
        client: DockerClient,
        *,
        publish_ip: str = "0.0.0.0",
        startup_grace_s: float = STARTUP_GRACE_S,
        pull: bool = True,
    ) -> None:
        self.client = client
        self.publish_ip = publish_ip
        self.startup_grace_s = startup_grace_s
        self.pull = pull

    # -- containers by label -------------------------------------------------------------

    def _containers(self, lease_name: str | None = None) -> list[Container]:
        label = LEASE_LABEL if lease_name is None else f"{LEASE_LABEL}={lease_name}"
        found: list[Container] = self.client.containers.list(all=True, filters={"label": label})
        return sorted(
            found,
            key=lambda c: (
                _labels(c).get(LEASE_LABEL, ""),
                _labels(c).get(SERVICE_LABEL, ""),
                int(_labels(c).get(REPLICA_LABEL, "0")),
            ),
        )

    def _gpus_in_use(self, except_lease: str) -> dict[str, str]:
        in_use = {}
        for container in self._containers():
            lease = _labels(container).get(LEASE_LABEL, "")
            if lease == except_lease:
                continue
            for uuid in filter(None, _labels(container).get(GPUS_LABEL, "").split(",")):
                in_use[uuid] = lease
        return in_use

    # -- deploy ---------------------------------------------------------------------------

    def _ensure_image(self, image: str, auth: dict[str, str] | None) -> None:
        try:
            self.client.images.get(image)
            return
        except ImageNotFound:
            pass
        if not self.pull:
            raise DeployError(f"image {image!r} is not on this host (pulling is off)")
        try:
            self.client.images.pull(image, auth_config=auth)
        except DockerException as error:
            reason = getattr(error, "explanation", None) or str(error)
            raise DeployError(
                f"image {image!r} does not exist here and cannot be pulled: {reason}"
            ) from None

    def _assign_gpus(
        self, lease_name: str, specs: list[ServiceSpec], gpus: Sequence[str]
    ) -> dict[tuple[str, int], tuple[str, ...]]:
        needed = sum(spec.gpu_units * spec.count for spec in specs)
        if needed > len(gpus):
            raise DeployError(
                f"the group needs {needed} GPUs but the lease was given {len(gpus)}: {list(gpus)}"
            )
        taken = self._gpus_in_use(lease_name)
        clashes = sorted(uuid for uuid in gpus if uuid in taken)
        if clashes:
            raise DeployError(
                f"GPU {clashes[0]} is already assigned to lease {taken[clashes[0]]}: "
                "GPUs are never shared"
            )
        assigned = {}
        remaining = list(gpus)
        for spec in specs:
            for replica in range(spec.count):
                assigned[spec.name, replica] = tuple(remaining[: spec.gpu_units])
                del remaining[: spec.gpu_units]
        return assigned

    def _create(
        self,
        lease_name: str,
        group_name: str,
        spec: ServiceSpec,
        replica: int,
        gpus: tuple[str, ...],
    ) -> Container:
        labels = {
            LEASE_LABEL: lease_name,
            GROUP_LABEL: group_name,
            SERVICE_LABEL: spec.name,
            REPLICA_LABEL: str(replica),
            REPLICAS_LABEL: str(spec.count),
            GPUS_LABEL: ",".join(gpus),
        }
        device_requests = (
            [DeviceRequest(driver="nvidia", device_ids=list(gpus), capabilities=[["gpu"]])]
            if gpus
            else None
        )
        try:
            container: Container = self.client.containers.create(
                spec.image,
                name=container_name(lease_name, spec.name, replica),
                entrypoint=list(spec.command) if spec.command else None,
                command=list(spec.args) if spec.args is not None else None,
                environment=list(spec.env),
                labels=labels,
                nano_cpus=spec.cpu_millicores * NANO_CPUS_PER_MILLICORE,
                mem_limit=spec.memory_bytes,
                device_requests=device_requests,
                ports={f"{port}/{proto}": (self.publish_ip, None) for port, proto in spec.exposes},
                restart_policy=dict(RESTART_POLICY),
                detach=True,
            )
        except APIError as error:
            raise DeployError(
                f"service {spec.name!r} replica {replica} cannot be created: "
                f"{error.explanation or error}"
            ) from None
        return container

    def _start(self, container: Container, spec: ServiceSpec, replica: int) -> None:
        try:
            container.start()
        except APIError as error:
            raise DeployError(
                f"service {spec.name!r} replica {replica} cannot start: "
                f"{error.explanation or error}"
            ) from None

    def _check_started(self, containers: list[tuple[Container, ServiceSpec, int]]) -> None:
        """Refuse a workload that exits within the startup grace, with its exit code and logs."""
        deadline = time.monotonic() + self.startup_grace_s
        for container, spec, replica in containers:
            remaining = deadline - time.monotonic()
            exited = False
            if remaining > 0:
                try:
                    container.wait(timeout=remaining, condition="not-running")
                    exited = True
                except (ReadTimeout, RequestsConnectionError):
                    pass
            container.reload()
            state = _state(container)
            if (
                exited
                or state.get("Status") in ("exited", "dead")
                or container.attrs.get("RestartCount", 0)
            ):
                raise DeployError(
                    f"service {spec.name!r} replica {replica} exited at once with code "
                    f"{state.get('ExitCode')}: {_tail(container) or '(no output)'}"
                )

    def deploy(
        self, lease_name: str, group: Mapping[str, Any], gpus: Sequence[str] = ()
    ) -> list[ServiceStatus]:
        """Run a lease's manifest group (replacing what ran for it before); its status.

        `gpus` are the UUIDs reserved for the lease, handed out to the replicas in order.
        DeployError when the group is malformed, an image is missing, a GPU is another
        lease's, or a container exits at once (the lease's containers are then removed).
        """
        group_name, specs = parse_group(group)
        for spec in sorted(specs, key=lambda spec: spec.image):
            self._ensure_image(spec.image, spec.registry_auth)
        assignment = self._assign_gpus(lease_name, specs, gpus)
        self.remove(lease_name)
        try:
            created = []
            for spec in specs:
                for replica in range(spec.count):
                    container = self._create(
                        lease_name, group_name, spec, replica, assignment[spec.name, replica]
                    )
                    created.append((container, spec, replica))
            for container, spec, replica in created:
                self._start(container, spec, replica)
            self._check_started(created)
        except (DeployError, DockerException):
            self.remove(lease_name)
            raise
        return self.status(lease_name)

    # -- status, logs, removal, adoption ---------------------------------------------------

    @staticmethod
    def _statuses(containers: list[Container]) -> list[ServiceStatus]:
        by_service: dict[str, list[Container]] = {}
        for container in containers:
            by_service.setdefault(_labels(container).get(SERVICE_LABEL, ""), []).append(container)
        statuses = []
        for name, members in sorted(by_service.items()):
            labels = _labels(members[0])
            ready = [c for c in members if _state(c).get("Running")]
            messages = sorted(
                {
                    f"{_state(c).get('Status')} (exit code {_state(c).get('ExitCode')})"
                    for c in members
                    if not _state(c).get("Running")
                }
            )
            statuses.append(
                ServiceStatus(
                    name=name,
                    ready=len(ready),
                    total=int(labels.get(REPLICAS_LABEL, len(members))),
                    ports=tuple(p for c in members for p in _ports(c)),
                    containers=tuple(c.name for c in members),
                    gpus=tuple(
                        uuid
                        for c in members
                        for uuid in _labels(c).get(GPUS_LABEL, "").split(",")
                        if uuid
                    ),
                    message="; ".join(messages),
                )
            )
        return statuses

    def status(self, lease_name: str) -> list[ServiceStatus]:
        """Per service, replicas ready out of total and published ports; [] for no containers."""
        return self._statuses(self._containers(lease_name))

    def remove(self, lease_name: str) -> int:
        """Remove every container of a lease (running or not); how many there were."""
        removed = 0
        for container in self._containers(lease_name):
            try:
                container.remove(force=True, v=True)
            except NotFound:
                continue  # removed meanwhile: what we wanted
            removed += 1
        return removed

    def adopt(self) -> dict[str, list[ServiceStatus]]:
        """Every lease that has containers on this engine, found by label, with its status."""
        by_lease: dict[str, list[Container]] = {}
        for container in self._containers():
            by_lease.setdefault(_labels(container)[LEASE_LABEL], []).append(container)
        return {lease: self._statuses(members) for lease, members in sorted(by_lease.items())}

    def gpus(self, lease_name: str) -> list[str]:
        """The GPU UUIDs the lease's containers hold (for metering)."""
        return [uuid for status in self.status(lease_name) for uuid in status.gpus]

    def logs(
        self, lease_name: str, *, follow: bool = False, tail: int | str = "all"
    ) -> Iterator[LogLine]:
        """The lease's log lines (stdout and stderr), per container; merged live with `follow`.

        Following starts reading at once (lines written after this call are never missed);
        the iterator ends once every container has stopped, and closing it early (the tenant
        hung up) leaves the reader threads to end with their streams.
        """
        containers = self._containers(lease_name)
        if follow:
            return self._follow(containers, tail)
        lines = []
        for container in containers:
            labels = _labels(container)
            text = container.logs(tail=tail).decode(errors="replace")
            for line in text.splitlines():
                lines.append(LogLine(labels[SERVICE_LABEL], int(labels[REPLICA_LABEL]), line))
        return iter(lines)

    @staticmethod
    def _follow(containers: list[Container], tail: int | str) -> Iterator[LogLine]:
        lines: queue.Queue[LogLine | None] = queue.Queue(maxsize=1024)
        streams = [(c, c.logs(stream=True, follow=True, tail=tail)) for c in containers]

        def read(container: Container, stream: Iterator[bytes]) -> None:
            labels = _labels(container)
            service, replica = labels[SERVICE_LABEL], int(labels[REPLICA_LABEL])
            pending = b""
            try:
                for chunk in stream:
                    pending += chunk
                    *complete, pending = pending.split(b"\n")
                    for line in complete:
                        lines.put(LogLine(service, replica, line.decode(errors="replace")))
                if pending:
                    lines.put(LogLine(service, replica, pending.decode(errors="replace")))
            except DockerException:
                pass
            finally:
                lines.put(None)

        for container, stream in streams:
            threading.Thread(target=read, args=(container, stream), daemon=True).start()

        def merged() -> Iterator[LogLine]:
            open_streams = len(streams)
            while open_streams:
                item = lines.get()
                if item is None:
                    open_streams -= 1
                else:
                    yield item

        return merged()
