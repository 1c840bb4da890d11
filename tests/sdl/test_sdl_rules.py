"""One failing example per validation rule; each asserts the YAML path and the line reported."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sdl_helpers import BASE_SDL, issues_of, line_of

from sdl import parse_sdl


@dataclass(frozen=True)
class Case:
    """Replace `old` by `new` in the base SDL; expect an issue at `path`, on the line holding
    `line_text` (of the edited text), whose message contains `message`."""

    rule: str
    old: str
    new: str
    path: str
    line_text: str
    message: str
    occurrence: int = 0
    replace_all: bool = False
    also: tuple[tuple[str, str], ...] = ()


RESOURCES = "profiles.compute.web.resources"
EXPOSE = "services.web.expose[0]"
PRICE = "profiles.placement.dc.pricing.web"

GPU_BLOCK = """        storage:
          size: 1Gi
        gpu:
          units: 1
          attributes:
            vendor:
              nvidia:
                - model: a100
                  ram: 80Gi
                  interface: sxm
"""

CASES = [
    # document and versions
    Case("version required", 'version: "2.0"\n', "", "version", "services:", "no version found"),
    Case("version supported", '"2.0"', '"1.0"', "version", "version:", 'unsupported version "1.0"'),
    Case(
        "only known top-level keys",
        "deployment:\n",
        "extra: 1\ndeployment:\n",
        "extra",
        "extra:",
        "unexpected",
    ),
    Case(
        "duplicate keys",
        "        memory:\n",
        "        memory:\n          size: 1Gi\n        memory:\n",
        "",
        "memory:",
        "already defined",
        occurrence=1,
    ),
    # cpu
    Case(
        "cpu units syntax",
        "units: 0.5",
        "units: abc",
        f"{RESOURCES}.cpu.units",
        "units: abc",
        'invalid cpu units "abc"',
    ),
    Case(
        "cpu millicores are whole",
        "units: 0.5",
        "units: 0.5m",
        f"{RESOURCES}.cpu.units",
        "units: 0.5m",
        '"m" needs a whole number',
    ),
    Case(
        "cpu not negative",
        "units: 0.5",
        "units: -1",
        f"{RESOURCES}.cpu.units",
        "units: -1",
        "negative value not allowed",
    ),
    Case(
        "cpu is a single value",
        "units: 0.5",
        "units: [16]",
        f"{RESOURCES}.cpu.units",
        "units: [16]",
        "expected a single value",
    ),
    Case(
        "cpu minimum per instance",
        "units: 0.5",
        "units: 5m",
        f"{RESOURCES}.cpu.units",
        "units: 5m",
        "between 10m and 384000m",
    ),
    Case(
        "cpu maximum per instance",
        "units: 0.5",
        "units: 385",
        f"{RESOURCES}.cpu.units",
        "units: 385",
        "between 10m and 384000m",
    ),
    Case(
        "cpu attributes: only arch",
        "units: 0.5",
        "units: 0.5\n          attributes:\n            speed: fast",
        f"{RESOURCES}.cpu.attributes.speed",
        "speed: fast",
        'unsupported cpu attribute "speed"',
    ),
    Case(
        "cpu required",
        "        cpu:\n          units: 0.5\n",
        "",
        f"{RESOURCES}.cpu",
        "      resources:",
        "cpu is required",
    ),
    # memory and storage sizes
    Case(
        "memory suffix is case-sensitive",
        "size: 512Mi",
        "size: 512MB",
        f"{RESOURCES}.memory.size",
        "size: 512MB",
        'unknown suffix "MB"',
    ),
    Case(
        "memory minimum",
        "size: 512Mi",
        "size: 512k",
        f"{RESOURCES}.memory.size",
        "size: 512k",
        "between 1Mi and 2Ti",
    ),
    Case(
        "memory maximum",
        "size: 512Mi",
        "size: 3Ti",
        f"{RESOURCES}.memory.size",
        "size: 3Ti",
        "between 1Mi and 2Ti",
    ),
    Case(
        "memory size required",
        "          size: 512Mi\n",
        "          {}\n",
        f"{RESOURCES}.memory.size",
        "        memory:",
        "memory size is required",
    ),
    Case(
        "storage minimum",
        "size: 1Gi",
        "size: 1Mi",
        f"{RESOURCES}.storage.size",
        "size: 1Mi",
        "between 5Mi and 32Ti",
    ),
    Case(
        "storage maximum",
        "size: 1Gi",
        "size: 33Ti",
        f"{RESOURCES}.storage.size",
        "size: 33Ti",
        "between 5Mi and 32Ti",
    ),
    Case(
        "storage size not negative",
        "size: 1Gi",
        "size: -1Gi",
        f"{RESOURCES}.storage.size",
        "size: -1Gi",
        "negative",
    ),
    Case(
        "volume names unique",
        "        storage:\n          size: 1Gi\n",
        "        storage:\n          - size: 1Gi\n          - size: 2Gi\n",
        f"{RESOURCES}.storage[1]",
        "- size: 2Gi",
        "duplicated volume name",
    ),
    Case(
        "storage attributes: only persistent and class",
        "size: 1Gi\n",
        "size: 1Gi\n          attributes:\n            fast: yes\n",
        f"{RESOURCES}.storage.attributes.fast",
        "fast: yes",
        'unsupported storage attribute "fast"',
    ),
    Case(
        "storage class known",
        "size: 1Gi\n",
        "size: 1Gi\n          attributes:\n            persistent: true\n            class: gold\n",
        f"{RESOURCES}.storage.attributes.class",
        "class: gold",
        'unknown storage class "gold"',
    ),
    Case(
        "ram class not persistent",
        "size: 1Gi\n",
        "size: 1Gi\n          attributes:\n            persistent: true\n            class: ram\n",
        f"{RESOURCES}.storage.attributes.persistent",
        "persistent: true",
        '"ram" cannot be persistent',
    ),
    Case(
        "ephemeral storage has no class",
        "size: 1Gi\n",
        "size: 1Gi\n          attributes:\n            class: beta2\n",
        f"{RESOURCES}.storage.attributes.class",
        "class: beta2",
        "ephemeral storage must not set a class",
    ),
    Case(
        "persistent is a lowercase bool",
        "size: 1Gi\n",
        "size: 1Gi\n          attributes:\n            persistent: True\n",
        f"{RESOURCES}.storage.attributes.persistent",
        "persistent: True",
        'invalid value "True"',
    ),
    Case(
        "persistent storage needs a mount (2.0)",
        "size: 1Gi\n",
        "size: 1Gi\n          attributes:\n            persistent: true\n",
        f"{RESOURCES}.storage",
        "        storage:",
        "requires services.web.params.storage.default",
    ),
    # params.storage
    Case(
        "mount names an existing volume",
        "    env:\n",
        "    params:\n      storage:\n        data:\n          mount: /data\n    env:\n",
        "services.web.params.storage.data",
        "        data:",
        'no compute volume named "data"',
    ),
    Case(
        "mount is absolute",
        "    env:\n",
        "    params:\n      storage:\n        default:\n          mount: data\n    env:\n",
        "services.web.params.storage.default.mount",
        "mount: data",
        "not an absolute path",
    ),
    Case(
        "readOnly is a bool",
        "    env:\n",
        "    params:\n      storage:\n        default:\n          mount: /data\n"
        '          readOnly: "yes"\n    env:\n',
        "services.web.params.storage.default.readOnly",
        "readOnly:",
        "expected true or false",
    ),
    # gpu
    Case(
        "gpu units > 0 need a vendor",
        "        storage:\n          size: 1Gi\n",
        "        storage:\n          size: 1Gi\n        gpu:\n          units: 1\n",
        f"{RESOURCES}.gpu.attributes.vendor",
        "        gpu:",
        "require a vendor",
    ),
    Case(
        "gpu vendor not null",
        "        storage:\n          size: 1Gi\n",
        "        storage:\n          size: 1Gi\n        gpu:\n          units: 1\n"
        "          attributes:\n            vendor:\n",
        f"{RESOURCES}.gpu.attributes.vendor",
        "vendor:",
        "need a vendor",
    ),
    Case(
        "gpu model lowercase",
        "model: a100",
        "model: A100",
        f"{RESOURCES}.gpu.attributes.vendor.nvidia[0].model",
        "model: A100",
        "must be lowercase",
    ),
    Case(
        "gpu ram binary suffix",
        "ram: 80Gi",
        "ram: 80G",
        f"{RESOURCES}.gpu.attributes.vendor.nvidia[0].ram",
        "ram: 80G",
        'unknown suffix "G"',
    ),
    Case(
        "gpu interface pcie or sxm",
        "interface: sxm",
        "interface: nvlink",
        f"{RESOURCES}.gpu.attributes.vendor.nvidia[0].interface",
        "interface: nvlink",
        'invalid gpu interface "nvlink"',
    ),
    Case(
        "gpu units whole",
        "units: 1\n          attributes",
        "units: 1.5\n          attributes",
        f"{RESOURCES}.gpu.units",
        "units: 1.5",
        'invalid gpu units "1.5"',
    ),
    Case(
        "gpu units at most 24",
        "units: 1\n          attributes",
        "units: 25\n          attributes",
        f"{RESOURCES}.gpu.units",
        "units: 25",
        "at most 24",
    ),
    Case(
        "gpu fields: units and attributes",
        "units: 1\n          attributes",
        "units: 1\n          memory: 8Gi\n          attributes",
        f"{RESOURCES}.gpu.memory",
        "memory: 8Gi",
        'unsupported gpu field "memory"',
    ),
    Case(
        "gpu attributes: only vendor",
        "            vendor:\n",
        "            arch: x\n            vendor:\n",
        f"{RESOURCES}.gpu.attributes.arch",
        "arch: x",
        'unsupported gpu attribute "arch"',
    ),
    Case(
        "no gpu attributes with 0 units",
        "units: 1\n          attributes",
        "units: 0\n          attributes",
        f"{RESOURCES}.gpu.attributes",
        "          attributes:",
        "cannot be present if units is 0",
    ),
    Case(
        "gpu models unique",
        "                  interface: sxm\n",
        "                  interface: sxm\n                - model: a100\n"
        "                  ram: 80Gi\n                  interface: sxm\n",
        f"{RESOURCES}.gpu.attributes.vendor.nvidia[1]",
        "- model: a100",
        "listed twice",
        occurrence=1,
    ),
    # pricing
    Case(
        "denom format", "denom: uakt", "denom: u", f"{PRICE}.denom", "denom: u", 'invalid denom "u"'
    ),
    Case(
        "denom required",
        "          denom: uakt\n",
        "",
        f"{PRICE}.denom",
        "        web:",
        "invalid denom missing",
    ),
    Case(
        "amount not zero",
        "amount: 100",
        "amount: 0",
        f"{PRICE}.amount",
        "amount: 0",
        "must not be zero",
    ),
    Case(
        "amount at most 10000000",
        "amount: 100",
        "amount: 10000001",
        f"{PRICE}.amount",
        "amount: 10000001",
        "above the limit",
    ),
    Case(
        "amount decimals at most 18",
        "amount: 100",
        "amount: 0.0000000000000000001",
        f"{PRICE}.amount",
        "amount: 0.0",
        "more than 18 decimal places",
    ),
    Case(
        "amount has no exponent",
        "amount: 100",
        "amount: 1e-7",
        f"{PRICE}.amount",
        "amount: 1e-7",
        'invalid price amount "1e-7"',
    ),
    Case(
        "amount not negative",
        "amount: 100",
        "amount: -5",
        f"{PRICE}.amount",
        "amount: -5",
        'invalid price amount "-5"',
    ),
    # references
    Case(
        "profile must exist",
        "profile: web",
        "profile: api",
        "deployment.web.dc.profile",
        "profile: api",
        'no compute profile named "api"',
    ),
    Case(
        "placement must exist",
        "  web:\n    dc:\n      profile",
        "  web:\n    eu:\n      profile",
        "deployment.web.eu",
        "    eu:",
        'no placement profile named "eu"',
    ),
    Case(
        "pricing for the profile",
        "        web:\n          denom",
        "        other:\n          denom",
        "profiles.placement.dc.pricing",
        "      pricing:",
        'no pricing for profile "web"',
    ),
    Case(
        "service must exist",
        "deployment:\n  web:",
        "deployment:\n  api:",
        "deployment.api",
        "  api:",
        'no service named "api"',
    ),
    Case(
        "count at least 1",
        "count: 1",
        "count: 0",
        "deployment.web.dc.count",
        "count: 0",
        "at least 1",
    ),
    Case(
        "count is a number",
        "count: 1",
        'count: "1"',
        "deployment.web.dc.count",
        "count:",
        'expected a whole number, found text "1"',
    ),
    Case(
        "group cpu total",
        "units: 0.5",
        "units: 384",
        "profiles.placement.dc",
        "    dc:",
        "group total cpu",
        also=(("count: 1", "count: 51"),),
    ),
    # services and expose
    Case(
        "port range",
        "port: 80",
        "port: 70000",
        f"{EXPOSE}.port",
        "port: 70000",
        "between 1 and 65535",
    ),
    Case(
        "port required",
        "      - port: 80\n        as: 80",
        "      - as: 80",
        EXPOSE,
        "- as: 80",
        "port is required",
    ),
    Case(
        "port is not quoted", "port: 80", 'port: "80"', f"{EXPOSE}.port", "port:", 'found text "80"'
    ),
    Case(
        "protocol TCP or UDP",
        "        as: 80\n",
        "        as: 80\n        proto: sctp\n",
        f"{EXPOSE}.proto",
        "proto: sctp",
        'unsupported protocol "sctp"',
    ),
    Case(
        "to is a list",
        "        to:\n          - global: true\n",
        "        to:\n          global: true\n",
        f"{EXPOSE}.to",
        "        to:",
        "expected a list",
    ),
    Case(
        "global is a bool",
        "global: true",
        'global: "true"',
        f"{EXPOSE}.to[0].global",
        "global:",
        "expected true or false",
    ),
    Case(
        "accept hosts are DNS names",
        "        as: 80\n",
        "        as: 80\n        accept:\n          - '*.example.com'\n",
        f"{EXPOSE}.accept[0]",
        "example.com",
        'invalid hostname "*.example.com"',
    ),
    Case(
        "accept hosts unique",
        "        as: 80\n",
        "        as: 80\n        accept:\n          - a.example.com\n          - a.example.com\n",
        f"{EXPOSE}.accept[1]",
        "- a.example.com",
        "already used",
        occurrence=1,
    ),
    Case(
        "body size limit",
        "        as: 80\n",
        "        as: 80\n        http_options:\n          max_body_size: 104857601\n",
        f"{EXPOSE}.http_options.max_body_size",
        "max_body_size",
        "body size cannot be greater",
    ),
    Case(
        "read timeout limit",
        "        as: 80\n",
        "        as: 80\n        http_options:\n          read_timeout: 60001\n",
        f"{EXPOSE}.http_options.read_timeout",
        "read_timeout",
        "cannot be greater than 60000 ms",
    ),
    Case(
        "next cases known",
        "        as: 80\n",
        "        as: 80\n        http_options:\n          next_cases: [error, 418]\n",
        f"{EXPOSE}.http_options.next_cases[1]",
        "next_cases",
        'next case "418" is unknown',
    ),
    Case(
        "next case off alone",
        "        as: 80\n",
        "        as: 80\n        http_options:\n          next_cases: [off, error]\n",
        f"{EXPOSE}.http_options.next_cases[0]",
        "next_cases",
        "if 'off' is specified",
    ),
    Case(
        "one global expose",
        "global: true",
        "service: db",
        "services",
        "services:",
        "no service is exposed globally",
    ),
    Case(
        "service name format",
        "web",
        "Web",
        "services.Web",
        "  Web:",
        'service name "Web" is invalid',
        replace_all=True,
    ),
    Case(
        "image required",
        "image: nginx:1.25",
        'image: ""',
        "services.web.image",
        "image:",
        "empty image name",
    ),
    Case(
        "env names",
        "MODE=prod",
        "1MODE=prod",
        "services.web.env[0]",
        "1MODE",
        'invalid environment variable name "1MODE"',
    ),
    Case(
        "credentials need a host",
        "    env:\n",
        "    credentials:\n      username: me\n      password: secret\n    env:\n",
        "services.web.credentials.host",
        "    credentials:",
        "need a host",
    ),
    Case(
        "tee type known",
        "    env:\n",
        "    params:\n      tee: sgx\n    env:\n",
        "services.web.params.tee",
        "tee: sgx",
        'unsupported tee type "sgx"',
    ),
    Case(
        "tee cpu-gpu needs a gpu",
        "    env:\n",
        "    params:\n      tee: cpu-gpu\n    env:\n",
        "services.web.params.tee",
        "tee: cpu-gpu",
        "requires gpu resources",
    ),
    # endpoints
    Case(
        "ip endpoint exists",
        "          - global: true\n",
        "          - global: true\n            ip: myip\n",
        f"{EXPOSE}.to[0].ip",
        "ip: myip",
        'no endpoint named "myip"',
    ),
    Case(
        "ip needs global",
        "          - global: true\n",
        "          - global: true\n          - service: db\n            ip: myip\nendpoints:\n"
        "  myip:\n    kind: ip\n",
        f"{EXPOSE}.to[1].ip",
        "ip: myip",
        "must also set global: true",
    ),
    Case(
        "endpoint name format",
        "deployment:\n",
        "endpoints:\n  IP:\n    kind: ip\ndeployment:\n",
        "endpoints.IP",
        "  IP:",
        'endpoint name "IP" is not valid',
    ),
    Case(
        "endpoint kind ip",
        "deployment:\n",
        "endpoints:\n  myip:\n    kind: dns\ndeployment:\n",
        "endpoints.myip.kind",
        "kind: dns",
        'unknown kind "dns"',
    ),
    Case(
        "endpoints are used",
        "deployment:\n",
        "endpoints:\n  myip:\n    kind: ip\ndeployment:\n",
        "endpoints.myip",
        "  myip:",
        "declared but never used",
    ),
    # reclamation
    Case(
        "reclamation window syntax",
        "deployment:\n",
        "reclamation:\n  min_window: soon\ndeployment:\n",
        "reclamation.min_window",
        "min_window",
        'invalid min_window "soon"',
    ),
    Case(
        "reclamation window positive",
        "deployment:\n",
        "reclamation:\n  min_window: 0s\ndeployment:\n",
        "reclamation.min_window",
        "min_window",
        "must be > 0",
    ),
]


def _edit(case: Case) -> str:
    base = BASE_SDL
    if case.old not in base:
        base = BASE_SDL.replace("        storage:\n          size: 1Gi\n", GPU_BLOCK)
    assert case.old in base, case.rule
    text = base.replace(case.old, case.new, -1 if case.replace_all else 1)
    for old, new in case.also:
        text = text.replace(old, new, 1)
    return text


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_rule_is_enforced_with_path_and_line(case: Case) -> None:
    text = _edit(case)
    issues = issues_of(text)
    matching = [i for i in issues if i.path == case.path and case.message in i.message]
    assert matching, "\n".join(str(i) for i in issues)
    assert matching[0].line == line_of(text, case.line_text, case.occurrence), str(matching[0])
    assert matching[0].column > 0


def test_the_base_sdl_is_valid() -> None:
    assert parse_sdl(BASE_SDL).groups()
    assert parse_sdl(BASE_SDL.replace("        storage:\n          size: 1Gi\n", GPU_BLOCK))


def test_every_error_is_reported_not_just_the_first() -> None:
    text = (
        BASE_SDL.replace("units: 0.5", "units: lots")
        .replace("size: 512Mi", "size: 512MB")
        .replace("port: 80", "port: 0")
        .replace("amount: 100", "amount: 0")
    )
    paths = {issue.path for issue in issues_of(text)}
    assert {
        "profiles.compute.web.resources.cpu.units",
        "profiles.compute.web.resources.memory.size",
        "services.web.expose[0].port",
        "profiles.placement.dc.pricing.web.amount",
    } <= paths


def test_error_text_names_path_problem_and_position() -> None:
    text = BASE_SDL.replace("        storage:\n          size: 1Gi\n", GPU_BLOCK).replace(
        "          attributes:\n            vendor:\n              nvidia:\n"
        "                - model: a100\n                  ram: 80Gi\n"
        "                  interface: sxm\n",
        "",
    )
    (issue,) = issues_of(text)
    line = line_of(text, "        gpu:")
    assert str(issue) == (
        "profiles.compute.web.resources.gpu.attributes.vendor: gpu units > 0 require a vendor "
        f"(attributes.vendor.nvidia) (line {line}:9)"
    )


def test_persistent_without_class_gets_the_default_class() -> None:
    text = BASE_SDL.replace(
        "size: 1Gi\n", "size: 1Gi\n          attributes:\n            persistent: true\n"
    ).replace(
        "    env:\n",
        "    params:\n      storage:\n        default:\n          mount: /d\n    env:\n",
    )
    (group,) = parse_sdl(text).groups()
    volume = group.resources[0].resources.storage[0]
    assert [(a.key, a.value) for a in volume.attributes] == [
        ("class", "default"),
        ("persistent", "true"),
    ]


def test_v2_1_persistent_volume_without_params_entry_is_accepted_like_akash() -> None:
    text = BASE_SDL.replace('"2.0"', '"2.1"').replace(
        "size: 1Gi\n", "size: 1Gi\n          attributes:\n            persistent: true\n"
    )
    assert parse_sdl(text)


def test_v2_1_refuses_read_only_ram_volume() -> None:
    text = (
        BASE_SDL.replace('"2.0"', '"2.1"')
        .replace("size: 1Gi\n", "size: 1Gi\n          attributes:\n            class: ram\n")
        .replace(
            "    env:\n",
            "    params:\n      storage:\n        default:\n          mount: /d\n"
            "          readOnly: true\n    env:\n",
        )
    )
    issues = issues_of(text)
    assert [i.path for i in issues] == ["services.web.params.storage.default.readOnly"]
    assert issues[0].line == line_of(text, "readOnly: true")


def test_ip_port_clash_between_services_is_refused() -> None:
    text = (
        BASE_SDL.replace(
            "          - global: true\n", "          - global: true\n            ip: myip\n"
        )
        .replace(
            "profiles:",
            "  api:\n    image: api:1\n    expose:\n      - port: 81\n        as: 80\n        to:\n"
            "          - global: true\n            ip: myip\nprofiles:",
        )
        .replace(
            "deployment:\n",
            "endpoints:\n  myip:\n    kind: ip\ndeployment:\n  api:\n    dc:\n      profile: web\n"
            "      count: 1\n",
        )
    )
    issues = issues_of(text)
    assert any('is already used by service "api"' in i.message for i in issues), issues


def test_mixed_denoms_are_refused() -> None:
    text = (
        BASE_SDL.replace(
            "        web:\n          denom: uakt\n          amount: 100\n",
            "        web:\n          denom: uakt\n          amount: 100\n        api:\n"
            "          denom: uact\n          amount: 100\n",
        )
        .replace(
            "profiles:",
            "  api:\n    image: api:1\nprofiles:",
        )
        .replace(
            "    web:\n      resources:",
            "    api:\n      resources:\n        cpu:\n          units: 1\n        memory:\n"
            "          size: 1Gi\n        storage:\n          size: 1Gi\n    web:\n"
            "      resources:",
        )
        .replace(
            "deployment:\n", "deployment:\n  api:\n    dc:\n      profile: api\n      count: 1\n"
        )
    )
    issues = issues_of(text)
    assert {i.path for i in issues} == {
        "profiles.placement.dc.pricing.api.denom",
        "profiles.placement.dc.pricing.web.denom",
    }
    assert all("one denom" in i.message for i in issues)


def test_two_exposes_on_one_ip_without_as_clash_like_in_akash() -> None:
    # Akash keys IP ports on the raw `as` (0 when absent), not on the port.
    text = BASE_SDL.replace(
        "      - port: 80\n        as: 80\n        to:\n          - global: true\n",
        "      - port: 80\n        to:\n          - global: true\n            ip: myip\n"
        "      - port: 81\n        to:\n          - global: true\n            ip: myip\n",
    ).replace("deployment:\n", "endpoints:\n  myip:\n    kind: ip\ndeployment:\n")
    issues = issues_of(text)
    assert [i.path for i in issues] == ["services.web.expose[1].to[0].ip"]
    assert "as: 0" in issues[0].message
