"""`gpuchain tx provider …` and `gpuchain query provider …`: GPU providers.

PROVIDER.yaml is Akash's provider file:

    host: https://provider.example.com:8443
    attributes:
      - key: region
        value: us-west
    info:
      email: ops@example.com
      website: https://example.com
"""

from __future__ import annotations

import argparse
import hashlib
import ssl
from pathlib import Path
from typing import Any

import yaml

from chain.cli import api
from chain.pb.gpuchain.provider.v1 import query_pb2
from x.provider import msgs, queries

PROVIDER_GAS = 300_000
MAX_PROVIDER_FILE_BYTES = 64 * 1024


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    provider = api.command_group(commands, common, "provider", "GPU providers")
    create = api.tx_command(
        provider,
        common,
        "create",
        "register the --from key as a provider",
        "Register a provider from PROVIDER.yaml, locking --collateral.",
        default_gas=PROVIDER_GAS,
    )
    create.add_argument("file", metavar="PROVIDER.yaml", help="Akash-style provider file")
    create.add_argument("--collateral", required=True, metavar="AMOUNT", help="e.g. 1000000ugpc")
    create.add_argument("--cert", metavar="CERT.pem", help="the gateway's TLS certificate")
    create.set_defaults(func=create_provider)
    update = api.tx_command(
        provider,
        common,
        "update",
        "change the --from key's provider",
        "Replace host, attributes and info from PROVIDER.yaml; --cert records a new "
        "certificate, without it the recorded one stays.",
        default_gas=PROVIDER_GAS,
    )
    update.add_argument("file", metavar="PROVIDER.yaml", help="Akash-style provider file")
    update.add_argument("--cert", metavar="CERT.pem", help="the gateway's TLS certificate")
    update.set_defaults(func=update_provider)
    api.tx_command(
        provider,
        common,
        "delete",
        "remove the --from key's provider",
        "Remove the provider; its collateral returns after the unbonding period.",
        default_gas=PROVIDER_GAS,
    ).set_defaults(func=delete_provider)
    add = api.tx_command(
        provider,
        common,
        "add-collateral",
        "lock more collateral",
        "Lock AMOUNT more collateral for the --from key's provider.",
        default_gas=PROVIDER_GAS,
    )
    add.add_argument("amount", metavar="AMOUNT", help="e.g. 1000000ugpc")
    add.set_defaults(func=add_collateral)


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    provider = api.command_group(commands, common, "provider", "GPU providers")
    listing = api.query_command(provider, common, "list", "providers, a page at a time")
    listing.add_argument("--attribute", metavar="KEY=VALUE", help="only providers declaring it")
    api.add_page_flags(listing, "providers")
    listing.set_defaults(func=list_providers)
    api.query_command(
        provider, common, "get", "one provider", ("ADDRESS", "gpu1… address or key name")
    ).set_defaults(func=get_provider)
    api.query_command(
        provider,
        common,
        "reputation",
        "a provider's service record and score",
        ("ADDRESS", "gpu1… address or key name"),
    ).set_defaults(func=get_reputation)
    api.query_command(provider, common, "params", "provider parameters").set_defaults(
        func=api.params_command(queries.PARAMS_PATH, query_pb2, "provider")
    )


# --- reading files ---------------------------------------------------------------------


def _text(value: Any) -> str:
    """A YAML scalar as the chain stores it (true, not True)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def read_provider_file(path: str) -> tuple[str, list[tuple[str, str]], str, str]:
    """(host, attributes, email, website) of PROVIDER.yaml; CommandError naming the fault."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise api.CommandError(f"cannot read {path}: {error.strerror}") from None
    if len(raw) > MAX_PROVIDER_FILE_BYTES:
        raise api.CommandError(f"{path} is larger than {MAX_PROVIDER_FILE_BYTES} bytes")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise api.CommandError(f"{path} is not YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise api.CommandError(f"{path} must be a mapping with host, attributes and info")
    unknown = sorted(str(key) for key in data if key not in ("host", "attributes", "info"))
    if unknown:
        raise api.CommandError(f"{path}: unknown field {unknown[0]!r}")
    if not data.get("host"):
        raise api.CommandError(f"{path}: host is missing (e.g. https://provider.example.com)")
    attributes = []
    for index, entry in enumerate(data.get("attributes") or []):
        if not isinstance(entry, dict) or set(entry) != {"key", "value"}:
            raise api.CommandError(f"{path}: attributes[{index}] must have key and value")
        attributes.append((_text(entry["key"]), _text(entry["value"])))
    info = data.get("info") or {}
    if not isinstance(info, dict):
        raise api.CommandError(f"{path}: info must be a mapping with email and website")
    return _text(data["host"]), attributes, _text(info.get("email")), _text(info.get("website"))


def cert_fingerprint(path: str) -> str:
    """SHA-256 of the PEM certificate's DER, in lower-case hex."""
    try:
        pem = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise api.CommandError(f"cannot read certificate {path}: {error}") from None
    try:
        der = ssl.PEM_cert_to_DER_cert(pem.strip() + "\n")
    except ValueError:
        raise api.CommandError(f"{path} is not a PEM certificate") from None
    return hashlib.sha256(der).hexdigest()


# --- tx --------------------------------------------------------------------------------


def create_provider(args: argparse.Namespace) -> int:
    """`tx provider create PROVIDER.yaml --collateral AMOUNT [--cert CERT.pem] --from KEY`."""
    key = api.sender_key(args)
    host, attributes, email, website = read_provider_file(args.file)
    fingerprint = cert_fingerprint(args.cert) if args.cert else ""
    message = msgs.create_provider_msg(
        key.address, host, attributes, api.one_coin(args.collateral), email, website, fingerprint
    )
    return api.deliver(args, key, [api.checked(message, msgs.validate_create)])


def update_provider(args: argparse.Namespace) -> int:
    """`tx provider update PROVIDER.yaml [--cert CERT.pem] --from KEY`."""
    key = api.sender_key(args)
    host, attributes, email, website = read_provider_file(args.file)
    if args.cert:
        fingerprint = cert_fingerprint(args.cert)
    else:
        fingerprint = _current(args, key.address).provider.cert_fingerprint
    message = msgs.update_provider_msg(key.address, host, attributes, email, website, fingerprint)
    return api.deliver(args, key, [api.checked(message, msgs.validate_update)])


def delete_provider(args: argparse.Namespace) -> int:
    """`tx provider delete --from KEY`."""
    key = api.sender_key(args)
    message = api.checked(msgs.delete_provider_msg(key.address), msgs.validate_delete)
    return api.deliver(args, key, [message])


def add_collateral(args: argparse.Namespace) -> int:
    """`tx provider add-collateral AMOUNT --from KEY`."""
    key = api.sender_key(args)
    message = msgs.add_collateral_msg(key.address, api.one_coin(args.amount))
    return api.deliver(args, key, [api.checked(message, msgs.validate_add_collateral)])


# --- queries ---------------------------------------------------------------------------


def _current(args: argparse.Namespace, address: str) -> query_pb2.QueryProviderResponse:
    return api.query(
        args,
        queries.PROVIDER_PATH,
        query_pb2.QueryProviderRequest(owner=address),
        query_pb2.QueryProviderResponse(),
    )


def _attributes_text(attributes: list[dict[str, str]]) -> str:
    return ",".join(f"{a['key']}={a['value']}" for a in attributes) or "-"


def list_providers(args: argparse.Namespace) -> int:
    """`query provider list [--attribute KEY=VALUE] [--limit N] [--page-key K] [...]`."""
    request = query_pb2.QueryProvidersRequest(pagination=api.page_request(args).to_proto())
    if args.attribute is not None:
        key, sep, value = args.attribute.partition("=")
        if not sep or not key or not value:
            raise api.CommandError(
                f"invalid --attribute {args.attribute!r}: expected KEY=VALUE, e.g. region=us-west"
            )
        request.attribute_key, request.attribute_value = key, value
    response = api.query(args, queries.PROVIDERS_PATH, request, query_pb2.QueryProvidersResponse())
    answer: dict[str, Any] = {
        "providers": [api.message_json(p) for p in response.providers],
        "pagination": api.page_json(response.pagination),
    }
    rows = [
        [
            p["owner"],
            p["host_uri"],
            api.coins_text([p["collateral"]]),
            _attributes_text(p["attributes"]),
        ]
        for p in answer["providers"]
    ]
    headers = ["OWNER", "HOST", "COLLATERAL", "ATTRIBUTES"]
    text = api.table(headers, rows) if rows else "no providers"
    api.emit(args, answer, text + api.page_text(answer.get("pagination")))
    return 0


def get_provider(args: argparse.Namespace) -> int:
    """`query provider get ADDRESS`."""
    response = _current(args, api.resolve_address(args, args.address, "provider"))
    answer: dict[str, Any] = {
        "provider": api.message_json(response.provider) if response.HasField("provider") else None,
        "releases": [api.message_json(release) for release in response.releases],
    }
    lines = []
    if answer["provider"] is not None:
        shown = dict(answer["provider"])
        shown["attributes"] = _attributes_text(shown["attributes"])
        shown["collateral"] = api.coins_text([shown["collateral"]])
        lines.append(api.fields_text(shown))
    else:
        lines.append("deleted")
    for release in answer["releases"]:
        lines.append(
            f"collateral {api.coins_text([release['amount']])} returns at height "
            f"{release['completion_height']}"
        )
    api.emit(args, answer, "\n".join(lines))
    return 0


def get_reputation(args: argparse.Namespace) -> int:
    """`query provider reputation ADDRESS`."""
    response = api.query(
        args,
        queries.REPUTATION_PATH,
        query_pb2.QueryReputationRequest(
            provider=api.resolve_address(args, args.address, "provider")
        ),
        query_pb2.QueryReputationResponse(),
    )
    answer = api.message_json(response)
    api.emit(args, answer, api.fields_text({**answer["reputation"], "score": answer["score"]}))
    return 0
