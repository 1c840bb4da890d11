"""Cross-section checks, and the on-chain groups and manifest built from a checked SDL.

`check` applies every rule that relates sections to each other, the manifest rules and the
network limits (Akash's `validate()`, `ValidateDeploymentGroups` and `Manifest.Validate`).
`build_groups` and `build_manifest` follow Akash's group builders: services in sorted name
order, each service's placements in sorted order, one group per placement; in SDL 2.1 the
services of one group that use the same compute profile share one resource unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from sdl.errors import SdlIssue
from sdl.model import (
    DEFAULT_HTTP_OPTIONS,
    LEASED_IP,
    RANDOM_PORT,
    SHARED_HTTP,
    Attribute,
    ComputeProfile,
    Credentials,
    DeploymentEntry,
    Expose,
    ExposeTo,
    Group,
    Manifest,
    ManifestExpose,
    ManifestGroup,
    ManifestHttpOptions,
    ManifestParams,
    ManifestService,
    ManifestStorageParams,
    Requirements,
    ResourceEndpoint,
    Resources,
    ResourceUnit,
    Sdl,
    Service,
    StorageResource,
    StorageVolume,
)

KIB: Final = 1024
MIB: Final = 1024 * KIB
GIB: Final = 1024 * MIB
TIB: Final = 1024 * GIB

CPU_UNIT_MIN: Final = 10
CPU_UNIT_MAX: Final = 384_000
CPU_GROUP_MAX: Final = 19_200_000
GPU_UNIT_MAX: Final = 24
GPU_GROUP_MAX: Final = 1200
MEMORY_UNIT_MIN: Final = MIB
MEMORY_UNIT_MAX: Final = 2 * TIB
MEMORY_GROUP_MAX: Final = 100 * TIB
STORAGE_UNIT_MIN: Final = 5 * MIB
STORAGE_UNIT_MAX: Final = 32 * TIB
STORAGE_GROUP_MAX: Final = 1600 * TIB

DEFAULT_MAX_BODY_SIZE: Final = 1_048_576
MAX_BODY_SIZE: Final = 104_857_600
DEFAULT_TIMEOUT_MS: Final = 60_000
DEFAULT_NEXT_TRIES: Final = 3
DEFAULT_NEXT_CASES: Final = ("error", "timeout")
NEXT_CASES: Final = frozenset(
    {"error", "timeout", "500", "502", "503", "504", "403", "404", "429", "off"}
)
MAX_PROXY_BUFFER_SIZE: Final = 1_048_576

SERVICE_NAME: Final = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
ENV_NAME: Final = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
ENDPOINT_NAME: Final = re.compile(r"[a-z]+[a-z0-9_-]+")
DNS_LABEL: Final = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_SUBDOMAIN: Final = re.compile(rf"{DNS_LABEL}(\.{DNS_LABEL})*")


# -- checks ----------------------------------------------------------------------------------


class _Checker:
    def __init__(self, sdl: Sdl, known: list[SdlIssue]) -> None:
        self.sdl = sdl
        self.issues: list[SdlIssue] = []
        self.known_paths = {issue.path for issue in known}
        self.checked_services: set[str] = set()
        self.global_found = False
        self.used_endpoints: set[str] = set()
        self.ports_used: dict[tuple[str, int, str], str] = {}
        self.hosts_seen: dict[str, str] = {}
        self.group_tee: dict[str, str] = {}

    def fail(self, path: str, message: str) -> None:
        if self._follows_known(path):
            return
        line, column, _found = self.sdl.locate(path)
        self.issues.append(SdlIssue(path, line, column, message))

    def _follows_known(self, path: str) -> bool:
        """Whether an issue at `path` would only repeat one already found while decoding."""
        for known in self.known_paths:
            if not known or not path:
                continue
            longer, shorter = (known, path) if len(known) >= len(path) else (path, known)
            if longer.startswith(shorter) and longer[len(shorter) : len(shorter) + 1] in (
                "",
                ".",
                "[",
            ):
                return True
        return False

    def exists(self, path: str) -> bool:
        """Whether the file has something at `path` (it may have failed to decode)."""
        return self.sdl.locate(path)[2]

    def run(self) -> list[SdlIssue]:
        """Every rule in Akash's order: endpoints, each deployment entry, then the limits."""
        sdl = self.sdl
        self.endpoint_declarations()
        if not sdl.deployment:
            self.fail("deployment", "no service is deployed: at least one group is needed")
        for entry in sdl.deployment:
            compute, service = self.references(entry)
            if service is None:
                continue
            if service.name not in self.checked_services:
                self.checked_services.add(service.name)
                self.global_found |= self.service(service)
            self.exposes(entry, service)
            if compute is not None:
                self.storage_params(service, compute)
                self.tee(entry, service, compute)
        for name in sdl.endpoints:
            if name not in self.used_endpoints:
                self.fail(f"endpoints.{name}", f'endpoint "{name}" is declared but never used')
        if sdl.deployment and self.checked_services and not self.global_found:
            self.fail(
                "services",
                "no service is exposed globally: at least one expose needs to: [{global: true}]",
            )
        self.limits()
        return self.issues

    def endpoint_declarations(self) -> None:
        for name, endpoint in self.sdl.endpoints.items():
            path = f"endpoints.{name}"
            if not ENDPOINT_NAME.fullmatch(name):
                self.fail(
                    path,
                    f'endpoint name "{name}" is not valid (lowercase letters first, then '
                    "lowercase letters, digits, _ or -; at least 2 characters)",
                )
            if not endpoint.kind:
                self.fail(f"{path}.kind", f'endpoint "{name}" has no kind (expected kind: ip)')
            elif endpoint.kind != "ip":
                self.fail(f"{path}.kind", f'endpoint "{name}" has unknown kind "{endpoint.kind}"')

    def references(self, entry: DeploymentEntry) -> tuple[ComputeProfile | None, Service | None]:
        """The profile, placement, pricing and service a deployment entry names must exist."""
        sdl = self.sdl
        path = f"deployment.{entry.service}.{entry.placement}"
        compute = sdl.compute.get(entry.profile)
        placement = sdl.placements.get(entry.placement)
        service = sdl.services.get(entry.service)
        # A name that is in the file but failed to decode was reported already.
        if compute is None and (
            not entry.profile or not self.exists(f"profiles.compute.{entry.profile}")
        ):
            self.fail(f"{path}.profile", f'no compute profile named "{entry.profile}"')
        if placement is None:
            if not self.exists(f"profiles.placement.{entry.placement}"):
                self.fail(path, f'no placement profile named "{entry.placement}"')
        elif entry.profile not in placement.pricing:
            pricing_path = f"profiles.placement.{entry.placement}.pricing.{entry.profile}"
            if not self.exists(pricing_path):
                self.fail(
                    f"profiles.placement.{entry.placement}.pricing",
                    f'no pricing for profile "{entry.profile}"',
                )
        if service is None:
            self.fail(f"deployment.{entry.service}", f'no service named "{entry.service}"')
        if entry.count == 0:
            self.fail(
                f"{path}.count", "count must be at least 1 (the group would have no resources)"
            )
        return compute, service

    def exposes(self, entry: DeploymentEntry, service: Service) -> None:
        """Hostnames unique in the deployment; IPs global, declared and not reused."""
        for expose_index, expose in enumerate(service.expose):
            expose_path = f"services.{service.name}.expose[{expose_index}]"
            for host_index, host in enumerate(expose.accept):
                earlier = self.hosts_seen.get(host)
                if earlier is not None:
                    self.fail(
                        f"{expose_path}.accept[{host_index}]",
                        f'hostname "{host}" is already used by {earlier}; every hostname '
                        "must be unique in the deployment",
                    )
                else:
                    self.hosts_seen[host] = (
                        f'service "{service.name}" in placement "{entry.placement}"'
                    )
            for to_index, target in enumerate(expose.to):
                if target.ip:
                    self.ip_target(entry, service, expose, target, f"{expose_path}.to[{to_index}]")

    def ip_target(
        self,
        entry: DeploymentEntry,
        service: Service,
        expose: Expose,
        target: ExposeTo,
        path: str,
    ) -> None:
        if not target.global_:
            self.fail(
                f"{path}.ip",
                f'service "{service.name}" declares an IP, so it must also set global: true',
            )
        declared = self.sdl.endpoints.get(target.ip)
        if declared is None:
            self.fail(f"{path}.ip", f'no endpoint named "{target.ip}" exists')
            return
        if declared.kind != "ip":
            self.fail(
                f"{path}.ip",
                f'endpoint "{target.ip}" has kind "{declared.kind}", should be "ip"',
            )
        self.used_endpoints.add(target.ip)
        # Akash keys this on the raw `as` (0 when absent) and `proto` values, and counts each
        # placement of a service separately.
        port_key = (target.ip, expose.as_, expose.proto)
        other = self.ports_used.get(port_key)
        if other is not None:
            self.fail(
                f"{path}.ip",
                f'IP endpoint "{target.ip}" with as: {expose.as_} and proto '
                f'"{expose.proto}" is already used by {other}',
            )
        else:
            self.ports_used[port_key] = f'service "{service.name}" in placement "{entry.placement}"'

    def tee(self, entry: DeploymentEntry, service: Service, compute: ComputeProfile) -> None:
        tee = service.params.tee if service.params else None
        if tee is None:
            return
        path = f"services.{service.name}.params.tee"
        if tee == "cpu-gpu" and compute.gpu.units == 0:
            self.fail(
                path,
                'tee type "cpu-gpu" requires gpu resources (gpu units > 0 in profile '
                f'"{compute.name}")',
            )
        earlier = self.group_tee.setdefault(entry.placement, tee)
        if earlier != tee:
            self.fail(
                path,
                f'conflicting tee types in placement group "{entry.placement}": '
                f'"{earlier}" and "{tee}"',
            )

    def service(self, service: Service) -> bool:
        """The manifest rules for one deployed service; returns whether it exposes globally."""
        path = f"services.{service.name}"
        if not SERVICE_NAME.fullmatch(service.name):
            self.fail(
                path,
                f'service name "{service.name}" is invalid (lowercase letters, digits and -, '
                "starting with a letter)",
            )
        if not service.image.strip():
            self.fail(f"{path}.image", f'service "{service.name}" has an empty image name')
        for index, variable in enumerate(service.env or ()):
            name = variable.split("=", 1)[0]
            if not ENV_NAME.fullmatch(name):
                self.fail(f"{path}.env[{index}]", f'invalid environment variable name "{name}"')
        if service.credentials is not None:
            for key in ("host", "username", "password"):
                if not getattr(service.credentials, key).strip():
                    self.fail(f"{path}.credentials.{key}", f"registry credentials need a {key}")
        global_found = False
        for index, expose in enumerate(service.expose):
            expose_path = f"{path}.expose[{index}]"
            if expose.port == 0 and not self.exists(f"{expose_path}.port"):
                self.fail(expose_path, "port is required")
            elif not 0 < expose.port <= 65535:
                self.fail(
                    f"{expose_path}.port",
                    f"port must be between 1 and 65535 (found {expose.port or 'no value'})",
                )
            if expose.proto.upper() not in ("", "TCP", "UDP"):
                self.fail(
                    f"{expose_path}.proto",
                    f'unsupported protocol "{expose.proto}" (expected TCP or UDP)',
                )
            self.http_options(expose, f"{expose_path}.http_options")
            for host_index, host in enumerate(expose.accept):
                if len(host) > 253 or not DNS_SUBDOMAIN.fullmatch(host):
                    self.fail(
                        f"{expose_path}.accept[{host_index}]",
                        f'invalid hostname "{host}" (lowercase DNS name, no wildcards)',
                    )
            global_found |= any(target.global_ for target in expose.to)
        return global_found

    def http_options(self, expose: Expose, path: str) -> None:
        options = expose.http_options
        if options.max_body_size > MAX_BODY_SIZE:
            self.fail(
                f"{path}.max_body_size", f"body size cannot be greater than {MAX_BODY_SIZE} bytes"
            )
        for key in ("read_timeout", "send_timeout"):
            if getattr(options, key) > DEFAULT_TIMEOUT_MS:
                self.fail(f"{path}.{key}", f"cannot be greater than {DEFAULT_TIMEOUT_MS} ms")
        if options.proxy_buffer_size > MAX_PROXY_BUFFER_SIZE:
            self.fail(
                f"{path}.proxy_buffer_size",
                f"proxy buffer size cannot be greater than {MAX_PROXY_BUFFER_SIZE} bytes",
            )
        cases = options.next_cases or ()
        for index, case in enumerate(cases):
            if case not in NEXT_CASES:
                self.fail(f"{path}.next_cases[{index}]", f'next case "{case}" is unknown')
            elif case == "off" and len(cases) != 1:
                self.fail(
                    f"{path}.next_cases[{index}]",
                    "if 'off' is specified, no other cases may be specified",
                )

    def storage_params(self, service: Service, compute: ComputeProfile) -> None:
        path = f"services.{service.name}.params.storage"
        volumes = {volume.name: volume for volume in compute.storage}
        mounts: dict[str, str] = {}
        params = service.params.storage if service.params else ()
        for mount in params:
            volume = volumes.get(mount.volume)
            mount_path = f"{path}.{mount.volume}"
            if volume is None:
                self.fail(
                    mount_path,
                    f'service "{service.name}" references no compute volume named '
                    f'"{mount.volume}" (profile "{compute.name}")',
                )
                continue
            if not mount.mount.startswith("/"):
                self.fail(
                    f"{mount_path}.mount",
                    f'mount "{mount.mount}" of volume "{mount.volume}" is not an absolute path',
                )
            elif mount.mount in mounts:
                self.fail(
                    f"{mount_path}.mount",
                    f'mount point "{mount.mount}" is already used by volume '
                    f'"{mounts[mount.mount]}"',
                )
            else:
                mounts[mount.mount] = mount.volume
            if self.sdl.version == "2.1" and mount.read_only and volume.storage_class == "ram":
                self.fail(
                    f"{mount_path}.readOnly",
                    'readOnly: true is not allowed for storage class "ram"',
                )
        if self.sdl.version == "2.0" and not params:
            # Akash 2.0 shares one attribute map across volumes, so in effect a persistent
            # volume is refused only when the service mounts nothing at all.
            for volume in compute.storage:
                if volume.persistent:
                    self.fail(
                        f"profiles.compute.{compute.name}.resources.storage",
                        f'volume "{volume.name}" is persistent, which requires '
                        f"services.{service.name}.params.storage.{volume.name} to have a mount",
                    )
                    break

    def limits(self) -> None:
        """Per-instance and per-group limits of the network, and one denom everywhere."""
        sdl = self.sdl
        checked_profiles: set[str] = set()
        totals: dict[str, list[int]] = {}
        denoms: dict[str, str] = {}
        for entry in sdl.deployment:
            compute = sdl.compute.get(entry.profile)
            placement = sdl.placements.get(entry.placement)
            if compute is None or placement is None:
                continue
            if compute.name not in checked_profiles:
                checked_profiles.add(compute.name)
                self.unit_limits(compute)
            group = totals.setdefault(entry.placement, [0, 0, 0])
            group[0] += compute.cpu_millicores * entry.count
            group[1] += compute.memory_bytes * entry.count
            group[2] += compute.gpu.units * entry.count
            for volume in compute.storage:
                if volume.size * entry.count > STORAGE_GROUP_MAX:
                    self.fail(
                        f"deployment.{entry.service}.{entry.placement}.count",
                        f'volume "{volume.name}" times count exceeds the group limit of 1600Ti',
                    )
            price = placement.pricing.get(entry.profile)
            if price is not None:
                pricing_path = f"profiles.placement.{entry.placement}.pricing.{entry.profile}"
                denoms.setdefault(price.denom, pricing_path)
        for placement_name, (cpu, memory, gpu) in totals.items():
            path = f"profiles.placement.{placement_name}"
            if cpu > CPU_GROUP_MAX:
                self.fail(path, f"group total cpu {cpu}m is above the limit of {CPU_GROUP_MAX}m")
            if memory > MEMORY_GROUP_MAX:
                self.fail(path, f"group total memory {memory} bytes is above the limit of 100Ti")
            if gpu > GPU_GROUP_MAX:
                self.fail(path, f"group total gpu {gpu} is above the limit of {GPU_GROUP_MAX}")
        if len(denoms) > 1:
            names = ", ".join(sorted(denoms))
            for denom, path in sorted(denoms.items()):
                self.fail(
                    f"{path}.denom",
                    f'denom "{denom}": all prices must use one denom (found {names})',
                )

    def unit_limits(self, compute: ComputeProfile) -> None:
        path = f"profiles.compute.{compute.name}.resources"
        if not CPU_UNIT_MIN <= compute.cpu_millicores <= CPU_UNIT_MAX:
            self.fail(
                f"{path}.cpu.units",
                f"cpu must be between {CPU_UNIT_MIN}m and {CPU_UNIT_MAX}m per instance "
                f"(found {compute.cpu_millicores}m)",
            )
        if not MEMORY_UNIT_MIN <= compute.memory_bytes <= MEMORY_UNIT_MAX:
            self.fail(
                f"{path}.memory.size",
                f"memory must be between 1Mi and 2Ti per instance "
                f"(found {compute.memory_bytes} bytes)",
            )
        for index, volume in enumerate(compute.storage):
            if not STORAGE_UNIT_MIN <= volume.size <= STORAGE_UNIT_MAX:
                where = (
                    f"{path}.storage[{index}]"
                    if self.exists(f"{path}.storage[{index}]")
                    else (f"{path}.storage")
                )
                self.fail(
                    f"{where}.size",
                    f'storage volume "{volume.name}" must be between 5Mi and 32Ti '
                    f"(found {volume.size} bytes)",
                )
        if compute.gpu.units > GPU_UNIT_MAX:
            self.fail(f"{path}.gpu.units", f"gpu units must be at most {GPU_UNIT_MAX} per instance")
        if compute.gpu.units == 0 and compute.gpu.nvidia is not None:
            self.fail(f"{path}.gpu.attributes", "gpu attributes cannot be present if units is 0")


def check(sdl: Sdl, known: list[SdlIssue] | None = None) -> list[SdlIssue]:
    """Every cross-section, manifest and network-limit problem of a decoded SDL.

    `known` are the issues already found while decoding; problems that only follow from them
    (the same path, or a path inside or around one) are not repeated.
    """
    return _Checker(sdl, known or []).run()


# -- building --------------------------------------------------------------------------------

DEFAULT_MANIFEST_HTTP_OPTIONS: Final = ManifestHttpOptions(
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_TIMEOUT_MS,
    DEFAULT_TIMEOUT_MS,
    DEFAULT_NEXT_TRIES,
    0,
    DEFAULT_NEXT_CASES,
)


def endpoint_sequence_numbers(sdl: Sdl) -> dict[str, int]:
    """Akash's numbering of IP endpoints (service-to-service entries count, as "")."""
    names: list[str] = []
    for service_name in sorted({entry.service for entry in sdl.deployment}):
        for expose in sdl.services[service_name].expose:
            for target in expose.to:
                if target.global_ and not target.ip:
                    continue
                names.append(target.ip)
    names.sort()
    return {name: number for number, name in enumerate(names, start=1)}


def manifest_http_options(expose: Expose) -> ManifestHttpOptions:
    options = expose.http_options
    if options is DEFAULT_HTTP_OPTIONS:
        return DEFAULT_MANIFEST_HTTP_OPTIONS
    return ManifestHttpOptions(
        max_body_size=options.max_body_size or DEFAULT_MAX_BODY_SIZE,
        read_timeout=options.read_timeout or DEFAULT_TIMEOUT_MS,
        send_timeout=options.send_timeout or DEFAULT_TIMEOUT_MS,
        next_tries=options.next_tries or DEFAULT_NEXT_TRIES,
        next_timeout=options.next_timeout,
        next_cases=options.next_cases or DEFAULT_NEXT_CASES,
        proxy_buffer_size=options.proxy_buffer_size,
    )


def manifest_exposes(service: Service, sequence: dict[str, int]) -> tuple[ManifestExpose, ...]:
    """One entry per `to` (or one cluster-only entry), sorted by service, port, proto, global."""
    result: list[ManifestExpose] = []
    for expose in service.expose:
        options = manifest_http_options(expose)
        hosts = expose.accept or None
        if not expose.to:
            result.append(
                ManifestExpose(expose.port, expose.as_, expose.protocol, "", False, hosts, options)
            )
        for target in expose.to:
            number = sequence.get(target.ip, 0) if target.global_ and target.ip else 0
            result.append(
                ManifestExpose(
                    expose.port,
                    expose.as_,
                    expose.protocol,
                    target.service,
                    target.global_,
                    hosts,
                    options,
                    target.ip,
                    number,
                )
            )
    result.sort(key=lambda e: (e.service, e.port, e.proto, not e.global_))
    return tuple(result)


def resource_endpoints(exposes: Iterable[ManifestExpose]) -> list[ResourceEndpoint]:
    endpoints: list[ResourceEndpoint] = []
    for expose in exposes:
        if not expose.global_:
            continue
        external = expose.external_port or expose.port
        kind = SHARED_HTTP if expose.proto == "TCP" and external == 80 else RANDOM_PORT
        endpoints.append(ResourceEndpoint(kind, 0))
        if expose.ip:
            endpoints.append(ResourceEndpoint(LEASED_IP, expose.endpoint_sequence_number))
    return endpoints


def _go_volume_less(a: StorageVolume, b: StorageVolume) -> bool:
    """Akash's volume comparison, copied as is (it is not a strict order)."""
    if a.size != b.size:
        return a.size < b.size
    a_text = _attribute(a.chain_attributes, "persistent")
    b_text = _attribute(b.chain_attributes, "persistent")
    if (a_text is None and b_text is not None) or (
        a_text is not None and b_text is not None and a_text < b_text
    ):
        return True
    if a_text is not None and b_text is None:
        return False
    if a_text != "true":
        return True
    if b_text != "true":
        return False
    return a.name < b.name


def _attribute(attributes: tuple[Attribute, ...], key: str) -> str | None:
    for attribute in attributes:
        if attribute.key == key:
            return attribute.value
    return None


def akash_volume_order(volumes: tuple[StorageVolume, ...]) -> list[StorageVolume]:
    """The order Akash's stable insertion sort leaves volumes in (it has under 20 of them)."""
    ordered = list(volumes)
    for i in range(1, len(ordered)):
        j = i
        while j > 0 and _go_volume_less(ordered[j], ordered[j - 1]):
            ordered[j], ordered[j - 1] = ordered[j - 1], ordered[j]
            j -= 1
    return ordered


def _resources(
    compute: ComputeProfile,
    unit_id: int,
    endpoints: list[ResourceEndpoint],
    storage_cache: dict[str, tuple[StorageResource, ...]],
) -> Resources:
    storage = storage_cache.get(compute.name)
    if storage is None:
        storage = storage_cache[compute.name] = tuple(
            StorageResource(volume.name, volume.size, volume.chain_attributes)
            for volume in akash_volume_order(compute.storage)
        )
    return Resources(
        id=unit_id,
        cpu_millicores=compute.cpu_millicores,
        memory_bytes=compute.memory_bytes,
        storage=storage,
        gpu_units=compute.gpu.units,
        endpoints=tuple(endpoints),
        cpu_attributes=compute.cpu_attributes,
        gpu_attributes=compute.gpu.attributes,
    )


@dataclass
class _GroupDraft:
    name: str
    attributes: list[Attribute] | None
    all_of: tuple[str, ...] | None
    any_of: tuple[str, ...] | None
    tee: str | None = None
    units: list[ResourceUnit] = field(default_factory=list)
    unit_by_profile: dict[str, int] = field(default_factory=dict)
    services: list[ManifestService] = field(default_factory=list)


def _build(sdl: Sdl) -> list[_GroupDraft]:
    sequence = endpoint_sequence_numbers(sdl)
    drafts: dict[str, _GroupDraft] = {}
    storage_cache: dict[str, tuple[StorageResource, ...]] = {}
    shared_units = sdl.version != "2.0"
    for entry in sdl.deployment:
        compute = sdl.compute[entry.profile]
        service = sdl.services[entry.service]
        placement = sdl.placements[entry.placement]
        price = placement.pricing[entry.profile]
        draft = drafts.get(entry.placement)
        if draft is None:
            attributes = list(placement.attributes) if placement.attributes is not None else None
            draft = _GroupDraft(
                entry.placement, attributes, placement.signed_by_all_of, placement.signed_by_any_of
            )
            drafts[entry.placement] = draft
        tee = service.params.tee if service.params else None
        if tee is not None and draft.tee is None:
            draft.tee = tee
            draft.attributes = sorted(
                [*(draft.attributes or []), Attribute("tee/type", tee)], key=lambda a: a.key
            )
        exposes = manifest_exposes(service, sequence)
        endpoints = resource_endpoints(exposes)
        location = draft.unit_by_profile.get(entry.profile) if shared_units else None
        if location is None:
            unit_id = len(draft.units) + 1
            resources = _resources(compute, unit_id, endpoints, storage_cache)
            draft.units.append(ResourceUnit(resources, entry.count, price))
            draft.unit_by_profile[entry.profile] = len(draft.units) - 1
        else:
            unit = draft.units[location]
            unit_id = unit.resources.id
            merged = sorted(
                [*unit.resources.endpoints, *endpoints], key=lambda e: e.sequence_number
            )
            draft.units[location] = ResourceUnit(
                _replace_endpoints(unit.resources, merged), unit.count + entry.count, unit.price
            )
            resources = _resources(compute, unit_id, endpoints, storage_cache)
        draft.services.append(
            ManifestService(
                name=service.name,
                image=service.image,
                command=service.command or None,
                args=service.args or None,
                env=service.env or None,
                resources=resources,
                count=entry.count,
                expose=exposes,
                params=_manifest_params(service),
                credentials=_manifest_credentials(service.credentials, sdl.version),
            )
        )
    return [drafts[name] for name in sorted(drafts)]


def _replace_endpoints(resources: Resources, endpoints: list[ResourceEndpoint]) -> Resources:
    from dataclasses import replace

    return replace(resources, endpoints=tuple(endpoints))


def _manifest_params(service: Service) -> ManifestParams | None:
    params = service.params
    if params is None:
        return None
    storage = tuple(
        ManifestStorageParams(mount.volume, mount.mount, mount.read_only)
        for mount in sorted(params.storage, key=lambda m: m.volume)
    )
    return ManifestParams(
        storage=storage or None,
        permissions_read=params.permissions_read or None,
        has_permissions=params.permissions_read is not None,
        tee_type=params.tee,
    )


def _manifest_credentials(credentials: Credentials | None, version: str) -> Credentials | None:
    if credentials is None:
        return None
    if version == "2.0":  # Akash's 2.0 builder copies the fields as written and drops email
        return Credentials(credentials.host, credentials.username, credentials.password, "")
    return Credentials(
        credentials.host.strip(),
        credentials.username.strip(),
        credentials.password.strip(),
        credentials.email.strip(),
    )


def build(sdl: Sdl) -> tuple[list[Group], Manifest]:
    """The on-chain group specs (sorted by placement name) and the manifest, built together."""
    drafts = _build(sdl)
    return _groups(drafts), _manifest(drafts, sdl.version)


def build_groups(sdl: Sdl) -> list[Group]:
    """The on-chain group specs, sorted by placement name."""
    return _groups(_build(sdl))


def build_manifest(sdl: Sdl) -> Manifest:
    """The manifest: per group, its services sorted by name."""
    return _manifest(_build(sdl), sdl.version)


def _groups(drafts: list[_GroupDraft]) -> list[Group]:
    return [
        Group(
            draft.name,
            Requirements(
                tuple(draft.attributes) if draft.attributes is not None else None,
                draft.all_of,
                draft.any_of,
            ),
            tuple(draft.units),
        )
        for draft in drafts
    ]


def _manifest(drafts: list[_GroupDraft], version: str) -> Manifest:
    groups = tuple(
        ManifestGroup(draft.name, tuple(sorted(draft.services, key=lambda s: s.name)))
        for draft in drafts
    )
    return Manifest(groups, version)
