"""The provider suite's real Docker engine and fixture image (provider/runtime_testing.py).

A test that asks for `docker_client` or `httpd_image` skips, naming the reason, where no
Docker engine can run; every container a test makes is labelled with a lease name of its
own, and removed after the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from docker import DockerClient

from provider import runtime_testing
from provider.runtime import Runtime


@pytest.fixture(scope="session")
def docker_client() -> DockerClient:
    client, reason = runtime_testing.docker_engine()
    if client is None:
        pytest.skip(f"no Docker engine: {reason}")
    return client


@pytest.fixture(scope="session")
def httpd_image(docker_client: DockerClient) -> str:
    image, reason = runtime_testing.httpd_image(docker_client)
    if image is None:
        pytest.skip(f"no fixture image: {reason}")
    return image


@pytest.fixture
def runtime(docker_client: DockerClient, httpd_image: str) -> Runtime:
    return Runtime(docker_client, publish_ip="127.0.0.1", pull=True)


@pytest.fixture
def lease_name(runtime: Runtime) -> Iterator[str]:
    """A lease name no other test uses; its containers are removed afterwards."""
    name = f"gpu1tenant/{uuid.uuid4().int % 10**9}/1/1/gpu1provider"
    yield name
    runtime.remove(name)
