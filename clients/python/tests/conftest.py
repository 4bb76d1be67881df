"""Starts the real AdaDiff server (the built AdaDiff.Server.dll) on free loopback ports for the whole session."""
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "clients" / "python"))


def _server_dll() -> Path:
    env = os.environ.get("ADADIFF_SERVER_DLL")
    if env:
        return Path(env)
    candidates = sorted((ROOT / "server" / "AdaDiff.Server" / "bin").glob("*/net10.0/linux-x64/AdaDiff.Server.dll"),
                        key=lambda p: p.stat().st_mtime, reverse=True)
    if not candidates:
        pytest.fail("AdaDiff.Server.dll not built: run 'dotnet build server/AdaDiff.Server -c Release' first")
    return candidates[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, grpc_port: int, http_port: int, process: subprocess.Popen, log: Path):
        self.grpc_port, self.http_port, self.process, self.log = grpc_port, http_port, process, log

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"


@pytest.fixture(scope="session")
def server():
    grpc_port, http_port = _free_port(), _free_port()
    log = Path(tempfile.mkstemp(prefix="adadiff-server-", suffix=".log")[1])
    env = {k: v for k, v in os.environ.items() if k != "ASPNETCORE_URLS"}
    env["DOTNET_ENVIRONMENT"] = env["ASPNETCORE_ENVIRONMENT"] = "Production"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["dotnet", str(_server_dll()), "--AdaDiff:BindAddress=127.0.0.1",
             f"--AdaDiff:GrpcPort={grpc_port}", f"--AdaDiff:HttpPort={http_port}"],
            stdout=out, stderr=subprocess.STDOUT, cwd=tempfile.gettempdir(), env=env)
    try:
        deadline = time.monotonic() + 240
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server was not ready after 240 s:\n{log.read_text()}")
            time.sleep(0.2)
        yield Server(grpc_port, http_port, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)
