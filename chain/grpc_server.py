"""gRPC query server: every module's Query service, answered from the last commit."""

from __future__ import annotations

import os
from typing import Any

# The node forks CometBFT from this process; gRPC's fork handlers can abort that child
# (grpc/grpc#43055) and gRPC never needs to survive a fork here, so they stay off.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import grpc

from chain.app import Application
from chain.errors import KEY_NOT_FOUND, AppError
from chain.module import QueryRoute


def _handler(app: Application, route: QueryRoute) -> grpc.RpcMethodHandler:
    def answer(request: Any, context: grpc.ServicerContext) -> Any:
        reader, _, _ = app.store.query_view()
        try:
            return route.handler(reader, request)
        except AppError as error:
            status = (
                grpc.StatusCode.NOT_FOUND
                if error.kind is KEY_NOT_FOUND
                else grpc.StatusCode.INVALID_ARGUMENT
            )
            context.abort(status, error.log)

    return grpc.unary_unary_rpc_method_handler(
        answer,
        request_deserializer=route.request_class.FromString,
        response_serializer=lambda message: message.SerializeToString(),
    )


def start_grpc_server(app: Application, address: str) -> grpc.Server:
    """Serve app.queries on address (host:port); returns the started server."""
    services: dict[str, dict[str, grpc.RpcMethodHandler]] = {}
    for path, route in sorted(app.queries.items()):
        service, _, method = path.lstrip("/").partition("/")
        services.setdefault(service, {})[method] = _handler(app, route)
    server = grpc.server(_ThreadPool())
    for service, methods in services.items():
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, methods),))
    if server.add_insecure_port(address) == 0:
        raise OSError(f"cannot listen for gRPC on {address}")
    server.start()
    return server


def _ThreadPool() -> Any:
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="grpc")
