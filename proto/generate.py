"""Generate the Python protobuf modules into chain/pb (never edited by hand).

Our own .proto files live beside this script. CometBFT's ABCI protos are taken from the
pinned CometBFT Go module and gogoproto from its Go module (fetched with `go mod download`),
so nothing of theirs is copied into the repository. Generated modules import each other as
top-level packages (`tendermint.*`, `gogoproto`, `cosmos.*`); those imports are rewritten to
`chain.pb.*` so no top-level `tendermint` package ever lands on the import path.
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
GENERATED_ROOTS = ("tendermint", "gogoproto", "cosmos", "gpuchain")
IMPORT_PATTERN = re.compile(rf"^(from|import) ({'|'.join(GENERATED_ROOTS)})([. ])", re.MULTILINE)


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
    comet_dir = go_module_dir(f"github.com/cometbft/cometbft@{cometbft_version}")
    gogo_dir = go_module_dir("github.com/cosmos/gogoproto@v1.7.0")
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    comet_protos = comet_dir / "proto"
    compile_protos(
        [comet_protos, gogo_dir],
        [
            *sorted((comet_protos / "tendermint").rglob("*.proto")),
            gogo_dir / "gogoproto" / "gogo.proto",
        ],
        with_grpc=False,
    )
    compile_protos([OUR_PROTOS], sorted(OUR_PROTOS.rglob("*.proto")), with_grpc=True)
    rewrite_imports()
    print(
        f"generated {sum(1 for _ in OUT.rglob('*_pb2*.py'))} modules into {OUT.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
