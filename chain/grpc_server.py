"""gRPC query server: every module's Query service, answered from the last commit.

Bounded like Cosmos's gRPC server: requests over MAX_RECEIVE_BYTES are refused by gRPC
itself, answers are capped at MAX_SEND_BYTES, and beyond MAX_CONCURRENT_RPCS calls in
flight a new one is answered RESOURCE_EXHAUSTED at once instead of queueing without
limit. Malformed requests get INVALID_ARGUMENT and one log line, never a traceback.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# The node forks CometBFT from this process; gRPC's fork handlers can abort that child
# (grpc/grpc#43055) and gRPC never needs to survive a fork here, so they stay off.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import grpc
from google.protobuf.message import DecodeError
from grpc_reflection.v1alpha import reflection

from chain.app import Application
from chain.errors import KEY_NOT_FOUND, AppError
from chain.module import QueryRoute

log = logging.getLogger("gpuchain.grpc")

# Python's default for I/O-bound pools: queries wait on LevelDB and the network as much
# as on the interpreter, so a few threads per core keep every core busy.
WORKERS = min(32, (os.cpu_count() or 1) + 4)
MAX_CONCURRENT_RPCS = 4 * WORKERS
MAX_RECEIVE_BYTES = 1024 * 1024  # query requests are addresses and page keys
MAX_SEND_BYTES = 16 * 1024 * 1024  # a page of pagination.MAX_LIMIT entries fits with room


def grpc_status(error: AppError) -> grpc.StatusCode:
    """The gRPC status a query error answers with (the REST gateway maps it to HTTP)."""
    return (
        grpc.StatusCode.NOT_FOUND
        if error.kind is KEY_NOT_FOUND
        else grpc.StatusCode.INVALID_ARGUMENT
    )


def _handler(app: Application, route: QueryRoute) -> grpc.RpcMethodHandler:
    def answer(data: bytes, context: grpc.ServicerContext) -> Any:
        request = route.request_class()
        try:
            request.ParseFromString(data)
        except DecodeError as error:
            log.info("refused gRPC %s: request is not valid protobuf (%s)", route.path, error)
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"request is not valid protobuf ({error})"
            )
        try:
            return app.answer(route, request)
        except AppError as error:
            context.abort(grpc_status(error), error.log)
        except Exception:
            log.exception("internal error answering gRPC %s", route.path)
            context.abort(grpc.StatusCode.INTERNAL, "internal error")

    # Requests arrive as bytes and are parsed in `answer`: a deserializer that raises
    # makes gRPC log a traceback for every malformed request.
    return grpc.unary_unary_rpc_method_handler(
        answer, response_serializer=lambda message: message.SerializeToString()
    )


def start_grpc_server(app: Application, routes: Iterable[QueryRoute], address: str) -> grpc.Server:
    """Serve routes on address (host:port), with server reflection so generic gRPC tools
    (grpcurl, grpcui) can list and call every service; returns the started server."""
    services: dict[str, dict[str, grpc.RpcMethodHandler]] = {}
    for route in sorted(routes, key=lambda r: r.path):
        service, _, method = route.path.lstrip("/").partition("/")
        services.setdefault(service, {})[method] = _handler(app, route)
    server = grpc.server(
        ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="grpc"),
        maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS,
        options=[
            ("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),
            ("grpc.max_send_message_length", MAX_SEND_BYTES),
        ],
    )
    for service, methods in services.items():
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, methods),))
    reflection.enable_server_reflection([*services, reflection.SERVICE_NAME], server)
    if server.add_insecure_port(address) == 0:
        raise OSError(f"cannot listen for gRPC on {address}")
    server.start()
    return server
