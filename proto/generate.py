"""Generate the Python protobuf modules into chain/pb (never edited by hand).

Only gpuchain's own .proto files live beside this script (`proto/gpuchain/`). Everything
else comes from pinned Go modules, fetched with `go mod download`, so nothing of theirs is
copied into the repository and wire compatibility holds by construction:
- CometBFT's ABCI and types protos, from the CometBFT module;
- the Cosmos SDK's protos (tx envelope, keys, auth, bank, staking, distribution, slashing,
  base services), from the cosmos-sdk module at the version Akash mainnet runs;
- their option and annotation protos: gogoproto, cosmos_proto, amino (in the SDK module)
  and google.api's http annotations (from grpc-gateway's copy of googleapis).
Generated modules import each other as top-level packages (`tendermint.*`, `cosmos.*`,
`google.api`, ...); those imports are rewritten to `chain.pb.*` so no top-level
`tendermint` or `cosmos` package ever lands on the import path.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "chain" / "pb"
OUR_PROTOS = ROOT / "proto"
GENERATED_ROOTS = ("tendermint", "gogoproto", "cosmos_proto", "cosmos", "amino", "gpuchain")
IMPORT_PATTERN = re.compile(
    rf"^(from|import) ({'|'.join(GENERATED_ROOTS)}|google\.api)([. ])", re.MULTILINE
)
COSMOS_SDK = "github.com/cosmos/cosmos-sdk@v0.53.8"
COSMOS_PROTO = "github.com/cosmos/cosmos-proto@v1.0.0-beta.5"
GOGOPROTO = "github.com/cosmos/gogoproto@v1.7.0"
GOOGLE_API = "github.com/grpc-ecosystem/grpc-gateway@v1.16.0"
# The Cosmos SDK packages gpuchain speaks; the files they import are generated with them.
COSMOS_PACKAGES = (
    "cosmos/auth/v1beta1",
    "cosmos/bank/v1beta1",
    "cosmos/consensus/v1",
    "cosmos/base",
    "cosmos/crypto",
    "cosmos/distribution/v1beta1",
    "cosmos/slashing/v1beta1",
    "cosmos/staking/v1beta1",
    "cosmos/tx",
)
PROTO_IMPORT = re.compile(r'^import\s+(?:public\s+)?"([^"]+)";', re.MULTILINE)


def go_module_dir(module: str) -> Path:
    """Download a Go module (cached by Go) and return where its source lies."""
    result = subprocess.run(
        ["go", "mod", "download", "-json", module], check=True, capture_output=True, text=True
    )
    return Path(json.loads(result.stdout)["Dir"])


def compile_protos(include_dirs: list[Path], files: list[Path], with_grpc: bool) -> None:
    wkt = Path(grpc_tools.__file__).parent / "_proto"
    args = ["protoc", f"-I{wkt}", *(f"-I{d}" for d in include_dirs)]
    args += [f"--python_out={OUT}", f"--pyi_out={OUT}"]
    if with_grpc:
        args.append(f"--grpc_python_out={OUT}")
    args += [str(f) for f in files]
    if protoc.main(args) != 0:
        sys.exit(f"protoc failed on {len(files)} files from {include_dirs[0]}")


def with_imports(roots: list[Path], include_dirs: list[Path]) -> list[Path]:
    """roots plus every .proto they import, transitively, found under include_dirs
    (well-known types excepted: the protobuf runtime ships them)."""
    found: dict[str, Path] = {}
    pending = list(roots)
    while pending:
        path = pending.pop()
        for name in PROTO_IMPORT.findall(path.read_text()):
            if name in found or name.startswith("google/protobuf/"):
                continue
            source = next((d / name for d in include_dirs if (d / name).exists()), None)
            if source is None:
                sys.exit(f"{path}: imported {name} is in none of {include_dirs}")
            found[name] = source
            pending.append(source)
    return sorted({*roots, *found.values()})


def rewrite_imports() -> None:
    for path in [*OUT.rglob("*.py"), *OUT.rglob("*.pyi")]:
        text = path.read_text()
        rewritten = IMPORT_PATTERN.sub(r"\1 chain.pb.\2\3", text)
        if rewritten != text:
            path.write_text(rewritten)
    for directory in [OUT, *(p for p in OUT.rglob("*") if p.is_dir())]:
        (directory / "__init__.py").touch()


def main() -> None:
    cometbft_version = sys.argv[1]
    comet_protos = go_module_dir(f"github.com/cometbft/cometbft@{cometbft_version}") / "proto"
    gogo_dir = go_module_dir(GOGOPROTO)
    sdk_protos = go_module_dir(COSMOS_SDK) / "proto"
    cosmos_proto_dir = go_module_dir(COSMOS_PROTO) / "proto"
    google_api_dir = go_module_dir(GOOGLE_API) / "third_party" / "googleapis"
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    compile_protos(
        [comet_protos, gogo_dir],
        [
            *sorted((comet_protos / "tendermint").rglob("*.proto")),
            gogo_dir / "gogoproto" / "gogo.proto",
        ],
        with_grpc=False,
    )
    # CometBFT's and gogoproto's files are generated above; the SDK's own copy of CometBFT's
    # protos (its tendermint/ folder) is never used.
    cosmos_includes = [sdk_protos, comet_protos, gogo_dir, cosmos_proto_dir, google_api_dir]
    roots = [p for package in COSMOS_PACKAGES for p in (sdk_protos / package).rglob("*.proto")]
    cosmos_files = [
        p
        for p in with_imports(roots, cosmos_includes)
        if not (p.is_relative_to(comet_protos) or p.is_relative_to(gogo_dir))
    ]
    compile_protos(cosmos_includes, cosmos_files, with_grpc=True)
    compile_protos(
        [OUR_PROTOS, *cosmos_includes], sorted(OUR_PROTOS.rglob("*.proto")), with_grpc=True
    )
    rewrite_imports()
    print(
        f"generated {sum(1 for _ in OUT.rglob('*_pb2*.py'))} modules into {OUT.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
