"""Write a parsed SDL back as SDL text that parses to an equal object.

Quantities are written exactly (`500m`, `512Mi`, decimal prices) and mappings come out sorted,
so the output is also a canonical form of the input.
"""

from __future__ import annotations

import yaml

from sdl.model import Expose, Sdl, Service
from sdl.units import format_price_short, format_size

Tree = dict[str, object]


def _expose(expose: Expose) -> Tree:
    item: Tree = {"port": expose.port}
    if expose.as_:
        item["as"] = expose.as_
    if expose.proto:
        item["proto"] = expose.proto
    if expose.to:
        item["to"] = [
            {
                **({"service": t.service} if t.service else {}),
                **({"global": True} if t.global_ else {}),
                **({"ip": t.ip} if t.ip else {}),
            }
            for t in expose.to
        ]
    if expose.accept:
        item["accept"] = list(expose.accept)
    options = expose.http_options
    http: Tree = {}
    for key in (
        "max_body_size",
        "read_timeout",
        "send_timeout",
        "next_tries",
        "next_timeout",
        "proxy_buffer_size",
    ):
        value = getattr(options, key)
        if value:
            http[key] = value
    if options.next_cases is not None:
        http["next_cases"] = list(options.next_cases)
    if http:
        item["http_options"] = http
    return item


def _service(service: Service) -> Tree:
    tree: Tree = {"image": service.image}
    for key in ("command", "args", "env"):
        value = getattr(service, key)
        if value is not None:
            tree[key] = list(value)
    if service.expose:
        tree["expose"] = [_expose(expose) for expose in service.expose]
    if service.params is not None:
        params: Tree = {}
        if service.params.storage:
            params["storage"] = {
                m.volume: {"mount": m.mount, "readOnly": m.read_only}
                for m in service.params.storage
            }
        if service.params.permissions_read is not None:
            params["permissions"] = {"read": list(service.params.permissions_read)}
        if service.params.tee is not None:
            params["tee"] = service.params.tee
        tree["params"] = params
    if service.credentials is not None:
        c = service.credentials
        tree["credentials"] = {
            "host": c.host,
            "username": c.username,
            "password": c.password,
            "email": c.email,
        }
    return tree


def to_tree(sdl: Sdl) -> Tree:
    """The SDL as nested dicts and lists of str, int and bool (YAML-ready)."""
    compute: Tree = {}
    for name, profile in sdl.compute.items():
        cpu: Tree = {"units": f"{profile.cpu_millicores}m"}
        if profile.cpu_attributes:
            cpu["attributes"] = {a.key: a.value for a in profile.cpu_attributes}
        storage: list[Tree] = []
        for volume in profile.storage:
            entry: Tree = {"name": volume.name, "size": format_size(volume.size)}
            if volume.attributes is not None:
                entry["attributes"] = {a.key: a.value for a in volume.attributes}
            storage.append(entry)
        resources: Tree = {
            "cpu": cpu,
            "memory": {"size": format_size(profile.memory_bytes)},
            "storage": storage,
        }
        gpu = profile.gpu
        if gpu.units or gpu.nvidia is not None:
            gpu_tree: Tree = {"units": gpu.units}
            if gpu.nvidia is not None:
                models: list[Tree] = []
                for model in gpu.nvidia:
                    item: Tree = {"model": model.model}
                    if model.ram is not None:
                        item["ram"] = format_size(model.ram, binary_only=True)
                    if model.interface is not None:
                        item["interface"] = model.interface
                    models.append(item)
                gpu_tree["attributes"] = {"vendor": {"nvidia": models}}
            resources["gpu"] = gpu_tree
        compute[name] = {"resources": resources}
    placement: Tree = {}
    for name, place in sdl.placements.items():
        tree: Tree = {}
        if place.attributes is not None:
            tree["attributes"] = {a.key: a.value for a in place.attributes}
        signed: Tree = {}
        if place.signed_by_all_of is not None:
            signed["allOf"] = list(place.signed_by_all_of)
        if place.signed_by_any_of is not None:
            signed["anyOf"] = list(place.signed_by_any_of)
        if signed:
            tree["signedBy"] = signed
        tree["pricing"] = {
            profile: {"denom": price.denom, "amount": format_price_short(price.amount)}
            for profile, price in place.pricing.items()
        }
        placement[name] = tree
    deployment: Tree = {}
    for entry_ in sdl.deployment:
        placements = deployment.setdefault(entry_.service, {})
        assert isinstance(placements, dict)
        placements[entry_.placement] = {"profile": entry_.profile, "count": entry_.count}
    root: Tree = {
        "version": sdl.version,
        "services": {name: _service(service) for name, service in sdl.services.items()},
        "profiles": {"compute": compute, "placement": placement},
        "deployment": deployment,
    }
    if sdl.endpoints:
        root["endpoints"] = {name: {"kind": e.kind} for name, e in sdl.endpoints.items()}
    if sdl.reclamation is not None:
        root["reclamation"] = {"min_window": sdl.reclamation.min_window}
    return root


def dump(sdl: Sdl) -> str:
    """SDL text for `sdl`, in block-style YAML; parsing it gives an equal Sdl."""
    text: str = yaml.safe_dump(
        to_tree(sdl), sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000
    )
    return text
