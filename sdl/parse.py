"""From a YAML node tree to the typed `Sdl`, applying the rules Akash applies while decoding.

This step checks shapes and types (Go's yaml.v3 typing: string fields take any scalar as raw
text, integer fields refuse quoted text, ...) and the rules Akash runs inside its decoders:
cpu, size and price syntax, GPU attributes, storage attributes, allowed keys. Rules that
relate sections to each other, and the network limits, are checked in `sdl.validate`.
Every problem is recorded with its YAML path and position; decoding carries on so that one
run reports all of them.
"""

from __future__ import annotations

import re
from typing import Final

from sdl.errors import SdlIssue
from sdl.model import (
    DEFAULT_HTTP_OPTIONS,
    Attribute,
    ComputeProfile,
    Credentials,
    DeploymentEntry,
    Endpoint,
    Expose,
    ExposeTo,
    Gpu,
    GpuModel,
    HttpOptions,
    Placement,
    Price,
    Reclamation,
    Sdl,
    Service,
    ServiceParams,
    StorageMount,
    StorageVolume,
    storage_attribute_problems,
)
from sdl.units import (
    parse_cpu_millicores,
    parse_duration_ns,
    parse_price_amount,
    parse_sdl_version,
    parse_size,
)
from sdl.yamlsafe import MAPPING, SCALAR, SEQUENCE, YNode, locate

ROOT_KEYS: Final = frozenset(
    {"version", "include", "services", "profiles", "deployment", "endpoints", "reclamation"}
)
TEE_TYPES: Final = ("cpu", "cpu-gpu")
GPU_INTERFACES: Final = ("pcie", "sxm")
DENOM: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9/:._-]{2,127}")
GPU_ATTRIBUTE_KEY: Final = re.compile(r"[a-zA-Z][0-9A-Za-z_/.\-]{1,126}[0-9A-Za-z_*]?")
MAX_PRICE: Final = 10_000_000 * 10**18
UINT32_MAX: Final = 2**32 - 1

_BOOL_TRUE: Final = frozenset(
    {"true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON"}
)
_BOOL_FALSE: Final = frozenset(
    {"false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF"}
)
_INT_TEXT: Final = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)")
_FLOAT_TEXT: Final = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")

_KIND_NAMES: Final = {SCALAR: "a single value", MAPPING: "a mapping", SEQUENCE: "a list"}


def _yaml_number(text: str, maximum: int) -> int | None:
    """A plain scalar read as yaml.v3 reads it into an unsigned field (None: not a number).

    Integers follow Go's base-0 syntax (`0x1F`, `0o17`, `017` octal, `1_000`); other numbers
    are read as floats and truncated. Values above `maximum` come back as `maximum + 1`.
    """
    if text.isdigit() and text.isascii() and (text[0] != "0" or len(text) == 1):
        return int(text)
    if _INT_TEXT.fullmatch(text):
        cleaned = text.replace("_", "")
        sign = -1 if cleaned.startswith("-") else 1
        digits = cleaned.lstrip("+-")
        try:
            if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
                return sign * int(digits, 8)
            return sign * int(digits, 0)
        except ValueError:
            pass  # e.g. "08": not octal, but still a float to yaml.v3
    if _FLOAT_TEXT.fullmatch(text):
        number = float(text)
        if number < 0:
            return -1
        return int(number) if number <= maximum else maximum + 1
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Decoder:
    """Decodes one document, collecting every issue with its path and position."""

    def __init__(self, root: YNode) -> None:
        self.root = root
        self.issues: list[SdlIssue] = []

    # -- recording ---------------------------------------------------------------------------

    def fail(self, path: str, node: YNode | None, message: str) -> None:
        # A scalar is shown where its value is; a mapping or list where its key is.
        if node is not None and node.kind == SCALAR and node.line:
            line, column = node.line, node.column
        else:
            line, column, _found = locate(self.root, path)
        self.issues.append(SdlIssue(path, line, column, message))

    # -- typed readers (Go yaml.v3 rules) ----------------------------------------------------

    def mapping(self, path: str, node: YNode) -> dict[str, tuple[YNode, YNode]] | None:
        """A mapping, {} for null, None (after an issue) for anything else."""
        if node.kind == MAPPING:
            return node.mapping
        if node.is_null:
            return {}
        self.fail(path, node, f"expected a mapping, found {_KIND_NAMES[node.kind]}")
        return None

    def sequence(self, path: str, node: YNode) -> list[YNode] | None:
        """A list, [] for null, None (after an issue) for anything else."""
        if node.kind == SEQUENCE:
            return node.items
        if node.is_null:
            return []
        self.fail(path, node, f"expected a list, found {_KIND_NAMES[node.kind]}")
        return None

    def string(self, path: str, node: YNode) -> str:
        """Any scalar as its raw text ("" for null)."""
        if node.kind == SCALAR:
            return node.value if isinstance(node.value, str) else ""
        self.fail(path, node, f"expected a single value, found {_KIND_NAMES[node.kind]}")
        return ""

    def optional_string(self, path: str, node: YNode) -> str | None:
        if node.is_null:
            return None
        return self.string(path, node)

    def string_list(self, path: str, node: YNode) -> tuple[str, ...] | None:
        """A list of scalars as raw text; None for null or absent."""
        if node.is_null:
            return None
        items = self.sequence(path, node)
        if items is None:
            return None
        return tuple(self.string(f"{path}[{i}]", item) for i, item in enumerate(items))

    def uint(self, path: str, node: YNode, maximum: int = UINT32_MAX) -> int:
        """An unsigned integer; YAML floats are truncated, quoted text is refused."""
        if node.is_null:
            return 0
        if node.kind != SCALAR:
            self.fail(path, node, f"expected a whole number, found {_KIND_NAMES[node.kind]}")
            return 0
        text = node.text or ""
        value: int | None = None
        if node.tag in (None, "int", "float") and (node.plain or node.tag is not None):
            value = _yaml_number(text, maximum)
        if value is None:
            self.fail(path, node, f'expected a whole number, found text "{text}"')
            return 0
        if value < 0:
            self.fail(path, node, f"must not be negative (found {text})")
            return 0
        if value > maximum:
            self.fail(path, node, f"{text} is too large (at most {maximum})")
            return 0
        return value

    def boolean(self, path: str, node: YNode) -> bool:
        """true/false and the YAML 1.1 words (yes/no/on/off, ...); quoted text is refused."""
        if node.is_null:
            return False
        if node.kind == SCALAR and (node.plain or node.tag == "bool"):
            text = node.text or ""
            if text in _BOOL_TRUE:
                return True
            if text in _BOOL_FALSE:
                return False
        shown = node.text if node.kind == SCALAR else _KIND_NAMES[node.kind]
        self.fail(path, node, f'expected true or false, found "{shown}"')
        return False

    def string_map(self, path: str, node: YNode) -> dict[str, str] | None:
        """A mapping of scalar values as raw text; None when null."""
        if node.is_null:
            return None
        entries = self.mapping(path, node)
        if entries is None:
            return None
        return {key: self.string(_join(path, key), value) for key, (_key, value) in entries.items()}

    # -- document ----------------------------------------------------------------------------

    def document(self, root: YNode) -> Sdl | None:
        if root.kind != MAPPING:
            self.fail(
                "",
                root,
                "an SDL file must be a YAML mapping with version, services, profiles and "
                "deployment",
            )
            return None
        entries = self.mapping("", root) or {}
        version = self.version(entries)
        for key, (key_node, _value) in entries.items():
            if key not in ROOT_KEYS:
                self.fail(key, key_node, f'unexpected top-level field "{key}"')

        def section(name: str) -> YNode:
            entry = entries.get(name)
            return entry[1] if entry else YNode(SCALAR, None, 0, 0, True)

        for required in ("services", "profiles", "deployment"):
            if required not in entries:
                hint = ""
                services_entry = entries.get("services")
                if (
                    services_entry
                    and services_entry[1].kind == MAPPING
                    and required in services_entry[1].mapping
                ):
                    hint = (
                        f' (a "{required}" key is indented under services: check the indentation)'
                    )
                self.fail(required, root, f'the top-level section "{required}" is missing{hint}')
        if "include" in entries:
            self.string_list("include", section("include"))
        services = self.services(section("services"))
        compute, placements = self.profiles(section("profiles"))
        deployment = self.deployment(section("deployment"))
        endpoints = self.endpoints(section("endpoints"))
        reclamation = self.reclamation(entries.get("reclamation"))
        if version is None:
            return None
        return Sdl(
            version=version,
            services=services,
            compute=compute,
            placements=placements,
            deployment=deployment,
            endpoints=endpoints,
            reclamation=reclamation,
            source_tree=self.root,
        )

    def version(self, entries: dict[str, tuple[YNode, YNode]]) -> str | None:
        entry = entries.get("version")
        if entry is None or entry[1].kind != SCALAR or entry[1].is_null:
            node = entry[1] if entry else None
            self.fail("version", node, 'no version found (expected version: "2.0" or "2.1")')
            return None
        text = self.string("version", entry[1])
        try:
            major, minor, patch, prerelease = parse_sdl_version(text)
        except ValueError:
            self.fail("version", entry[1], f'unsupported version "{text}" (expected 2.0 or 2.1)')
            return None
        if (major, minor, patch) == (2, 0, 0) and not prerelease:
            return "2.0"
        if (major, minor, patch) >= (2, 1, 0) and not (
            (major, minor, patch) == (2, 1, 0) and prerelease
        ):
            return "2.1"
        self.fail("version", entry[1], f'unsupported version "{text}" (expected 2.0 or 2.1)')
        return None

    # -- services ----------------------------------------------------------------------------

    def services(self, node: YNode) -> dict[str, Service]:
        entries = self.mapping("services", node) or {}
        result = {}
        for name in sorted(entries):
            result[name] = self.service(f"services.{name}", name, entries[name][1])
        return result

    def service(self, path: str, name: str, node: YNode) -> Service:
        fields = self.mapping(path, node) or {}

        def get(key: str) -> YNode | None:
            entry = fields.get(key)
            return entry[1] if entry else None

        image = get("image")
        command = get("command")
        args = get("args")
        env = get("env")
        expose = get("expose")
        params = get("params")
        credentials = get("credentials")
        exposes: list[Expose] = []
        if expose is not None:
            for index, item in enumerate(self.sequence(f"{path}.expose", expose) or []):
                exposes.append(self.expose(f"{path}.expose[{index}]", item))
        return Service(
            name=name,
            image=self.string(f"{path}.image", image) if image else "",
            command=self.string_list(f"{path}.command", command) if command else None,
            args=self.string_list(f"{path}.args", args) if args else None,
            env=self.string_list(f"{path}.env", env) if env else None,
            expose=tuple(exposes),
            params=self.params(f"{path}.params", params) if params else None,
            credentials=self.credentials(f"{path}.credentials", credentials)
            if credentials and not credentials.is_null
            else None,
        )

    def expose(self, path: str, node: YNode) -> Expose:
        fields = self.mapping(path, node) or {}
        port = self.uint(f"{path}.port", fields["port"][1]) if "port" in fields else 0
        as_ = self.uint(f"{path}.as", fields["as"][1]) if "as" in fields else 0
        proto = self.string(f"{path}.proto", fields["proto"][1]) if "proto" in fields else ""
        targets: list[ExposeTo] = []
        if "to" in fields:
            for index, item in enumerate(self.sequence(f"{path}.to", fields["to"][1]) or []):
                targets.append(self.expose_to(f"{path}.to[{index}]", item))
        accept: tuple[str, ...] = ()
        if "accept" in fields:
            accept = self.string_list(f"{path}.accept", fields["accept"][1]) or ()
        options = DEFAULT_HTTP_OPTIONS
        if "http_options" in fields:
            options = self.http_options(f"{path}.http_options", fields["http_options"][1])
        return Expose(port, as_, proto, tuple(targets), accept, options)

    def expose_to(self, path: str, node: YNode) -> ExposeTo:
        fields = self.mapping(path, node) or {}
        service = (
            self.string(f"{path}.service", fields["service"][1]) if "service" in fields else ""
        )
        global_ = (
            self.boolean(f"{path}.global", fields["global"][1]) if "global" in fields else False
        )
        ip = self.string(f"{path}.ip", fields["ip"][1]) if "ip" in fields else ""
        if "http_options" in fields:  # decoded (so type errors show) but unused, as in Akash
            self.http_options(f"{path}.http_options", fields["http_options"][1])
        return ExposeTo(service, global_, ip)

    def http_options(self, path: str, node: YNode) -> HttpOptions:
        fields = self.mapping(path, node) or {}
        values: dict[str, int] = {}
        for key in (
            "max_body_size",
            "read_timeout",
            "send_timeout",
            "next_tries",
            "next_timeout",
            "proxy_buffer_size",
        ):
            if key in fields:
                values[key] = self.uint(f"{path}.{key}", fields[key][1])
        cases = None
        if "next_cases" in fields:
            cases = self.string_list(f"{path}.next_cases", fields["next_cases"][1])
        return HttpOptions(next_cases=cases, **values)

    def params(self, path: str, node: YNode) -> ServiceParams | None:
        if node.is_null:
            return None
        fields = self.mapping(path, node) or {}
        mounts: list[StorageMount] = []
        if "storage" in fields:
            volumes = self.mapping(f"{path}.storage", fields["storage"][1]) or {}
            for volume in sorted(volumes):
                volume_path = f"{path}.storage.{volume}"
                settings = self.mapping(volume_path, volumes[volume][1]) or {}
                mount = ""
                if "mount" in settings:
                    mount = self.string(f"{volume_path}.mount", settings["mount"][1])
                read_only = False
                if "readOnly" in settings:
                    read_only = self.boolean(f"{volume_path}.readOnly", settings["readOnly"][1])
                mounts.append(StorageMount(volume, mount, read_only))
        read: tuple[str, ...] | None = None
        if "permissions" in fields:
            permissions = self.mapping(f"{path}.permissions", fields["permissions"][1]) or {}
            if "read" in permissions:
                read = self.string_list(f"{path}.permissions.read", permissions["read"][1])
            read = read if read is not None else ()
        tee = None
        if "tee" in fields:
            tee = self.optional_string(f"{path}.tee", fields["tee"][1]) or None
            if tee is not None and tee not in TEE_TYPES:
                self.fail(
                    f"{path}.tee",
                    fields["tee"][1],
                    f'unsupported tee type "{tee}" (allowed: cpu, cpu-gpu)',
                )
        return ServiceParams(tuple(mounts), read, tee)

    def credentials(self, path: str, node: YNode) -> Credentials:
        fields = self.mapping(path, node) or {}
        values = {
            key: self.string(f"{path}.{key}", fields[key][1])
            for key in ("host", "username", "password", "email")
            if key in fields
        }
        return Credentials(**values)

    # -- profiles ----------------------------------------------------------------------------

    def profiles(self, node: YNode) -> tuple[dict[str, ComputeProfile], dict[str, Placement]]:
        fields = self.mapping("profiles", node) or {}
        compute: dict[str, ComputeProfile] = {}
        placements: dict[str, Placement] = {}
        if "compute" in fields:
            entries = self.mapping("profiles.compute", fields["compute"][1]) or {}
            for name in sorted(entries):
                profile = self.compute(f"profiles.compute.{name}", name, entries[name][1])
                if profile is not None:
                    compute[name] = profile
        if "placement" in fields:
            entries = self.mapping("profiles.placement", fields["placement"][1]) or {}
            for name in sorted(entries):
                placements[name] = self.placement(
                    f"profiles.placement.{name}", name, entries[name][1]
                )
        return compute, placements

    def compute(self, path: str, name: str, node: YNode) -> ComputeProfile | None:
        fields = self.mapping(path, node)
        if fields is None:
            return None
        if "resources" not in fields or fields["resources"][1].is_null:
            self.fail(f"{path}.resources", None, "resources (cpu, memory, storage) are required")
            return None
        path = f"{path}.resources"
        resources = self.mapping(path, fields["resources"][1])
        if resources is None:
            return None
        ok = True
        cpu: int = 0
        cpu_attributes: tuple[Attribute, ...] = ()
        if "cpu" in resources:
            cpu, cpu_attributes = self.cpu(f"{path}.cpu", resources["cpu"][1])
        else:
            self.fail(f"{path}.cpu", None, "cpu is required")
            ok = False
        memory = 0
        if "memory" in resources:
            memory = self.memory(f"{path}.memory", resources["memory"][1])
        else:
            self.fail(f"{path}.memory", None, "memory is required")
            ok = False
        storage: tuple[StorageVolume, ...] = ()
        if "storage" in resources:
            storage = self.storage(f"{path}.storage", resources["storage"][1])
        else:
            self.fail(f"{path}.storage", None, "storage is required")
            ok = False
        gpu = Gpu()
        if "gpu" in resources and not resources["gpu"][1].is_null:
            gpu = self.gpu(f"{path}.gpu", resources["gpu"][1])
        if not ok:
            return None
        return ComputeProfile(name, cpu, memory, storage, gpu, cpu_attributes)

    def cpu(self, path: str, node: YNode) -> tuple[int, tuple[Attribute, ...]]:
        fields = self.mapping(path, node) or {}
        millicores = 0
        if "units" not in fields or fields["units"][1].is_null:
            self.fail(f"{path}.units", None, "cpu units are required (e.g. 0.5 or 500m)")
        else:
            units = fields["units"][1]
            text = self.string(f"{path}.units", units)
            if units.kind == SCALAR:
                try:
                    millicores = parse_cpu_millicores(text)
                except ValueError as error:
                    self.fail(f"{path}.units", units, str(error))
        attributes: list[Attribute] = []
        if "attributes" in fields:
            values = self.string_map(f"{path}.attributes", fields["attributes"][1]) or {}
            for key in sorted(values):
                if key != "arch":
                    self.fail(
                        f"{path}.attributes.{key}",
                        fields["attributes"][1].mapping[key][0],
                        f'unsupported cpu attribute "{key}" (only "arch" is allowed)',
                    )
                attributes.append(Attribute(key, values[key]))
        return millicores, tuple(attributes)

    def memory(self, path: str, node: YNode) -> int:
        fields = self.mapping(path, node) or {}
        if "size" not in fields or fields["size"][1].is_null:
            self.fail(f"{path}.size", None, "memory size is required (e.g. 512Mi)")
            return 0
        return self.size(f"{path}.size", fields["size"][1])

    def size(self, path: str, node: YNode, *, binary_only: bool = False) -> int:
        text = self.string(path, node)
        if node.kind != SCALAR:
            return 0
        try:
            return parse_size(text, binary_only=binary_only)
        except ValueError as error:
            self.fail(path, node, str(error))
            return 0

    def storage(self, path: str, node: YNode) -> tuple[StorageVolume, ...]:
        volumes: list[StorageVolume] = []
        if node.kind == MAPPING:
            volumes.append(self.volume(path, node, single=True))
        elif node.kind == SEQUENCE:
            for index, item in enumerate(node.items):
                volumes.append(self.volume(f"{path}[{index}]", item, single=False))
        elif node.is_null:
            pass
        else:
            self.fail(path, node, "expected a storage mapping or a list of them")
            return ()
        if not volumes:
            self.fail(path, node, "at least one storage volume is required")
        seen: set[str] = set()
        for index, volume in enumerate(volumes):
            if volume.name in seen:
                where = path if node.kind == MAPPING else f"{path}[{index}]"
                self.fail(
                    where, None, f'duplicated volume name "{volume.name}" (unnamed is "default")'
                )
            seen.add(volume.name)
        return tuple(volumes)

    def volume(self, path: str, node: YNode, *, single: bool) -> StorageVolume:
        fields = self.mapping(path, node) or {}
        name = "default"
        if "name" in fields and not single:
            name = self.string(f"{path}.name", fields["name"][1]) or "default"
        if "size" not in fields or fields["size"][1].is_null:
            self.fail(f"{path}.size", None, "storage size is required (e.g. 1Gi)")
            size = 0
        else:
            size = self.size(f"{path}.size", fields["size"][1])
        attributes = None
        if "attributes" in fields and not fields["attributes"][1].is_null:
            attributes = self.storage_attributes(f"{path}.attributes", fields["attributes"][1])
        return StorageVolume(name, size, attributes)

    def storage_attributes(self, path: str, node: YNode) -> tuple[Attribute, ...] | None:
        raw = self.string_map(path, node)
        if raw is None:
            return None
        for key in sorted(raw):
            if key not in ("persistent", "class"):
                self.fail(
                    f"{path}.{key}",
                    None,
                    f'unsupported storage attribute "{key}" (allowed: persistent, class)',
                )
        for key, message in storage_attribute_problems(raw):
            self.fail(f"{path}.{key}" if key in raw else path, None, message)
        return tuple(Attribute(key, raw[key]) for key in sorted(raw))

    def gpu(self, path: str, node: YNode) -> Gpu:
        fields = self.mapping(path, node) or {}
        for key, (key_node, _value) in fields.items():
            if key not in ("units", "attributes"):
                self.fail(
                    f"{path}.{key}",
                    key_node,
                    f'unsupported gpu field "{key}" (allowed: units, attributes)',
                )
        units = 0
        if "units" in fields and not fields["units"][1].is_null:
            units_node = fields["units"][1]
            text = self.string(f"{path}.units", units_node).strip()
            if units_node.kind == SCALAR:
                if text.isdigit() and text.isascii():
                    units = int(text)
                    if units > UINT32_MAX:
                        self.fail(f"{path}.units", units_node, f"gpu units {text} is too large")
                        units = 0
                else:
                    self.fail(
                        f"{path}.units",
                        units_node,
                        f'invalid gpu units "{text}": expected a whole number',
                    )
        nvidia = None
        attributes_node = fields["attributes"][1] if "attributes" in fields else None
        if attributes_node is not None and not attributes_node.is_null:
            nvidia = self.gpu_attributes(f"{path}.attributes", attributes_node)
        if units > 0 and nvidia is None and (attributes_node is None or attributes_node.is_null):
            self.fail(
                f"{path}.attributes.vendor",
                None,
                "gpu units > 0 require a vendor (attributes.vendor.nvidia)",
            )
        return Gpu(units, nvidia)

    def gpu_attributes(self, path: str, node: YNode) -> tuple[GpuModel, ...] | None:
        fields = self.mapping(path, node)
        if fields is None:
            return None
        for key, (key_node, _value) in fields.items():
            if key != "vendor":
                self.fail(
                    f"{path}.{key}",
                    key_node,
                    f'unsupported gpu attribute "{key}" (only "vendor" is allowed)',
                )
        vendor_node = fields["vendor"][1] if "vendor" in fields else None
        if vendor_node is None or vendor_node.is_null:
            self.fail(f"{path}.vendor", None, "gpu attributes need a vendor (vendor.nvidia)")
            return None
        vendors = self.mapping(f"{path}.vendor", vendor_node)
        if vendors is None:
            return None
        models: list[GpuModel] = []
        if "nvidia" in vendors and not vendors["nvidia"][1].is_null:
            base = f"{path}.vendor.nvidia"
            for index, item in enumerate(self.sequence(base, vendors["nvidia"][1]) or []):
                model = self.gpu_model(f"{base}[{index}]", item)
                if model is not None:
                    models.append(model)
        seen: set[str] = set()
        for index, model in enumerate(models):
            key = model.attribute_key
            where = f"{path}.vendor.nvidia[{index}]"
            if not GPU_ATTRIBUTE_KEY.fullmatch(key):
                self.fail(where, None, f'invalid gpu attribute key "{key}"')
            elif key in seen:
                self.fail(where, None, f'gpu model "{key}" is listed twice')
            seen.add(key)
        return tuple(models)

    def gpu_model(self, path: str, node: YNode) -> GpuModel | None:
        fields = self.mapping(path, node)
        if fields is None:
            return None
        model = self.string(f"{path}.model", fields["model"][1]) if "model" in fields else ""
        if not model:
            self.fail(f"{path}.model", None, "gpu model is required (e.g. a100)")
        elif model != model.lower():
            self.fail(f"{path}.model", None, f'gpu model "{model}" must be lowercase')
        ram = None
        if "ram" in fields and not fields["ram"][1].is_null:
            ram = self.size(f"{path}.ram", fields["ram"][1], binary_only=True)
        interface = None
        if "interface" in fields and not fields["interface"][1].is_null:
            interface = self.string(f"{path}.interface", fields["interface"][1])
            if interface not in GPU_INTERFACES:
                self.fail(
                    f"{path}.interface",
                    None,
                    f'invalid gpu interface "{interface}" (expected pcie or sxm)',
                )
        return GpuModel(model, ram, interface)

    def placement(self, path: str, name: str, node: YNode) -> Placement:
        fields = self.mapping(path, node) or {}
        attributes = None
        if "attributes" in fields:
            values = self.string_map(f"{path}.attributes", fields["attributes"][1])
            if values is not None:
                attributes = tuple(Attribute(key, values[key]) for key in sorted(values))
        all_of = any_of = None
        if "signedBy" in fields:
            signed = self.mapping(f"{path}.signedBy", fields["signedBy"][1]) or {}
            if "allOf" in signed:
                all_of = self.string_list(f"{path}.signedBy.allOf", signed["allOf"][1])
            if "anyOf" in signed:
                any_of = self.string_list(f"{path}.signedBy.anyOf", signed["anyOf"][1])
        pricing: dict[str, Price] = {}
        if "pricing" in fields:
            entries = self.mapping(f"{path}.pricing", fields["pricing"][1]) or {}
            for profile in sorted(entries):
                price = self.price(f"{path}.pricing.{profile}", entries[profile][1])
                if price is not None:
                    pricing[profile] = price
        return Placement(name, attributes, all_of, any_of, pricing)

    def price(self, path: str, node: YNode) -> Price | None:
        fields = self.mapping(path, node)
        if fields is None:
            return None
        denom = self.string(f"{path}.denom", fields["denom"][1]) if "denom" in fields else ""
        ok = True
        if not DENOM.fullmatch(denom):
            shown = f'"{denom}"' if denom else "missing"
            self.fail(
                f"{path}.denom",
                None,
                f"invalid denom {shown}: expected a Cosmos denom such as uakt or uact",
            )
            ok = False
        amount = 0
        if "amount" not in fields or fields["amount"][1].is_null:
            self.fail(f"{path}.amount", None, "price amount is required")
            ok = False
        else:
            amount_node = fields["amount"][1]
            text = self.string(f"{path}.amount", amount_node)
            if amount_node.kind == SCALAR:
                try:
                    amount = parse_price_amount(text)
                except ValueError as error:
                    self.fail(f"{path}.amount", amount_node, str(error))
                    ok = False
                else:
                    if amount == 0:
                        self.fail(f"{path}.amount", amount_node, "price amount must not be zero")
                        ok = False
                    elif amount > MAX_PRICE:
                        self.fail(
                            f"{path}.amount",
                            amount_node,
                            f"price amount {text} is above the limit of 10000000 per block",
                        )
                        ok = False
            else:
                ok = False
        return Price(denom, amount) if ok else None

    # -- deployment, endpoints, reclamation --------------------------------------------------

    def deployment(self, node: YNode) -> tuple[DeploymentEntry, ...]:
        services = self.mapping("deployment", node) or {}
        entries: list[DeploymentEntry] = []
        for service in sorted(services):
            path = f"deployment.{service}"
            placements = self.mapping(path, services[service][1]) or {}
            for placement in sorted(placements):
                entry_path = f"{path}.{placement}"
                fields = self.mapping(entry_path, placements[placement][1]) or {}
                profile = ""
                if "profile" in fields:
                    profile = self.string(f"{entry_path}.profile", fields["profile"][1])
                count = 0
                if "count" in fields:
                    count = self.uint(f"{entry_path}.count", fields["count"][1])
                entries.append(DeploymentEntry(service, placement, profile, count))
        return tuple(entries)

    def endpoints(self, node: YNode) -> dict[str, Endpoint]:
        entries = self.mapping("endpoints", node) or {}
        result: dict[str, Endpoint] = {}
        for name in sorted(entries):
            path = f"endpoints.{name}"
            fields = self.mapping(path, entries[name][1]) or {}
            kind = self.string(f"{path}.kind", fields["kind"][1]) if "kind" in fields else ""
            result[name] = Endpoint(name, kind)
        return result

    def reclamation(self, entry: tuple[YNode, YNode] | None) -> Reclamation | None:
        if entry is None:
            return None
        fields = self.mapping("reclamation", entry[1]) or {}
        path = "reclamation.min_window"
        window = self.string(path, fields["min_window"][1]) if "min_window" in fields else ""
        try:
            nanoseconds = parse_duration_ns(window)
        except ValueError:
            self.fail(path, None, f'invalid min_window "{window}": expected a duration like 1h')
            return None
        if nanoseconds <= 0:
            self.fail(path, None, "reclamation min_window must be > 0")
            return None
        return Reclamation(window, nanoseconds)


def decode(root: YNode) -> tuple[Sdl | None, list[SdlIssue]]:
    """Decode a YAML tree into an `Sdl`; returns it (None if unusable) and every issue found."""
    decoder = _Decoder(root)
    sdl = decoder.document(root)
    return sdl, decoder.issues
