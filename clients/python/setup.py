"""The packaging step of adadiff-client (metadata in pyproject.toml).

While the package is built, the gRPC stubs are generated from the repository's protos/ (or ADADIFF_PROTOS) into the
built package's ``adadiff_client/_generated/``, marked as packaged: the installed package imports them and needs
neither the repository nor grpc_tools. Its dependencies are the runtimes those stubs were generated for: grpcio and
protobuf no older than the ones present at build time (newer protoc output checks the protobuf runtime's version).

Offline, with Debian's python3-setuptools, python3-wheel and python3-grpc-tools:
    pip install --no-build-isolation ./clients/python
"""
import importlib.util
import os
import shutil
from importlib import metadata
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _stubs_module():
    """adadiff_client/_stubs.py loaded by its path: importing the package would import grpc and load the stubs."""
    spec = importlib.util.spec_from_file_location("_adadiff_stubs", HERE / "adadiff_client" / "_stubs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _protos_dir() -> Path:
    env = os.environ.get("ADADIFF_PROTOS")
    return Path(env) if env else HERE.parents[1] / "protos"  # clients/python -> repository root


def _at_least(distribution: str) -> str:
    """'name>=major.minor' of the installed distribution (the runtime the generated stubs target)."""
    major, minor = metadata.version(distribution).split(".")[:2]
    return f"{distribution}>={major}.{minor}"


class BuildPyWithStubs(build_py):
    """build_py, then the stubs generated into the built package (a clean folder, so no stale module survives)."""

    def run(self):
        super().run()
        out = Path(self.build_lib) / "adadiff_client" / "_generated"
        shutil.rmtree(out, ignore_errors=True)
        stubs = _stubs_module()
        root = _protos_dir()
        names = [p.relative_to(root).as_posix() for p in stubs.proto_files(root)]
        self._generated = stubs.generate(root, out, "generated at packaging time from " + ", ".join(names))
        marker = out / stubs.PACKAGED_MARKER
        marker.write_text(f"packaged stubs: generated with protobuf {metadata.version('protobuf')}; not regenerated\n")
        self._generated.append(marker)

    def get_outputs(self, include_bytecode=1):
        return super().get_outputs(include_bytecode) + [str(p) for p in getattr(self, "_generated", [])]


setup(
    cmdclass={"build_py": BuildPyWithStubs},
    install_requires=[_at_least("grpcio"), _at_least("protobuf")],
)
