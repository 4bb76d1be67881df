"""The Python stubs of the contract (protos/), generated with grpc_tools, and their import.

An installed package carries its stubs: the packaging step (``setup.py``) generates them into the built package's
``_generated/`` and marks them as packaged, so an installed package needs neither the repository nor grpc_tools.
Run from the source tree (``sys.path`` naming ``clients/python``), the stubs are generated on first import, and
again whenever a .proto is newer, into ``adadiff_client/_generated/``, which is not committed: the contract in
``protos/`` is the only source.

This module imports nothing outside the standard library at import time: ``setup.py`` loads it by its path.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_OUT = _PACKAGE_DIR / "_generated"
PACKAGED_MARKER = ".packaged"
"""File in ``_generated/`` written by the packaging step: these stubs are the package's own, never regenerated."""


def _protos_dir() -> Path:
    env = os.environ.get("ADADIFF_PROTOS")
    if env:
        return Path(env)
    # clients/python/adadiff_client -> repository root
    return _PACKAGE_DIR.parents[2] / "protos"


def proto_files(root: Path) -> list[Path]:
    """The .proto files of the contract under ``root`` (the repository's protos/): adadiff/v1 and google/api."""
    return sorted(list((root / "adadiff" / "v1").glob("*.proto")) + list((root / "google" / "api").glob("*.proto")))


def _stale(protos: list[Path]) -> bool:
    stamp = _OUT / ".stamp"
    if not stamp.exists():
        return True
    built = stamp.stat().st_mtime
    return any(p.stat().st_mtime > built for p in protos)


def generate(root: Path, out: Path, note: str) -> list[Path]:
    """Runs grpc_tools.protoc on the contract under ``root`` into ``out``; writes ``note`` to ``out/.stamp``.

    Returns the files written. Raises if ``root`` holds no .proto files or protoc fails.
    """
    from grpc_tools import protoc  # Debian: python3-grpc-tools; only needed where stubs are generated

    protos = proto_files(root)
    if not protos:
        raise FileNotFoundError(f"no .proto files under {root}; set ADADIFF_PROTOS to the repository's protos/ folder")
    out.mkdir(parents=True, exist_ok=True)
    args = ["grpc_tools.protoc", f"-I{root}", f"--python_out={out}", f"--grpc_python_out={out}"]
    args += [str(p) for p in protos]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {root}")
    (out / ".stamp").write_text(note + "\n")
    return sorted(p for p in out.rglob("*") if p.is_file())


def load():
    """Returns the generated modules (diffusion_service_pb2, diffusion_service_pb2_grpc)."""
    if not (_OUT / PACKAGED_MARKER).exists():
        root = _protos_dir()
        protos = proto_files(root)
        if not protos:
            raise FileNotFoundError(
                f"no .proto files under {root} and no packaged stubs in {_OUT}: install the package "
                "(pip install --no-build-isolation clients/python) or set ADADIFF_PROTOS to the repository's protos/ folder")
        if _stale(protos):
            generate(root, _OUT, "generated from " + str(root))
    # The generated modules import each other as top-level packages (adadiff.v1, google.api); 'google' is a
    # namespace package in Debian's protobuf, so google.api joins it from here.
    if str(_OUT) not in sys.path:
        sys.path.insert(0, str(_OUT))
    pb2 = importlib.import_module("adadiff.v1.diffusion_service_pb2")
    pb2_grpc = importlib.import_module("adadiff.v1.diffusion_service_pb2_grpc")
    return pb2, pb2_grpc
