"""JSON forms of groups and manifests, and the canonical bytes the manifest hash is taken over.

The JSON follows Akash exactly (field names, `null` for absent lists, quantities as integer
strings in `{"val": ...}`, prices with 18 decimals), so that the hash equals the one Akash
tools compute: sha256 over the JSON with keys sorted, no whitespace, and Go's escaping of
`<`, `>`, `&`, U+2028 and U+2029. No floats appear anywhere.
"""

from __future__ import annotations

import json

from sdl.model import (
    Attribute,
    Credentials,
    Group,
    Manifest,
    ManifestExpose,
    ManifestParams,
    ManifestService,
    Resources,
)

JsonObject = dict[str, object]


def _attributes(attributes: tuple[Attribute, ...] | None) -> list[JsonObject] | None:
    if attributes is None:
        return None
    return [{"key": a.key, "value": a.value} for a in attributes]


def _list(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values is not None else None


def resources_to_dict(resources: Resources) -> JsonObject:
    cpu: JsonObject = {"units": {"val": str(resources.cpu_millicores)}}
    if resources.cpu_attributes:
        cpu["attributes"] = _attributes(resources.cpu_attributes)
    gpu: JsonObject = {"units": {"val": str(resources.gpu_units)}}
    if resources.gpu_attributes:
        gpu["attributes"] = _attributes(resources.gpu_attributes)
    storage: list[JsonObject] = []
    for volume in resources.storage:
        entry: JsonObject = {"name": volume.name, "size": {"val": str(volume.size)}}
        if volume.attributes:
            entry["attributes"] = _attributes(volume.attributes)
        storage.append(entry)
    endpoints: list[JsonObject] = []
    for endpoint in resources.endpoints:
        item: JsonObject = {}
        if endpoint.kind:
            item["kind"] = endpoint.kind
        item["sequence_number"] = endpoint.sequence_number
        endpoints.append(item)
    return {
        "id": resources.id,
        "cpu": cpu,
        "memory": {"size": {"val": str(resources.memory_bytes)}},
        "storage": storage,
        "gpu": gpu,
        "endpoints": endpoints,
    }


def group_to_dict(group: Group) -> JsonObject:
    """Akash's GroupSpec JSON."""
    requirements = group.requirements
    return {
        "name": group.name,
        "requirements": {
            "signed_by": {
                "all_of": _list(requirements.signed_by_all_of),
                "any_of": _list(requirements.signed_by_any_of),
            },
            "attributes": _attributes(requirements.attributes),
        },
        "resources": [
            {
                "resource": resources_to_dict(unit.resources),
                "count": unit.count,
                "price": {"denom": unit.price.denom, "amount": unit.price.amount_text},
            }
            for unit in group.resources
        ],
    }


def groups_to_list(groups: list[Group]) -> list[JsonObject]:
    return [group_to_dict(group) for group in groups]


def _expose(expose: ManifestExpose) -> JsonObject:
    options = expose.http_options
    http: JsonObject = {
        "maxBodySize": options.max_body_size,
        "readTimeout": options.read_timeout,
        "sendTimeout": options.send_timeout,
        "nextTries": options.next_tries,
        "nextTimeout": options.next_timeout,
        "nextCases": list(options.next_cases),
    }
    if options.proxy_buffer_size:
        http["proxyBufferSize"] = options.proxy_buffer_size
    return {
        "port": expose.port,
        "externalPort": expose.external_port,
        "proto": expose.proto,
        "service": expose.service,
        "global": expose.global_,
        "hosts": _list(expose.hosts),
        "httpOptions": http,
        "ip": expose.ip,
        "endpointSequenceNumber": expose.endpoint_sequence_number,
    }


def _params(params: ManifestParams) -> JsonObject:
    result: JsonObject = {
        "storage": [
            {"name": s.name, "mount": s.mount, "readOnly": s.read_only} for s in params.storage
        ]
        if params.storage
        else None
    }
    if params.has_permissions:
        result["permissions"] = {"read": _list(params.permissions_read)}
    if params.tee_type is not None:
        result["tee"] = {"type": params.tee_type, "attestation": True}
    return result


def _credentials(credentials: Credentials | None) -> JsonObject | None:
    if credentials is None:
        return None
    return {
        "host": credentials.host,
        "email": credentials.email,
        "username": credentials.username,
        "password": credentials.password,
    }


def service_to_dict(service: ManifestService) -> JsonObject:
    result: JsonObject = {
        "name": service.name,
        "image": service.image,
        "command": _list(service.command),
        "args": _list(service.args),
        "env": _list(service.env),
        "resources": resources_to_dict(service.resources),
        "count": service.count,
        "expose": [_expose(expose) for expose in service.expose],
    }
    if service.params is not None:
        result["params"] = _params(service.params)
    result["credentials"] = _credentials(service.credentials)
    return result


def manifest_to_list(manifest: Manifest) -> list[object]:
    """Akash's manifest JSON: a list of groups, each with its services."""
    return [
        {"name": group.name, "services": [service_to_dict(s) for s in group.services]}
        for group in manifest.groups
    ]


_GO_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def canonical_json(value: object) -> bytes:
    """Sorted keys, no whitespace, UTF-8, with Go's HTML-safe escaping (as Akash hashes it)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for character, escape in _GO_ESCAPES:
        if character in text:
            text = text.replace(character, escape)
    return text.encode("utf-8")
