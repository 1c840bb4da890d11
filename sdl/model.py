"""The parsed SDL as plain frozen dataclasses.

All quantities are integers: CPU in millicores, memory, storage and GPU RAM in bytes, prices in
10^-18 units of their denom (see `units.PRICE_SCALE`). Mappings are kept sorted by key, so
two files that differ only in key order, quoting or layout parse to equal objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar, cast, dataclass_transform

from sdl.units import format_price_amount
from sdl.yamlsafe import YNode, locate

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[_T]) -> type[_T]:
    """`@dataclass(frozen=True)` with a faster constructor.

    The standard frozen constructor sets each field through `object.__setattr__`, which makes
    building the many small objects of a parse several times slower; this one writes the
    instance dict directly. Instances stay immutable (assignment still raises).
    """
    made = dataclass(frozen=True)(cls)
    namespace: dict[str, Any] = {"_MISSING": MISSING}
    parameters, body = [], []
    for item in fields(cast(Any, made)):
        name = item.name
        if item.default is not MISSING:
            namespace[f"_default_{name}"] = item.default
            parameters.append(f"{name}=_default_{name}")
        elif item.default_factory is not MISSING:
            namespace[f"_factory_{name}"] = item.default_factory
            parameters.append(f"{name}=_MISSING")
            body.append(f"    if {name} is _MISSING: {name} = _factory_{name}()")
        else:
            parameters.append(name)
        body.append(f"    values[{name!r}] = {name}")
    source = f"def __init__(self, {', '.join(parameters)}):\n    values = self.__dict__\n"
    exec(source + "\n".join(body) + "\n", namespace)
    namespace["__init__"].__qualname__ = f"{made.__qualname__}.__init__"
    made.__init__ = namespace["__init__"]  # type: ignore[method-assign]
    return made


@frozen
class Attribute:
    """A key/value pair as the chain stores it (placement, cpu, storage and gpu attributes)."""

    key: str
    value: str


@frozen
class HttpOptions:
    """`expose[].http_options` as written; 0 or None means "use the default"."""

    max_body_size: int = 0
    read_timeout: int = 0
    send_timeout: int = 0
    next_tries: int = 0
    next_timeout: int = 0
    next_cases: tuple[str, ...] | None = None
    proxy_buffer_size: int = 0


DEFAULT_HTTP_OPTIONS = HttpOptions()


@frozen
class ExposeTo:
    """One `expose[].to[]` entry: another service, or the world (`global`), maybe on an IP."""

    service: str = ""
    global_: bool = False
    ip: str = ""


@frozen
class Expose:
    """One `services.<name>.expose[]` entry. `proto` is the raw text ("" when absent)."""

    port: int
    as_: int = 0
    proto: str = ""
    to: tuple[ExposeTo, ...] = ()
    accept: tuple[str, ...] = ()
    http_options: HttpOptions = DEFAULT_HTTP_OPTIONS

    @property
    def protocol(self) -> str:
        """ "TCP" or "UDP" (the proto is checked when the SDL is validated)."""
        return "UDP" if self.proto.upper() == "UDP" else "TCP"


@frozen
class StorageMount:
    """`services.<name>.params.storage.<volume>`: where a compute volume is mounted."""

    volume: str
    mount: str
    read_only: bool = False


@frozen
class ServiceParams:
    """`services.<name>.params`."""

    storage: tuple[StorageMount, ...] = ()
    permissions_read: tuple[str, ...] | None = None
    tee: str | None = None


@frozen
class Credentials:
    """Private registry login for a service's image."""

    host: str = ""
    username: str = ""
    password: str = ""
    email: str = ""


@frozen
class Service:
    """`services.<name>`."""

    name: str
    image: str = ""
    command: tuple[str, ...] | None = None
    args: tuple[str, ...] | None = None
    env: tuple[str, ...] | None = None
    expose: tuple[Expose, ...] = ()
    params: ServiceParams | None = None
    credentials: Credentials | None = None


STORAGE_CLASSES = ("default", "beta1", "beta2", "beta3", "ram")
_STORAGE_BOOLS = {"true": "true", "yes": "true", "on": "true", "false": "false", "no": "false"}
_STORAGE_BOOLS["off"] = "false"


def storage_attribute_problems(raw: Mapping[str, str]) -> list[tuple[str, str]]:
    """What Akash refuses in a volume's attributes, as (attribute, message) pairs."""
    problems: list[tuple[str, str]] = []
    persistent = raw.get("persistent", "false")
    storage_class = raw.get("class", "")
    # Akash compares the raw text here, before normalising the boolean.
    if storage_class == "ram" and persistent != "false":
        problems.append(("persistent", 'storage class "ram" cannot be persistent'))
    elif storage_class not in ("", "ram") and persistent == "false":
        problems.append(
            (
                "class",
                f'ephemeral storage must not set a class ("{storage_class}" needs '
                "persistent: true)",
            )
        )
    if persistent not in _STORAGE_BOOLS:
        problems.append(
            ("persistent", f'invalid value "{persistent}" for persistent: expected true or false')
        )
    if "class" in raw and storage_class not in STORAGE_CLASSES:
        problems.append(
            (
                "class",
                f'unknown storage class "{storage_class}" (allowed: {", ".join(STORAGE_CLASSES)})',
            )
        )
    return problems


def storage_attributes(raw: Mapping[str, str]) -> tuple[Attribute, ...]:
    """Akash's normalised volume attributes (persistent always set, default class), sorted."""
    values = dict(raw)
    persistent = values.setdefault("persistent", "false")
    if not values.get("class") and persistent == "true":
        values["class"] = "default"
    values["persistent"] = _STORAGE_BOOLS.get(persistent, persistent)
    return tuple(Attribute(key, values[key]) for key in sorted(values))


@frozen
class StorageVolume:
    """One storage volume of a compute profile, in file order.

    `attributes` holds the attributes as written (sorted by key), or None when the file gives
    none; `chain_attributes` is Akash's normalised form that goes on chain.
    """

    name: str
    size: int
    attributes: tuple[Attribute, ...] | None = None

    @property
    def chain_attributes(self) -> tuple[Attribute, ...]:
        if self.attributes is None:
            return ()
        return storage_attributes({a.key: a.value for a in self.attributes})

    @property
    def persistent(self) -> bool:
        return any(a.key == "persistent" and a.value == "true" for a in self.chain_attributes)

    @property
    def storage_class(self) -> str | None:
        for attribute in self.chain_attributes:
            if attribute.key == "class":
                return attribute.value
        return None


@frozen
class GpuModel:
    """One `vendor.nvidia[]` entry; `ram` in bytes."""

    model: str
    ram: int | None = None
    interface: str | None = None

    @property
    def attribute_key(self) -> str:
        key = f"vendor/nvidia/model/{self.model}"
        if self.ram is not None:
            key += f"/ram/{self.ram // 2**30}Gi"
        if self.interface is not None:
            key += f"/interface/{self.interface}"
        return key


@frozen
class Gpu:
    """GPU request. `nvidia` is None when no attributes are given; () means any NVIDIA model."""

    units: int = 0
    nvidia: tuple[GpuModel, ...] | None = None

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        """The on-chain attributes: one `vendor/nvidia/model/...` key per model, sorted."""
        if self.nvidia is None:
            return ()
        keys = [model.attribute_key for model in self.nvidia] or ["vendor/nvidia/model/*"]
        return tuple(Attribute(key, "true") for key in sorted(keys))


@frozen
class ComputeProfile:
    """`profiles.compute.<name>.resources`."""

    name: str
    cpu_millicores: int
    memory_bytes: int
    storage: tuple[StorageVolume, ...]
    gpu: Gpu = Gpu()
    cpu_attributes: tuple[Attribute, ...] = ()


@frozen
class Price:
    """A maximum price per block for one instance: `amount` in 10^-18 `denom`."""

    denom: str
    amount: int

    @property
    def amount_text(self) -> str:
        return format_price_amount(self.amount)


@frozen
class Placement:
    """`profiles.placement.<name>`: provider requirements and the price per compute profile."""

    name: str
    attributes: tuple[Attribute, ...] | None = None
    signed_by_all_of: tuple[str, ...] | None = None
    signed_by_any_of: tuple[str, ...] | None = None
    pricing: Mapping[str, Price] = field(default_factory=dict)


@frozen
class DeploymentEntry:
    """`deployment.<service>.<placement>`: run `count` instances of a service on a profile."""

    service: str
    placement: str
    profile: str
    count: int


@frozen
class Endpoint:
    """`endpoints.<name>`: a leased IP endpoint."""

    name: str
    kind: str


@frozen
class Reclamation:
    """`reclamation.min_window` as written and in nanoseconds."""

    min_window: str
    min_window_ns: int


@frozen
class Sdl:
    """A parsed SDL file. Build the on-chain groups with `groups()` and the manifest with
    `manifest()` (both are valid: `parse_sdl` refuses any file whose groups would be refused)."""

    version: str
    services: Mapping[str, Service]
    compute: Mapping[str, ComputeProfile]
    placements: Mapping[str, Placement]
    deployment: tuple[DeploymentEntry, ...]
    endpoints: Mapping[str, Endpoint] = field(default_factory=dict)
    reclamation: Reclamation | None = None
    source_tree: YNode | None = field(default=None, compare=False, repr=False)
    _cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def locate(self, path: str) -> tuple[int, int, bool]:
        """(line, column, found) of a YAML path in the parsed file; (0, 0, False) if unknown."""
        if self.source_tree is None:
            return 0, 0, False
        return locate(self.source_tree, path)

    def groups(self) -> list[Group]:
        """The deployment groups for MsgCreateDeployment, one per placement, sorted by name."""
        return list(self._built()[0])

    def manifest(self) -> Manifest:
        """What the provider needs to run the services, grouped like `groups()`."""
        return self._built()[1]

    def _built(self) -> tuple[list[Group], Manifest]:
        from sdl.build import build

        built = self._cache.get("built")
        if built is None:
            built = self._cache["built"] = build(self)
        return built  # type: ignore[return-value]

    def manifest_hash(self) -> str:
        """The hex sha256 of the canonical manifest JSON (the deployment `hash` on chain)."""
        digest = self._cache.get("hash")
        if digest is None:
            digest = self._cache["hash"] = self.manifest().hash()
        return str(digest)

    def to_yaml(self) -> str:
        """SDL text that parses back to an equal object."""
        from sdl.dump import dump

        return dump(self)


# Output types (on-chain groups and the manifest) --------------------------------------------


@frozen
class ResourceEndpoint:
    """An endpoint a resource unit needs: kind 0 shared HTTP, 1 random port, 2 leased IP."""

    kind: int
    sequence_number: int = 0


SHARED_HTTP = 0
RANDOM_PORT = 1
LEASED_IP = 2


@frozen
class StorageResource:
    name: str
    size: int
    attributes: tuple[Attribute, ...] = ()


@frozen
class Resources:
    """The resources of one instance, identified by `id` within its group."""

    id: int
    cpu_millicores: int
    memory_bytes: int
    storage: tuple[StorageResource, ...]
    gpu_units: int
    endpoints: tuple[ResourceEndpoint, ...]
    cpu_attributes: tuple[Attribute, ...] = ()
    gpu_attributes: tuple[Attribute, ...] = ()


@frozen
class ResourceUnit:
    """`count` instances of `resources`, each priced at most `price` per block."""

    resources: Resources
    count: int
    price: Price


@frozen
class Requirements:
    attributes: tuple[Attribute, ...] | None = None
    signed_by_all_of: tuple[str, ...] | None = None
    signed_by_any_of: tuple[str, ...] | None = None


@frozen
class Group:
    """An on-chain group spec: what one placement must provide, and at what price."""

    name: str
    requirements: Requirements
    resources: tuple[ResourceUnit, ...]

    def to_dict(self) -> dict[str, object]:
        """Akash's GroupSpec JSON (quantities as integer strings, prices with 18 decimals)."""
        from sdl.encode import group_to_dict

        return group_to_dict(self)

    @property
    def max_price_per_block(self) -> dict[str, int]:
        """Sum over resource units of price times count, per denom, in 10^-18 units."""
        totals: dict[str, int] = {}
        for unit in self.resources:
            totals[unit.price.denom] = (
                totals.get(unit.price.denom, 0) + unit.price.amount * unit.count
            )
        return totals


@frozen
class ManifestHttpOptions:
    max_body_size: int
    read_timeout: int
    send_timeout: int
    next_tries: int
    next_timeout: int
    next_cases: tuple[str, ...]
    proxy_buffer_size: int = 0


@frozen
class ManifestExpose:
    port: int
    external_port: int
    proto: str
    service: str
    global_: bool
    hosts: tuple[str, ...] | None
    http_options: ManifestHttpOptions
    ip: str = ""
    endpoint_sequence_number: int = 0


@frozen
class ManifestStorageParams:
    name: str
    mount: str
    read_only: bool


@frozen
class ManifestParams:
    storage: tuple[ManifestStorageParams, ...] | None = None
    permissions_read: tuple[str, ...] | None = None
    has_permissions: bool = False
    tee_type: str | None = None


@frozen
class ManifestService:
    name: str
    image: str
    command: tuple[str, ...] | None
    args: tuple[str, ...] | None
    env: tuple[str, ...] | None
    resources: Resources
    count: int
    expose: tuple[ManifestExpose, ...]
    params: ManifestParams | None = None
    credentials: Credentials | None = None


@frozen
class ManifestGroup:
    name: str
    services: tuple[ManifestService, ...]


@frozen
class Manifest:
    """The manifest the tenant sends to the provider after the lease is created."""

    groups: tuple[ManifestGroup, ...]
    version: str = "2.0"

    def to_dict(self) -> list[object]:
        """Akash's manifest JSON (a list of groups)."""
        from sdl.encode import manifest_to_list

        return manifest_to_list(self)

    def canonical_json(self) -> bytes:
        """The bytes that are hashed: sorted keys, no spaces, Go's HTML escaping."""
        from sdl.encode import canonical_json

        return canonical_json(self.to_dict())

    def hash(self) -> str:
        """Hex sha256 of `canonical_json()`; equals Akash's manifest version hash."""
        import hashlib

        return hashlib.sha256(self.canonical_json()).hexdigest()
