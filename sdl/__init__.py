"""Akash SDL (v2.0 and v2.1) for gpuchain: parse, check, and derive groups and manifests.

    sdl = parse_sdl(text, source="deploy.yaml")   # raises SdlError listing every problem
    groups = sdl.groups()                         # on-chain group specs (integers only)
    manifest = sdl.manifest()                     # what the provider runs
    manifest_hash(manifest)                       # hex sha256, as Akash computes it

See docs/sdl.md for the units, the hash encoding and where this parser differs from Akash's.
"""

from __future__ import annotations

from pathlib import Path

from sdl.build import check
from sdl.dump import dump
from sdl.encode import canonical_json, groups_to_list
from sdl.errors import SdlError, SdlIssue
from sdl.model import (
    Attribute,
    ComputeProfile,
    Credentials,
    DeploymentEntry,
    Endpoint,
    Expose,
    ExposeTo,
    Gpu,
    GpuModel,
    Group,
    HttpOptions,
    Manifest,
    Placement,
    Price,
    ResourceUnit,
    Sdl,
    Service,
    ServiceParams,
    StorageMount,
    StorageVolume,
)
from sdl.parse import decode
from sdl.units import PRICE_SCALE
from sdl.yamlsafe import MAX_ALIAS_NODES, MAX_FILE_BYTES, YamlError, load

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_FILE_BYTES",
    "PRICE_SCALE",
    "Attribute",
    "ComputeProfile",
    "Credentials",
    "DeploymentEntry",
    "Endpoint",
    "Expose",
    "ExposeTo",
    "Gpu",
    "GpuModel",
    "Group",
    "HttpOptions",
    "Manifest",
    "Placement",
    "Price",
    "ResourceUnit",
    "Sdl",
    "SdlError",
    "SdlIssue",
    "Service",
    "ServiceParams",
    "StorageMount",
    "StorageVolume",
    "canonical_json",
    "dump",
    "groups_to_list",
    "manifest_hash",
    "parse_sdl",
    "parse_sdl_file",
]


def parse_sdl(text: str | bytes, *, source: str = "<sdl>") -> Sdl:
    """Parse and fully check an SDL file.

    Raises SdlError with every problem found (YAML syntax, hostile YAML, types, Akash's
    rules, network limits); a returned Sdl always yields valid groups and a valid manifest.
    """
    try:
        root = load(text)
    except YamlError as error:
        raise SdlError([SdlIssue("", error.line, error.column, error.message)], source) from None
    sdl, issues = decode(root)
    if sdl is not None:
        issues = issues + check(sdl, issues)
    if issues or sdl is None:
        raise SdlError(issues, source)
    return sdl


def parse_sdl_file(path: str | Path) -> Sdl:
    """Read and parse an SDL file.

    Raises SdlError as `parse_sdl` does (a file above MAX_FILE_BYTES is refused before it is
    read), and OSError when the file cannot be read.
    """
    file_path = Path(path)
    size = file_path.stat().st_size
    if size > MAX_FILE_BYTES:
        message = f"file is {size} bytes, larger than the {MAX_FILE_BYTES}-byte limit"
        raise SdlError([SdlIssue("", 0, 0, message)], str(path))
    return parse_sdl(file_path.read_bytes(), source=str(path))


def manifest_hash(manifest: Manifest | Sdl) -> str:
    """Hex sha256 of the manifest's canonical JSON (Akash's deployment version hash)."""
    if isinstance(manifest, Sdl):
        manifest = manifest.manifest()
    return manifest.hash()
