"""Properties over generated SDLs: dump/parse round trips, and what the manifest hash depends on."""

from __future__ import annotations

import json
import random
from typing import Any

import yaml
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from sdl import SdlError, parse_sdl

NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
)
# What Docker accepts as an image reference: [registry/]path[:tag]. Not free text: the
# parser rightly refuses a blank image, and these tests are about valid SDLs.
IMAGE = st.from_regex(
    r"([a-z0-9]+\.[a-z]{2,4}/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+)?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,9})?",
    fullmatch=True,
)
ENV = st.tuples(st.from_regex(r"[A-Z_][A-Z0-9_]{0,6}", fullmatch=True), TEXT).map("=".join)


@st.composite
def cpu_units(draw: st.DrawFn) -> str:
    millicores = draw(st.integers(10, 64_000))
    if draw(st.booleans()):
        return f"{millicores}m"
    return str(millicores / 1000) if millicores % 1000 else str(millicores // 1000)


SIZE_SUFFIXES = ["Mi", "Gi", "M", "G"]


@st.composite
def size(draw: st.DrawFn, low_mib: int) -> str:
    return f"{draw(st.integers(low_mib, 1024))}{draw(st.sampled_from(SIZE_SUFFIXES))}"


@st.composite
def service_and_profile(
    draw: st.DrawFn, name: str, first: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    expose: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1 if first else 0, 3))):
        item: dict[str, Any] = {"port": draw(st.integers(1, 65535))}
        if draw(st.booleans()):
            item["as"] = draw(st.integers(1, 65535))
        if draw(st.booleans()):
            item["proto"] = draw(st.sampled_from(["tcp", "UDP", "TCP"]))
        item["to"] = [{"global": True}] if first or draw(st.booleans()) else [{"service": "x"}]
        if draw(st.booleans()):
            item["http_options"] = {
                "max_body_size": draw(st.integers(1, 104_857_600)),
                "next_cases": draw(
                    st.lists(st.sampled_from(["error", "timeout", "500"]), max_size=3, unique=True)
                ),
            }
        expose.append(item)
        first = False
    service: dict[str, Any] = {"image": draw(IMAGE), "expose": expose}
    if draw(st.booleans()):
        service["env"] = draw(st.lists(ENV, max_size=3))
    if draw(st.booleans()):
        service["command"] = draw(st.lists(TEXT, min_size=1, max_size=3))
    if draw(st.booleans()):
        service["args"] = draw(st.lists(TEXT, max_size=3))
    volumes: list[dict[str, Any]] = [{"size": draw(size(6))}]
    if draw(st.booleans()):
        volumes.append(
            {
                "name": "data",
                "size": draw(size(6)),
                "attributes": {
                    "persistent": True,
                    "class": draw(st.sampled_from(["beta2", "beta3"])),
                },
            }
        )
        service["params"] = {
            "storage": {"data": {"mount": "/data", "readOnly": draw(st.booleans())}}
        }
    resources: dict[str, Any] = {
        "cpu": {"units": draw(cpu_units())},
        "memory": {"size": draw(size(2))},
        "storage": volumes if len(volumes) > 1 or draw(st.booleans()) else volumes[0],
    }
    if draw(st.booleans()):
        models = draw(
            st.lists(st.sampled_from(["a100", "h100", "rtx4090", "t4"]), max_size=2, unique=True)
        )
        nvidia = [
            {"model": model, **({"ram": "80Gi"} if draw(st.booleans()) else {})} for model in models
        ]
        resources["gpu"] = {
            "units": draw(st.integers(1, 8)),
            "attributes": {"vendor": {"nvidia": nvidia or None}},
        }
    return service, {"resources": resources}


@st.composite
def sdl_trees(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    placements = draw(st.lists(NAMES, min_size=1, max_size=2, unique=True))
    services: dict[str, Any] = {}
    compute: dict[str, Any] = {}
    for index, name in enumerate(names):
        services[name], compute[name] = draw(service_and_profile(name, index == 0))
    denom = draw(st.sampled_from(["uakt", "uact"]))
    placement_tree: dict[str, Any] = {}
    for placement in placements:
        tree: dict[str, Any] = {
            "pricing": {
                name: {
                    "denom": denom,
                    "amount": draw(st.sampled_from(["1", "100", "0.0001", "2.5", "1000000"])),
                }
                for name in names
            }
        }
        if draw(st.booleans()):
            tree["attributes"] = {"region": draw(NAMES)}
        if draw(st.booleans()):
            tree["signedBy"] = {"anyOf": ["akash1365yvmc4s7awdyj3n2sav7xfx76adc6dnmlx63"]}
        placement_tree[placement] = tree
    deployment = {
        name: {
            placement: {"profile": name, "count": draw(st.integers(1, 3))}
            for placement in draw(st.lists(st.sampled_from(placements), min_size=1, unique=True))
        }
        for name in names
    }
    return {
        "version": draw(st.sampled_from(["2.0", "2.1"])),
        "services": services,
        "profiles": {"compute": compute, "placement": placement_tree},
        "deployment": deployment,
    }


def shuffled(value: Any, rng: random.Random) -> Any:
    """The same tree with every mapping's keys in a random order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: shuffled(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [shuffled(item, rng) for item in value]
    return value


def render(tree: dict[str, Any], style: int) -> str:
    """Three layouts of one tree: block YAML, flow YAML, indented JSON (JSON is YAML too)."""
    if style == 0:
        return str(yaml.safe_dump(tree, sort_keys=False, allow_unicode=True))
    if style == 1:
        return str(yaml.safe_dump(tree, sort_keys=False, default_flow_style=True, width=60))
    return json.dumps(tree, indent=3, ensure_ascii=False)


PROPERTY_SETTINGS = settings(max_examples=examples(40))


@PROPERTY_SETTINGS
@given(sdl_trees())
def test_parse_dump_parse_gives_an_equal_sdl(tree: dict[str, Any]) -> None:
    parsed = parse_sdl(render(tree, 0))
    again = parse_sdl(parsed.to_yaml())
    assert again == parsed
    assert again.groups() == parsed.groups()
    assert again.manifest_hash() == parsed.manifest_hash()


@PROPERTY_SETTINGS
@given(sdl_trees(), st.randoms(use_true_random=False), st.integers(0, 2))
def test_manifest_hash_ignores_key_order_and_layout(
    tree: dict[str, Any], rng: random.Random, style: int
) -> None:
    reference = parse_sdl(render(tree, 0))
    reordered = parse_sdl(render(shuffled(tree, rng), style))
    assert reordered == reference
    assert reordered.manifest_hash() == reference.manifest_hash()
    assert [g.to_dict() for g in reordered.groups()] == [g.to_dict() for g in reference.groups()]


SERVICE_CHANGES = ["image", "env", "command", "args", "port", "as", "proto", "global", "count"]


@PROPERTY_SETTINGS
@given(sdl_trees(), st.sampled_from(SERVICE_CHANGES))
def test_manifest_hash_changes_when_a_service_field_changes(
    tree: dict[str, Any], change: str
) -> None:
    before = parse_sdl(render(tree, 0)).manifest_hash()
    name = next(iter(tree["services"]))
    service = tree["services"][name]
    expose = service["expose"][0]
    if change == "image":
        service["image"] += "-2"
    elif change in ("env", "command", "args"):
        service[change] = [*service.get(change, []), "EXTRA=1"]
    elif change == "port":
        expose["port"] = expose["port"] % 65535 + 1
    elif change == "as":
        expose["as"] = expose.get("as", expose["port"]) % 65535 + 1
    elif change == "proto":
        expose["proto"] = "UDP" if expose.get("proto", "TCP").upper() == "TCP" else "TCP"
    elif change == "global":
        expose["to"] = [*expose["to"], {"service": "other"}]
    else:
        for placement in tree["deployment"][name].values():
            placement["count"] += 1
    assert parse_sdl(render(tree, 0)).manifest_hash() != before


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.sampled_from(["", "x", "1Gi", "0.5"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@settings(max_examples=examples(100))
@given(sdl_trees(), st.data())
def test_any_damaged_sdl_is_refused_cleanly_or_accepted(tree: dict[str, Any], data: Any) -> None:
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(tree) if p]
        target = data.draw(st.sampled_from(paths))
        parent: Any = tree
        for step in target[:-1]:
            parent = parent[step]
        parent[target[-1]] = data.draw(JUNK)
    try:
        sdl = parse_sdl(render(tree, data.draw(st.integers(0, 2))))
    except SdlError as error:
        assert error.issues
        assert all(isinstance(issue.message, str) and issue.message for issue in error.issues)
    else:
        sdl.groups()
        assert len(sdl.manifest_hash()) == 64
