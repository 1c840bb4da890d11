"""`gpuchain tx deployment …` and `gpuchain query deployment …`.

The client turns SDL into groups (the chain never reads SDL): `tx deployment create` parses
the file with sdl/ and sends its groups and manifest hash.
"""

from __future__ import annotations

import argparse
from typing import Any

import sdl
from chain.cli import api
from chain.crypto import AddressError, decode_address
from chain.pb.gpuchain.deployment.v1 import deployment_pb2, query_pb2
from x.deployment import msgs, queries

DEPLOYMENT_GAS = 600_000


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    deployment = api.command_group(commands, common, "deployment", "deployments from SDL")
    create = api.tx_command(
        deployment,
        common,
        "create",
        "create a deployment from an SDL file",
        "Create a deployment of SDL's groups, funding its escrow with --deposit (ugpc).",
        default_gas=DEPLOYMENT_GAS,
    )
    create.add_argument("sdl_file", metavar="SDL.yaml", help="the SDL file")
    create.add_argument("--deposit", required=True, help="escrow deposit, e.g. 5000000ugpc")
    create.add_argument(
        "--dseq", type=api.uint64, help="deployment sequence (default: current height)"
    )
    create.set_defaults(func=create_deployment)

    deposit = api.tx_command(
        deployment, common, "deposit", "top up a deployment's escrow", "Anyone may top up."
    )
    deposit.add_argument("amount", metavar="AMOUNT", help="e.g. 1000000ugpc")
    _add_dseq(deposit)
    deposit.add_argument("--owner", help="the deployment owner (default: --from)")
    deposit.set_defaults(func=deposit_deployment)

    update = api.tx_command(
        deployment,
        common,
        "update",
        "set a deployment's manifest hash from an SDL file",
        "The SDL's groups must be the ones the deployment has; only the manifest changes.",
    )
    update.add_argument("sdl_file", metavar="SDL.yaml", help="the SDL file")
    _add_dseq(update)
    update.set_defaults(func=update_deployment)

    close = api.tx_command(
        deployment, common, "close", "close a deployment", "Close it and refund its escrow."
    )
    _add_dseq(close)
    close.set_defaults(func=close_deployment)

    group = api.command_group(deployment, common, "group", "a deployment's groups")
    for action in msgs.GROUP_MESSAGES:
        command = api.tx_command(
            group, common, action, f"{action} a group", f"{action.capitalize()} group --gseq."
        )
        _add_dseq(command)
        command.add_argument("--gseq", type=api.uint32, required=True, help="group sequence (1..N)")
        command.set_defaults(func=group_action, action=action)


def _add_dseq(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dseq", type=api.uint64, required=True, help="deployment sequence")


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    deployment = api.command_group(commands, common, "deployment", "deployments")
    listing = api.query_command(deployment, common, "list", "deployments, a page at a time")
    listing.add_argument("--owner", help="only this owner's (address or key)")
    listing.add_argument("--state", choices=("active", "closed"), help="only in this state")
    api.add_page_flags(listing, "deployments")
    listing.set_defaults(func=list_deployments)
    get = api.query_command(deployment, common, "get", "one deployment with its groups")
    get.add_argument("--owner", required=True, help="the owner (address or key)")
    _add_dseq(get)
    get.set_defaults(func=get_deployment)
    api.query_command(deployment, common, "params", "deployment parameters").set_defaults(
        func=api.params_command(queries.PARAMS_PATH, query_pb2, "deployment")
    )


# --- SDL to groups ---------------------------------------------------------------------


def _attributes(entries: Any) -> list[deployment_pb2.Attribute]:
    return [deployment_pb2.Attribute(key=e["key"], value=e["value"]) for e in entries or []]


def group_spec(group: dict[str, Any]) -> deployment_pb2.GroupSpec:
    """A group as sdl's `Group.to_dict()` writes it (Akash's GroupSpec JSON), as the proto."""
    requirements = group["requirements"]
    units = []
    for unit in group["resources"]:
        resource = unit["resource"]
        units.append(
            deployment_pb2.ResourceUnit(
                resource=deployment_pb2.Resources(
                    id=resource["id"],
                    cpu_millis=int(resource["cpu"]["units"]["val"]),
                    cpu_attributes=_attributes(resource["cpu"].get("attributes")),
                    memory=int(resource["memory"]["size"]["val"]),
                    storage=[
                        deployment_pb2.Storage(
                            name=volume["name"],
                            size=int(volume["size"]["val"]),
                            attributes=_attributes(volume.get("attributes")),
                        )
                        for volume in resource["storage"]
                    ],
                    gpu_units=int(resource["gpu"]["units"]["val"]),
                    gpu_attributes=_attributes(resource["gpu"].get("attributes")),
                    endpoints=[
                        deployment_pb2.Endpoint(
                            kind=e.get("kind", 0), sequence_number=e["sequence_number"]
                        )
                        for e in resource["endpoints"]
                    ],
                ),
                count=unit["count"],
                price=deployment_pb2.DecCoin(
                    denom=unit["price"]["denom"], amount=unit["price"]["amount"]
                ),
            )
        )
    return deployment_pb2.GroupSpec(
        name=group["name"],
        requirements=deployment_pb2.PlacementRequirements(
            signed_by=deployment_pb2.SignedBy(
                all_of=requirements["signed_by"]["all_of"] or [],
                any_of=requirements["signed_by"]["any_of"] or [],
            ),
            attributes=_attributes(requirements["attributes"]),
        ),
        resources=units,
    )


def read_sdl(path: str) -> tuple[list[deployment_pb2.GroupSpec], bytes]:
    """The groups and manifest hash of an SDL file; CommandError naming what is wrong."""
    try:
        parsed = sdl.parse_sdl_file(path)
    except sdl.SdlError as error:
        raise api.CommandError(f"{path}: {error}") from None
    except OSError as error:
        raise api.CommandError(f"cannot read {path}: {error.strerror}") from None
    groups = [group_spec(group.to_dict()) for group in parsed.groups()]
    for group in groups:
        _check_auditors(path, group)
    return groups, bytes.fromhex(parsed.manifest_hash())


def _check_auditors(path: str, group: deployment_pb2.GroupSpec) -> None:
    """SDL written for Akash names `akash1…` auditors, which this chain refuses: say so
    here in one line, before anything is signed."""
    signed_by = group.requirements.signed_by
    for field, auditors in (("allOf", signed_by.all_of), ("anyOf", signed_by.any_of)):
        for auditor in auditors:
            try:
                decode_address(auditor)
            except AddressError:
                raise api.CommandError(
                    f"{path}: placement {group.name!r} signedBy.{field} names {auditor!r}; "
                    "auditors on this chain are gpu1… addresses (Akash's akash1… ones are not)"
                ) from None


# --- tx ---------------------------------------------------------------------------------


def create_deployment(args: argparse.Namespace) -> int:
    """`tx deployment create SDL.yaml --deposit AMOUNT [--dseq N]`."""
    key = api.sender_key(args)
    groups, manifest_hash = read_sdl(args.sdl_file)
    dseq = args.dseq if args.dseq is not None else api.latest_height(args)
    message = api.checked(
        msgs.create_msg(key.address, dseq, groups, manifest_hash, api.one_coin(args.deposit)),
        msgs.validate_create,
    )
    return api.deliver(args, key, [message])


def deposit_deployment(args: argparse.Namespace) -> int:
    """`tx deployment deposit AMOUNT --dseq N [--owner ADDR]`."""
    key = api.sender_key(args)
    owner = api.resolve_address(args, args.owner, "owner") if args.owner else key.address
    message = api.checked(
        msgs.deposit_msg(owner, args.dseq, api.one_coin(args.amount), key.address),
        msgs.validate_deposit,
    )
    return api.deliver(args, key, [message])


def update_deployment(args: argparse.Namespace) -> int:
    """`tx deployment update SDL.yaml --dseq N`: only the manifest may change, so an SDL
    whose groups differ from the deployment's is refused here, before signing."""
    key = api.sender_key(args)
    groups, manifest_hash = read_sdl(args.sdl_file)
    current = api.query(
        args,
        queries.DEPLOYMENT_PATH,
        query_pb2.QueryDeploymentRequest(owner=key.address, dseq=args.dseq),
        query_pb2.QueryDeploymentResponse(),
    ).deployment
    if [group.spec for group in current.groups] != groups:
        raise api.CommandError(
            f"{args.sdl_file}: its groups differ from deployment {args.dseq}'s; "
            "update changes only the manifest (close and create a new deployment instead)"
        )
    message = api.checked(
        msgs.update_msg(key.address, args.dseq, manifest_hash), msgs.validate_update
    )
    return api.deliver(args, key, [message])


def close_deployment(args: argparse.Namespace) -> int:
    """`tx deployment close --dseq N`."""
    key = api.sender_key(args)
    message = api.checked(msgs.close_msg(key.address, args.dseq), msgs.validate_close)
    return api.deliver(args, key, [message])


def group_action(args: argparse.Namespace) -> int:
    """`tx deployment group close|pause|start --dseq N --gseq N`."""
    key = api.sender_key(args)
    message = api.checked(
        msgs.group_msg(args.action, key.address, args.dseq, args.gseq), msgs.validate_group_msg
    )
    return api.deliver(args, key, [message])


# --- queries ----------------------------------------------------------------------------


def _summary_rows(deployments: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            d["owner"],
            str(d["dseq"]),
            d["state"],
            str(len(d.get("groups", []))),
            str(d["created_at"]),
        ]
        for d in deployments
    ]


def list_deployments(args: argparse.Namespace) -> int:
    """`query deployment list [--owner ADDR] [--state active|closed]`."""
    owner = api.resolve_address(args, args.owner, "owner") if args.owner else ""
    response = api.query(
        args,
        queries.DEPLOYMENTS_PATH,
        query_pb2.QueryDeploymentsRequest(
            owner=owner, state=args.state or "", pagination=api.page_request(args).to_proto()
        ),
        query_pb2.QueryDeploymentsResponse(),
    )
    answer: dict[str, Any] = {
        "deployments": [api.message_json(d) for d in response.deployments],
        "pagination": api.page_json(response.pagination),
    }
    rows = _summary_rows(answer["deployments"])
    headers = ["OWNER", "DSEQ", "STATE", "GROUPS", "CREATED AT"]
    text = api.table(headers, rows) if rows else "no deployments"
    api.emit(args, answer, text + api.page_text(answer.get("pagination")))
    return 0


def get_deployment(args: argparse.Namespace) -> int:
    """`query deployment get --owner ADDR --dseq N`."""
    owner = api.resolve_address(args, args.owner, "owner")
    response = api.query(
        args,
        queries.DEPLOYMENT_PATH,
        query_pb2.QueryDeploymentRequest(owner=owner, dseq=args.dseq),
        query_pb2.QueryDeploymentResponse(),
    )
    answer = api.message_json(response.deployment)
    summary = {k: v for k, v in answer.items() if k != "groups"}
    lines = [api.fields_text(summary)]
    for group in answer["groups"]:
        lines.append(f"group {group['gseq']} {group['spec']['name']}: {group['state']}")
    api.emit(args, answer, "\n".join(lines))
    return 0
