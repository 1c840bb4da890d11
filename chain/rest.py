"""Cosmos's REST API (the "API server"): every typed query at the HTTP path its proto gives.

Routes are not written by hand: each gRPC method the node serves carries a
`google.api.http` annotation in its .proto (`GET /cosmos/bank/v1beta1/balances/{address}`),
and this gateway maps requests through those annotations onto the same handlers the gRPC
server calls. JSON is written as Cosmos's gateway writes it: proto3 JSON with the proto
field names, int64 as strings, and fields at their default value included. Errors are
`{"code": <gRPC code>, "message": ..., "details": []}` with the matching HTTP status.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from aiohttp import web
from google.protobuf import descriptor, descriptor_pool, json_format
from google.protobuf.message import Message

from chain.coins import format_dec
from chain.errors import AppError
from chain.grpc_server import grpc_status
from chain.module import QueryRoute
from chain.pb.gogoproto import gogo_pb2
from chain.pb.google.api import annotations_pb2, http_pb2

log = logging.getLogger("gpuchain.rest")

MAX_BODY_BYTES = 1 << 20
LEGACY_DEC = "cosmossdk.io/math.LegacyDec"  # gogoproto customtype of Cosmos's Dec fields
# A path variable `{name}` matches one segment, `{name=**}` the rest of the path.
_VARIABLE = re.compile(r"\{([a-zA-Z0-9_.]+)(?:=([^}]*))?\}")
_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
}

Answer = Callable[[QueryRoute, Message], Message]
"""Runs a route's handler on the latest committed state; raises AppError (or RestError)."""


class RestError(Exception):
    """A request this gateway refuses, with the gRPC status a Cosmos gateway would give."""

    def __init__(self, status: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class RestRoute:
    """One HTTP binding of a gRPC method: verb, path pattern, and where the body goes."""

    verb: str
    template: str
    pattern: re.Pattern[str]
    variables: tuple[str, ...]
    body: str
    route: QueryRoute


def http_rules(path: str) -> list[http_pb2.HttpRule]:
    """The google.api.http bindings of a gRPC method path (`/pkg.Service/Method`)."""
    service, _, method = path.lstrip("/").partition("/")
    try:
        found = descriptor_pool.Default().FindMethodByName(f"{service}.{method}")
    except KeyError:
        return []
    options: Any = found.GetOptions()
    extension: Any = annotations_pb2.http
    if not options.HasExtension(extension):
        return []
    rule: http_pb2.HttpRule = options.Extensions[extension]
    return [rule, *rule.additional_bindings]


def rest_routes(routes: Iterable[QueryRoute]) -> list[RestRoute]:
    """Every HTTP binding of routes, most specific templates first so literal segments win
    over variables (`/validators/{addr}/delegations` before `/validators/{addr=**}`)."""
    found = []
    for route in routes:
        for rule in http_rules(route.path):
            verb = rule.WhichOneof("pattern")
            if verb not in ("get", "post"):
                continue
            template = getattr(rule, verb)
            pattern, variables = _compile(template)
            found.append(RestRoute(verb.upper(), template, pattern, variables, rule.body, route))
    return sorted(found, key=lambda r: (-r.template.count("/"), "**" in r.template, r.template))


def _compile(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    parts, variables, position = [], [], 0
    for match in _VARIABLE.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        variables.append(match.group(1))
        greedy = match.group(2) == "**"
        parts.append(f"({'.+' if greedy else '[^/]+'})")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts)), tuple(variables)


def build_request(
    route: QueryRoute,
    path_values: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    body: Any,
) -> Message:
    """The request message from path variables, query parameters (`pagination.limit=10`)
    and, for POST bindings with `body: "*"`, a JSON body. Raises RestError naming the
    parameter that does not fit the message."""
    document: dict[str, Any] = body if isinstance(body, dict) else {}
    fields: Any = route.request_class.DESCRIPTOR
    for name, value in [*path_values.items(), *query]:
        _place(document, fields, name, value)
    request = route.request_class()
    try:
        json_format.ParseDict(document, request)
    except json_format.ParseError as error:
        raise RestError(grpc.StatusCode.INVALID_ARGUMENT, str(error)) from None
    return request


def _place(document: dict[str, Any], message: descriptor.Descriptor, name: str, value: str) -> None:
    """Put one string parameter at its dotted field path, typed as the field wants."""
    *parents, leaf = name.split(".")
    for part in parents:
        field = message.fields_by_name.get(part)
        if field is None or field.message_type is None:
            raise RestError(grpc.StatusCode.INVALID_ARGUMENT, f"unknown parameter {name!r}")
        document = document.setdefault(part, {})
        message = field.message_type
    field = message.fields_by_name.get(leaf)
    if field is None:
        raise RestError(grpc.StatusCode.INVALID_ARGUMENT, f"unknown parameter {name!r}")
    typed: Any = value
    if field.type == descriptor.FieldDescriptor.TYPE_BOOL:
        if value not in ("true", "false"):
            raise RestError(
                grpc.StatusCode.INVALID_ARGUMENT, f"parameter {name!r} must be true or false"
            )
        typed = value == "true"
    if field.is_repeated:
        document.setdefault(leaf, []).append(typed)
    else:
        document[leaf] = typed


def to_json(message: Message) -> dict[str, Any]:
    """proto3 JSON as Cosmos's gateway writes it, LegacyDec fields with their decimal point."""
    result: dict[str, Any] = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    fields: Any = message.DESCRIPTOR
    _with_decimal_points(fields, result)
    return result


@functools.lru_cache(maxsize=4096)
def _is_legacy_dec(field: descriptor.FieldDescriptor) -> bool:
    options: Any = field.GetOptions()
    return bool(options.Extensions[gogo_pb2.customtype] == LEGACY_DEC)


def _with_decimal_points(message: descriptor.Descriptor, document: dict[str, Any]) -> None:
    """Rewrite the LegacyDec fields of a message's JSON in place as Cosmos's gateway shows
    them ("0.050000000000000000"): on the protobuf wire they are the scaled integer's digits
    (in a string or bytes field), which JSON would otherwise show as they are."""
    for field in message.fields:
        value = document.get(field.name)
        if value is None:
            continue
        if _is_legacy_dec(field):
            values = value if field.is_repeated else [value]
            shown = [_decimal(text, field.type == field.TYPE_BYTES) for text in values]
            document[field.name] = shown if field.is_repeated else shown[0]
        elif field.message_type is not None and not field.message_type.GetOptions().map_entry:
            for item in value if field.is_repeated else [value]:
                if isinstance(item, dict):
                    _with_decimal_points(field.message_type, item)


def _decimal(text: str, is_bytes: bool) -> str:
    digits = base64.b64decode(text).decode("ascii", "replace") if is_bytes else text
    return format_dec(int(digits)) if digits.isdigit() else digits


def _error(status: grpc.StatusCode, message: str) -> web.Response:
    return web.json_response(
        {"code": status.value[0], "message": message, "details": []},
        status=_HTTP_STATUS.get(status, 400),
    )


class RestServer:
    """The API server: aiohttp on the node's event loop; handlers run on worker threads so a
    slow query never holds up ABCI."""

    def __init__(self, routes: Iterable[QueryRoute], answer: Answer) -> None:
        self.routes = rest_routes(routes)
        self._answer = answer
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    async def start(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host or "127.0.0.1", int(port)).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.Response:
        for candidate in self.routes:
            if candidate.verb != request.method:
                continue
            match = candidate.pattern.fullmatch(request.path)
            if match is not None:
                return await self._serve(
                    candidate, request, dict(zip(candidate.variables, match.groups(), strict=True))
                )
        return _error(grpc.StatusCode.NOT_FOUND, f"no route for {request.method} {request.path}")

    async def _serve(
        self, candidate: RestRoute, request: web.Request, path_values: dict[str, str]
    ) -> web.Response:
        try:
            body: Any = None
            if candidate.body:
                try:
                    body = json.loads(await request.read() or b"{}")
                except ValueError as error:
                    raise RestError(
                        grpc.StatusCode.INVALID_ARGUMENT, f"body is not JSON: {error}"
                    ) from None
            message = build_request(candidate.route, path_values, request.query.items(), body)
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(None, self._answer, candidate.route, message)
            return web.json_response(to_json(answer))
        except RestError as error:
            return _error(error.status, error.message)
        except AppError as error:
            return _error(grpc_status(error), error.log)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("internal error answering %s %s", request.method, request.path)
            return _error(grpc.StatusCode.INTERNAL, "internal error")
