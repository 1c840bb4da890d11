"""The parser against real files: Akash's own fixtures and the public awesome-akash corpus."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sdl_helpers import DATA

from sdl import SdlError, groups_to_list, parse_sdl

PUBLIC = DATA / "public"
VALID = DATA / "valid"
INVALID = DATA / "invalid"
EXPECTED_OUTPUT = DATA / "expected-output"
MALFORMED = DATA / "malformed"


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _parse_file(path: Path) -> object:
    return parse_sdl(path.read_bytes(), source=path.name)


# -- public corpus ---------------------------------------------------------------------------

# Files of the public corpus that Akash's parser refuses too, and what our error must say.
PUBLIC_INVALID = {
    "Elizaos-ai_Agents__deploy.yml": ("resources.memory.size", 'unknown suffix "Gb"'),
    "automatic-deployment-CICD-template__deploy.yaml": (
        "resources.memory.size",
        'unknown suffix "GB"',
    ),
    "avalanche__deploy.yaml": ("resources.memory.size", 'unknown suffix "gi"'),
    "bark-small__deploy.yaml": ("resources.storage[0].size", 'unknown suffix "GB"'),
    "centrifuge__deploy.yaml": ("resources.memory.size", 'unknown suffix "GB"'),
    "chromadb__deploy.yaml": ("resources.memory.size", 'unknown suffix "Gb"'),
    "elasticsearch__deploy.yaml": ("resources.memory.size", 'unknown suffix "gb"'),
    "elasticsearch__deploy_with_kibana.yaml": ("resources.memory.size", 'unknown suffix "gb"'),
    # A single-mapping storage is always named "default", whatever `name:` says.
    "ghost__deploy-mysql.yaml": (
        "services.ghost.params.storage.blog_data",
        'no compute volume named "blog_data"',
    ),
    "ghrunner__deploy.yaml": ("resources.memory.size", 'unknown suffix "gb"'),
    "gitea__deploy.yaml": ("resources.memory.size", 'unknown suffix "gi"'),
    "gitea__deploy_postgres.yaml": ("resources.memory.size", 'unknown suffix "gi"'),
    "handshake__deploy.yaml": ("resources.memory.size", 'unknown suffix "GB"'),
    "minio__deploy.yml": ("services.minio.expose[0].to", "expected a list, found a mapping"),
    "onetimepad__deploy.yaml": ("resources.storage[0].size", 'unknown suffix "mi"'),
    "paperclip__deploy.yaml": ("resources.memory.size", 'unknown suffix "gi"'),
    "postgres-s3-backup__deploy.yaml": ("services", "no service is exposed globally"),
    "ray__deploy.yaml": ("resources.storage[0].size", 'unknown suffix "Gb"'),
    "ray__ray-nightly-py310-gpu.yml": ("resources.storage[0].size", 'unknown suffix "Gb"'),
    "satisfactory-server__deploy.yaml": ("resources.memory.size", 'unknown suffix "GB"'),
    "steamcmd__deploy.yaml": ("services.steamcmd.expose[0].port", "port must be between 1"),
    "tensorflow-jupyter-ezkl__deploy.yaml": ("resources.memory.size", 'unknown suffix "GB"'),
    "uptime-kuma__deploy.yaml": ("resources.memory.size", 'unknown suffix "Mb"'),
}

PUBLIC_FILES = sorted(row["file"] for row in _tsv(PUBLIC / "INDEX.tsv"))


def test_the_public_corpus_is_all_here() -> None:
    on_disk = sorted(p.name for p in PUBLIC.iterdir() if p.name != "INDEX.tsv")
    assert on_disk == PUBLIC_FILES
    assert len(PUBLIC_FILES) == 266


@pytest.mark.parametrize("name", [n for n in PUBLIC_FILES if n not in PUBLIC_INVALID])
def test_public_file_validates(name: str) -> None:
    sdl = parse_sdl((PUBLIC / name).read_bytes(), source=name)
    groups = sdl.groups()
    assert groups
    assert len(sdl.manifest_hash()) == 64


@pytest.mark.parametrize("name", sorted(PUBLIC_INVALID))
def test_public_file_that_akash_refuses_is_refused_with_the_reason(name: str) -> None:
    path_part, message_part = PUBLIC_INVALID[name]
    with pytest.raises(SdlError) as caught:
        _parse_file(PUBLIC / name)
    assert any(
        path_part in issue.path and message_part in issue.message and issue.line > 0
        for issue in caught.value.issues
    ), caught.value


def test_our_verdicts_agree_with_the_corpus_index() -> None:
    for row in _tsv(PUBLIC / "INDEX.tsv"):
        expected_ok = row["approx_go_check(derived, not executed)"] == "no issue found"
        assert (row["file"] not in PUBLIC_INVALID) == expected_ok, row["file"]


# -- Akash's fixtures ------------------------------------------------------------------------

VALID_FILES = sorted(p.name for p in VALID.iterdir())


@pytest.mark.parametrize("name", VALID_FILES)
def test_akash_valid_fixture_is_accepted(name: str) -> None:
    sdl = parse_sdl((VALID / name).read_bytes(), source=name)
    assert sdl.groups()


# What our error must contain for each file Akash rejects: (path part, message part).
INVALID_EXPECTED = {
    "deployment-svc-mismatch.yaml": ("deployment.webapp", 'no service named "webapp"'),
    "simple-reclamation-invalid.yaml": ("reclamation.min_window", 'invalid min_window "abc"'),
    "simple-reclamation-zero.yaml": ("reclamation.min_window", "must be > 0"),
    "storageClass1.yaml": ("params.storage.configs.mount", "not an absolute path"),
    "storageClass2.yaml": ("params.storage.configs.mount", "not an absolute path"),
    "storageClass3.yaml": ("services.web.params.storage.data", 'no compute volume named "data"'),
    "storageClass4.yaml": ("services.web.params.storage", 'mount point "/etc/nginx" is already'),
    "storageClass5.yaml": ("resources.storage", "requires services.web.params.storage.configs"),
    "v2.1-credentials-error.yaml": ("services.web.credentials.host", "need a host"),
    "v2.1-deployment-svc-mismatch.yaml": ("deployment.webapp", 'no service named "webapp"'),
    "v2.1-reclamation-invalid.yaml": ("reclamation.min_window", 'invalid min_window "abc"'),
    "v2.1-reclamation-zero.yaml": ("reclamation.min_window", "must be > 0"),
    "count-zero.yaml": ("deployment.web.akash.count", "count must be at least 1"),
    "credentials-missing-host.yaml": ("services.web.credentials.host", "need a host"),
    "empty-image.yaml": ("services.web.image", "empty image name"),
    "endpoint-not-used.yaml": ("endpoints.myendpoint", "declared but never used"),
    "invalid-endpoint-name.yaml": ("endpoints.Invalid-Name", "is not valid"),
    "invalid-port.yaml": ("services.web.expose[0].port", "between 1 and 65535"),
    "invalid-protocol.yaml": ("services.web.expose[0].proto", 'unsupported protocol "HTTP"'),
    "ip-without-global.yaml": ("expose[0].to[0].ip", "must also set global: true"),
    "missing-deployment.yaml": ("deployment", '"deployment" is missing'),
    "missing-image.yaml": ("services.web.image", "empty image name"),
    "missing-memory-size.yaml": ("resources.memory.size", "memory size is required"),
    "missing-pricing.yaml": ("profiles.placement.akash.pricing", 'no pricing for profile "web"'),
    "missing-version.yaml": ("version", "no version found"),
    "negative-cpu.yaml": ("resources.cpu.units", 'invalid cpu units "-100m"'),
    "persistent-without-mount.yaml": ("resources.storage", "requires services.web.params"),
    "port-too-high.yaml": ("services.web.expose[0].port", "between 1 and 65535"),
    "port-zero.yaml": ("services.web.expose[0].port", "between 1 and 65535"),
    "ram-persistent-true.yaml": ("attributes.persistent", '"ram" cannot be persistent'),
    "unknown-field.yaml": ("unknown_field", "unexpected top-level field"),
    "v2.1-reclamation-bad-window.yaml": ("reclamation.min_window", "must be > 0"),
    "v2.1-tee-cpu-gpu-no-gpu.yaml": ("services.web.params.tee", "requires gpu resources"),
    "gpu_invalid_interface.sdl.yml": ("nvidia[0].interface", 'invalid gpu interface "sxm4"'),
    "gpu_invalid_no_attributes.sdl.yml": ("gpu.attributes.vendor", "require a vendor"),
    "gpu_invalid_no_vendor.sdl.yml": ("gpu.attributes.vendor", "need a vendor"),
    "gpu_no_gpu_invalid_has_attributes.sdl.yml": ("gpu.attributes.vendor", "need a vendor"),
    "persistent_storage_invalid.sdl.yml": ("attributes.persistent", "cannot be persistent"),
    "_docs_deployment.yaml": ("expose[0].accept[0]", 'hostname "foo.com" is already used'),
    "_run_ssh_gpu.yaml": ("gpu.attributes.vendor", "require a vendor"),
}

INVALID_ROWS = _tsv(INVALID / "EXPECTED.tsv")


def _expected_for(name: str) -> tuple[str, str]:
    for suffix, expected in INVALID_EXPECTED.items():
        if name.endswith("_" + suffix) or name.endswith(suffix):
            return expected
    raise AssertionError(f"no expectation written for {name}")


@pytest.mark.parametrize(
    "row", [r for r in INVALID_ROWS if r["go_outcome"] == "REJECT"], ids=lambda r: r["file"]
)
def test_akash_invalid_fixture_is_rejected_naming_the_problem(row: dict[str, str]) -> None:
    path_part, message_part = _expected_for(row["file"])
    with pytest.raises(SdlError) as caught:
        _parse_file(INVALID / row["file"])
    matching = [
        issue
        for issue in caught.value.issues
        if path_part in issue.path and message_part in issue.message
    ]
    assert matching, caught.value
    assert all(issue.line > 0 for issue in matching if issue.path != "deployment")


@pytest.mark.parametrize(
    "row", [r for r in INVALID_ROWS if r["go_outcome"] != "REJECT"], ids=lambda r: r["file"]
)
def test_fixture_only_the_json_schema_refuses_is_accepted_like_akash(row: dict[str, str]) -> None:
    assert _parse_file(INVALID / row["file"])


def test_every_invalid_fixture_has_a_verdict() -> None:
    names = sorted(p.name for p in INVALID.iterdir() if p.name != "EXPECTED.tsv")
    assert names == sorted(row["file"] for row in INVALID_ROWS)


# -- expected output -------------------------------------------------------------------------

OUTPUT_CASES = sorted(
    p.name.removeprefix("chain-sdk__testdata_sdl_output-fixtures_").removesuffix(
        "_group-specs.json"
    )
    for p in EXPECTED_OUTPUT.glob("*_group-specs.json")
)


def test_all_output_fixtures_are_covered() -> None:
    assert len(OUTPUT_CASES) == 15
    assert len(list(EXPECTED_OUTPUT.glob("chain-sdk__ts_*.manifest.json"))) == 4


@pytest.mark.parametrize("case", OUTPUT_CASES)
def test_groups_and_manifest_match_akash_output(case: str) -> None:
    source = VALID / f"chain-sdk__testdata_sdl_input_{case}_input.yaml"
    prefix = EXPECTED_OUTPUT / f"chain-sdk__testdata_sdl_output-fixtures_{case}"
    sdl = parse_sdl(source.read_bytes())
    expected_groups = json.loads(Path(f"{prefix}_group-specs.json").read_text())
    expected_manifest = json.loads(Path(f"{prefix}_manifest.json").read_text())
    assert groups_to_list(sdl.groups()) == expected_groups
    assert sdl.manifest().to_dict() == expected_manifest


def _old_manifest_form(value: object) -> object:
    """The TS fixtures use an older JSON form: `quantity` for `size`, some vals as numbers."""
    if isinstance(value, dict):
        return {
            ("size" if key == "quantity" else key): (
                str(item) if key == "val" else _old_manifest_form(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_old_manifest_form(item) for item in value]
    return value


@pytest.mark.parametrize(
    "name", ["gpu_basic", "gpu_basic_ram", "gpu_basic_ram_interface", "wordpress"]
)
def test_manifest_matches_the_typescript_fixtures(name: str) -> None:
    sdl = parse_sdl((VALID / f"chain-sdk__ts_src_sdl_fixtures_{name}.sdl.yml").read_bytes())
    expected = json.loads(
        (EXPECTED_OUTPUT / f"chain-sdk__ts_src_sdl_fixtures_{name}.manifest.json").read_text()
    )
    assert sdl.manifest().to_dict() == _old_manifest_form(expected)


# -- malformed -------------------------------------------------------------------------------


def test_file_starting_with_two_dashes_is_refused_as_broken_yaml() -> None:
    with pytest.raises(SdlError) as caught:
        _parse_file(MALFORMED / "teamspeak__deploy.yaml")
    (issue,) = caught.value.issues
    assert issue.message.startswith("not valid YAML")
    assert (issue.line, issue.column) == (2, 8)


def test_file_with_sections_indented_under_services_is_refused_with_a_hint() -> None:
    with pytest.raises(SdlError) as caught:
        _parse_file(MALFORMED / "pokt-network__deploy.yml")
    messages = [issue.message for issue in caught.value.issues]
    assert any('"profiles" is missing' in m and "indentation" in m for m in messages)
    assert any('"deployment" is missing' in m and "indentation" in m for m in messages)
