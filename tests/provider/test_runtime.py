"""The Docker runtime on a real engine: a manifest group from SDL runs, answers HTTP on its
host ports, logs, is found again by label after a restart, and is removed; bad workloads get
a clear error and leave nothing behind."""

from __future__ import annotations

import copy
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from docker import DockerClient

import sdl
from provider.runtime import (
    LEASE_LABEL,
    DeployError,
    Runtime,
)

WEB_SDL = Path(__file__).resolve().parents[1] / "data" / "provider_runtime" / "web.yaml"


def web_group() -> dict[str, Any]:
    manifest: list[dict[str, Any]] = sdl.parse_sdl_file(WEB_SDL).manifest().to_dict()  # type: ignore[assignment]
    return manifest[0]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
    return body


def wait_for(condition: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_a_manifest_group_runs_answers_http_logs_and_is_removed(
    runtime: Runtime, docker_client: DockerClient, lease_name: str
) -> None:
    statuses = runtime.deploy(lease_name, web_group())

    [web] = statuses
    assert (web.name, web.ready, web.total) == ("web", 2, 2)
    assert sorted(p.port for p in web.ports) == [8080, 8080]
    host_ports = {p.host_port for p in web.ports}
    assert len(host_ports) == 2  # each replica on its own host port
    for port in host_ports:
        assert get(f"http://127.0.0.1:{port}/") == b"gpuchain fixture\n"

    containers = docker_client.containers.list(filters={"label": f"{LEASE_LABEL}={lease_name}"})
    assert len(containers) == 2
    for container in containers:
        host_config = container.attrs["HostConfig"]
        assert host_config["NanoCpus"] == 250 * 1_000_000  # 0.25 CPU from the profile
        assert host_config["Memory"] == 64 * 1024 * 1024
        assert host_config["RestartPolicy"]["Name"] == "on-failure"
        assert "GREETING=hello from the manifest" in container.attrs["Config"]["Env"]

    # The env var reached the command, and httpd logged the requests above.
    lines = wait_for(
        lambda: [
            line
            for line in runtime.logs(lease_name)
            if "url:/" in line.text or "hello from the manifest" in line.text
        ]
    )
    assert sorted({(line.service, line.replica) for line in lines}) == [("web", 0), ("web", 1)]
    assert sum("hello from the manifest" in line.text for line in lines) == 2

    assert runtime.remove(lease_name) == 2
    assert runtime.status(lease_name) == []
    assert (
        docker_client.containers.list(all=True, filters={"label": f"{LEASE_LABEL}={lease_name}"})
        == []
    )


@pytest.mark.timeout(60)
def test_followed_logs_stream_lines_as_the_workload_writes_them(
    runtime: Runtime, lease_name: str
) -> None:
    [web] = runtime.deploy(lease_name, web_group())
    stream = runtime.logs(lease_name, follow=True, tail=0)
    port = web.ports[0].host_port
    get(f"http://127.0.0.1:{port}/index.html")
    line = next(
        line for line in stream if "index.html" in line.text
    )  # the test's timeout bounds it
    assert (line.service, line.replica) == ("web", 0)


def test_a_restarted_daemon_adopts_the_running_containers_by_their_labels(
    docker_client: DockerClient, httpd_image: str, lease_name: str
) -> None:
    first = Runtime(docker_client, publish_ip="127.0.0.1")
    deployed = first.deploy(lease_name, web_group())

    restarted = Runtime(docker_client, publish_ip="127.0.0.1")  # a new process, no memory
    adopted = restarted.adopt()

    assert adopted[lease_name] == deployed
    port = adopted[lease_name][0].ports[0].host_port
    assert get(f"http://127.0.0.1:{port}/") == b"gpuchain fixture\n"


def test_sending_the_manifest_again_replaces_the_lease_s_containers(
    runtime: Runtime, lease_name: str
) -> None:
    runtime.deploy(lease_name, web_group())
    one = web_group()
    one["services"][0]["count"] = 1
    [web] = runtime.deploy(lease_name, one)
    assert (web.ready, web.total, len(web.containers)) == (1, 1, 1)


def test_an_image_that_does_not_exist_is_refused_by_name(runtime: Runtime, lease_name: str) -> None:
    group = web_group()
    group["services"][0]["image"] = "gpuchain-test/no-such-image:1"
    with pytest.raises(DeployError, match=r"image 'gpuchain-test/no-such-image:1' does not exist"):
        runtime.deploy(lease_name, group)
    assert runtime.status(lease_name) == []


def test_a_container_that_exits_at_once_is_reported_with_its_code_and_output(
    runtime: Runtime, lease_name: str
) -> None:
    group = web_group()
    group["services"][0]["args"] = ["echo missing model file >&2; exit 3"]
    with pytest.raises(DeployError) as raised:
        runtime.deploy(lease_name, group)
    message = str(raised.value)
    assert "exited at once with code 3" in message and "missing model file" in message
    assert runtime.status(lease_name) == []  # nothing left holding the lease's resources


def test_a_malformed_group_names_the_field(runtime: Runtime, lease_name: str) -> None:
    group = web_group()
    broken = copy.deepcopy(group)
    broken["services"][0]["resources"]["memory"]["size"]["val"] = "-1"
    with pytest.raises(DeployError, match=r"services\[0\]\.resources\.memory\.size\.val"):
        runtime.deploy(lease_name, broken)
    broken = copy.deepcopy(group)
    broken["services"][0]["count"] = 0
    with pytest.raises(DeployError, match=r"services\[0\]\.count must be 1\.\.64"):
        runtime.deploy(lease_name, broken)
    broken = copy.deepcopy(group)
    broken["services"][0]["credentials"] = {"host": "registry.example.com", "password": "x"}
    with pytest.raises(DeployError, match=r"services\[0\]\.credentials needs a username"):
        runtime.deploy(lease_name, broken)


def test_gpus_go_by_uuid_and_never_to_two_leases(runtime: Runtime, lease_name: str) -> None:
    group = web_group()
    group["services"][0]["resources"]["gpu"]["units"]["val"] = "1"
    with pytest.raises(DeployError, match="needs 2 GPUs but the lease was given 1"):
        runtime.deploy(lease_name, group, gpus=["GPU-aaaa"])
    assert runtime.status(lease_name) == []
