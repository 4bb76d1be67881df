"""Generates the Python stubs of protos/ with Debian's grpc_tools and imports them.

The stubs are built on first import (and again whenever a .proto is newer) into
``adadiff_client/_generated/``, which is not committed: the contract in ``protos/`` is the only source.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_OUT = _PACKAGE_DIR / "_generated"


def _protos_dir() -> Path:
    env = os.environ.get("ADADIFF_PROTOS")
    if env:
        return Path(env)
    # clients/python/adadiff_client -> repository root
    return _PACKAGE_DIR.parents[2] / "protos"


def _proto_files(root: Path) -> list[Path]:
    return sorted(list((root / "adadiff" / "v1").glob("*.proto")) + list((root / "google" / "api").glob("*.proto")))


def _stale(protos: list[Path]) -> bool:
    stamp = _OUT / ".stamp"
    if not stamp.exists():
        return True
    built = stamp.stat().st_mtime
    return any(p.stat().st_mtime > built for p in protos)


def _generate(root: Path, protos: list[Path]) -> None:
    from grpc_tools import protoc  # Debian: python3-grpc-tools

    _OUT.mkdir(exist_ok=True)
    args = ["grpc_tools.protoc", f"-I{root}", f"--python_out={_OUT}", f"--grpc_python_out={_OUT}"]
    args += [str(p) for p in protos]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {root}")
    (_OUT / ".stamp").write_text("generated from " + str(root) + "\n")


def load():
    """Returns the generated modules (diffusion_service_pb2, diffusion_service_pb2_grpc)."""
    root = _protos_dir()
    protos = _proto_files(root)
    if not protos:
        raise FileNotFoundError(f"no .proto files under {root}; set ADADIFF_PROTOS to the repository's protos/ folder")
    if _stale(protos):
        _generate(root, protos)
    # The generated modules import each other as top-level packages (adadiff.v1, google.api); 'google' is a
    # namespace package in Debian's protobuf, so google.api joins it from here.
    if str(_OUT) not in sys.path:
        sys.path.insert(0, str(_OUT))
    pb2 = importlib.import_module("adadiff.v1.diffusion_service_pb2")
    pb2_grpc = importlib.import_module("adadiff.v1.diffusion_service_pb2_grpc")
    return pb2, pb2_grpc
