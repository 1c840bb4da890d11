"""gRPC query server: every module's Query service, answered from the last commit."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

# The node forks CometBFT from this process; gRPC's fork handlers can abort that child
# (grpc/grpc#43055) and gRPC never needs to survive a fork here, so they stay off.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import grpc
from grpc_reflection.v1alpha import reflection

from chain.app import Application
from chain.errors import KEY_NOT_FOUND, AppError
from chain.module import QueryRoute


def grpc_status(error: AppError) -> grpc.StatusCode:
    """The gRPC status a query error answers with (the REST gateway maps it to HTTP)."""
    return (
        grpc.StatusCode.NOT_FOUND
        if error.kind is KEY_NOT_FOUND
        else grpc.StatusCode.INVALID_ARGUMENT
    )


def _handler(app: Application, route: QueryRoute) -> grpc.RpcMethodHandler:
    def answer(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return app.answer(route, request)
        except AppError as error:
            context.abort(grpc_status(error), error.log)

    return grpc.unary_unary_rpc_method_handler(
        answer,
        request_deserializer=route.request_class.FromString,
        response_serializer=lambda message: message.SerializeToString(),
    )


def start_grpc_server(app: Application, routes: Iterable[QueryRoute], address: str) -> grpc.Server:
    """Serve routes on address (host:port), with server reflection so generic gRPC tools
    (grpcurl, grpcui) can list and call every service; returns the started server."""
    services: dict[str, dict[str, grpc.RpcMethodHandler]] = {}
    for route in sorted(routes, key=lambda r: r.path):
        service, _, method = route.path.lstrip("/").partition("/")
        services.setdefault(service, {})[method] = _handler(app, route)
    server = grpc.server(_ThreadPool())
    for service, methods in services.items():
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, methods),))
    reflection.enable_server_reflection([*services, reflection.SERVICE_NAME], server)
    if server.add_insecure_port(address) == 0:
        raise OSError(f"cannot listen for gRPC on {address}")
    server.start()
    return server


def _ThreadPool() -> Any:
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="grpc")
