"""The package as a user installs it (the commands of clients/python/README.md): a virtual environment that sees
Debian's grpcio and protobuf, ``pip install --no-build-isolation --no-index`` of clients/python into it (offline; the
stubs generated while it is built), then a script in a folder outside the repository that imports the installed
package, not this source tree, and generates an image on the real server."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]  # clients/python
PNG_SIGNATURE = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])

# Run by the venv's interpreter from a folder outside the repository: what it imported, and one image of 3 steps.
SCRIPT = """
import json, sys
from importlib import metadata
import adadiff_client
from adadiff_client import AdaDiffClient, ResultEvent, StepEvent

steps, images = [], []
with AdaDiffClient(sys.argv[1]) as client:
    for event in client.generate(class_label=5, num_images=1, steps=3, seed=21):
        if isinstance(event, StepEvent):
            steps.append(event.step_index)
        elif isinstance(event, ResultEvent):
            images = [image.png for image in event.images]
open("image-0.png", "wb").write(images[0])
print(json.dumps({"package": adadiff_client.__file__, "stubs": adadiff_client.pb2.__file__, "steps": steps,
                  "images": len(images), "requires": metadata.requires("adadiff-client")}))
"""


def _environment(**extra: str) -> dict:
    """The caller's environment without what would point Python at this tree, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "ADADIFF_PROTOS")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return {**env, **extra}


def _run(command: list, cwd: Path, **extra: str) -> str:
    done = subprocess.run(command, cwd=cwd, env=_environment(**extra), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed():
    """(venv folder, its python, its site-packages) with the package installed as the README says, in a scratch folder."""
    with tempfile.TemporaryDirectory(prefix="adadiff-pip-") as scratch:
        venv = Path(scratch) / "venv"
        _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], Path(scratch))
        _run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-index", str(PACKAGE)], Path(scratch))
        python = venv / "bin" / "python"
        site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], Path(scratch)).strip())
        yield venv, python, site


def test_pip_install_offline_carries_the_stubs_and_declares_its_runtimes(installed):
    _, _, site = installed
    generated = site / "adadiff_client" / "_generated"
    assert (generated / ".packaged").is_file(), f"no packaged stubs in {generated}"
    for module in ("adadiff/v1/diffusion_service_pb2.py", "adadiff/v1/diffusion_service_pb2_grpc.py",
                   "google/api/annotations_pb2.py", "google/api/http_pb2.py"):
        assert (generated / module).is_file(), f"{module} missing from the installed package"
    assert not list(site.rglob("*.proto")), "the installed package needs no .proto files"
    metadata = next(site.glob("adadiff_client-*.dist-info")) / "METADATA"
    requires = [line for line in metadata.read_text().splitlines() if line.startswith("Requires-Dist:")]
    assert sorted(r.split(":")[1].split()[0] for r in requires) == ["grpcio", "protobuf"], requires


def test_installed_package_outside_the_repository_generates_an_image(installed, server, tmp_path):
    venv, python, _ = installed
    (tmp_path / "generate.py").write_text(SCRIPT)

    # ADADIFF_PROTOS would point a source tree at the contract; the installed package must not read it at all
    report = json.loads(_run([str(python), "generate.py", server.target], tmp_path, ADADIFF_PROTOS="/nonexistent/protos"))

    assert Path(report["package"]).is_relative_to(venv), f"imported {report['package']}, not the installed package"
    assert Path(report["stubs"]).is_relative_to(venv), f"stubs from {report['stubs']}"
    assert report["steps"] == [0, 1, 2]
    assert report["images"] == 1
    png = (tmp_path / "image-0.png").read_bytes()
    assert png[:8] == PNG_SIGNATURE, png[:16]
    assert any(r.startswith("grpcio") for r in report["requires"]), report["requires"]
