"""Starts the real AdaDiff server (the built AdaDiff.Server.dll) on free loopback ports for the whole session:
one open, and for the credentials tests one with bearer tokens over plaintext and one with tokens over mutual TLS
(certificates made with openssl for the session)."""
import contextlib
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
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
    def __init__(self, grpc_port: int, http_port: int, process: subprocess.Popen, log: Path, tls: bool = False):
        self.grpc_port, self.http_port, self.process, self.log, self.tls = grpc_port, http_port, process, log, tls

    @property
    def target(self) -> str:
        """host:port, or https://host:port for a server with TLS."""
        return f"{'https://' if self.tls else ''}127.0.0.1:{self.grpc_port}"


@dataclass(frozen=True)
class Credentials:
    """Files of the credentials tests: a self-signed server certificate for 127.0.0.1 (its own CA), a self-signed
    client certificate (the server's client CA), the server's token file and the client's (whitespace around it)."""

    folder: Path
    token: str
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    server_tokens: Path
    token_file: Path
    wrong_token_file: Path


def _self_signed(folder: Path, name: str, subject: str, san: str = "") -> tuple[Path, Path]:
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
               "-subj", subject, "-days", "1", "-keyout", str(key), "-out", str(cert)]
    if san:
        command += ["-addext", f"subjectAltName={san}"]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="session")
def credentials():
    if shutil.which("openssl") is None:
        pytest.fail("openssl not found: the credentials tests make their certificates with it (Debian: apt-get install openssl)")
    folder = Path(tempfile.mkdtemp(prefix="adadiff-credentials-"))
    try:
        server_cert, server_key = _self_signed(folder, "server", "/CN=127.0.0.1", "IP:127.0.0.1")
        client_cert, client_key = _self_signed(folder, "client", "/CN=adadiff python test client")
        token = "py-s3cret_Token.7"
        (folder / "tokens").write_text(f"# tokens the server accepts\n{token}\n")
        (folder / "token").write_text(f"\n  {token}  \n")
        (folder / "wrong-token").write_text("not-the-token\n")
        yield Credentials(folder, token, server_cert, server_key, client_cert, client_key,
                          folder / "tokens", folder / "token", folder / "wrong-token")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _Process:
    """The server with ``extra_args`` on free ports: launched at once, ready when /readyz answers 200 (over https
    with ``ready_context``), so several can load side by side."""

    def __init__(self, *extra_args: str, ready_context: "ssl.SSLContext | None" = None):
        self.grpc_port, self.http_port = _free_port(), _free_port()
        self.ready_context = ready_context
        self.log = Path(tempfile.mkstemp(prefix="adadiff-server-", suffix=".log")[1])
        env = {k: v for k, v in os.environ.items() if k != "ASPNETCORE_URLS"}
        env["DOTNET_ENVIRONMENT"] = env["ASPNETCORE_ENVIRONMENT"] = "Production"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                ["dotnet", str(_server_dll()), "--AdaDiff:BindAddress=127.0.0.1",
                 f"--AdaDiff:GrpcPort={self.grpc_port}", f"--AdaDiff:HttpPort={self.http_port}", *extra_args],
                stdout=out, stderr=subprocess.STDOUT, cwd=tempfile.gettempdir(), env=env)

    def wait_ready(self) -> Server:
        scheme = "https" if self.ready_context is not None else "http"
        deadline = time.monotonic() + 240
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{scheme}://127.0.0.1:{self.http_port}/readyz", timeout=2, context=self.ready_context) as r:
                    if r.status == 200:
                        return Server(self.grpc_port, self.http_port, self.process, self.log, tls=self.ready_context is not None)
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server was not ready after 240 s:\n{self.log.read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.unlink(missing_ok=True)


@contextlib.contextmanager
def _running(*processes: "_Process"):
    try:
        yield [p.wait_ready() for p in processes]
    finally:
        for p in processes:
            p.stop()


@pytest.fixture(scope="session")
def server():
    with _running(_Process()) as (s,):
        yield s


@pytest.fixture(scope="session")
def secured_servers(credentials):
    """Two servers loaded side by side: bearer tokens over plaintext, and bearer tokens over mutual TLS (the server's
    certificate self-signed; the client certificate required)."""
    tokens = f"--AdaDiff:Auth:TokenFile={credentials.server_tokens}"
    context = ssl.create_default_context(cafile=str(credentials.server_cert))
    context.load_cert_chain(str(credentials.client_cert), str(credentials.client_key))
    token_only = _Process(tokens)
    try:
        mutual = _Process(tokens, f"--AdaDiff:Tls:CertificateFile={credentials.server_cert}",
                          f"--AdaDiff:Tls:KeyFile={credentials.server_key}",
                          f"--AdaDiff:Tls:ClientCaFile={credentials.client_cert}", ready_context=context)
    except BaseException:
        token_only.stop()
        raise
    with _running(token_only, mutual) as servers:
        yield servers


@pytest.fixture(scope="session")
def token_server(secured_servers):
    """Bearer tokens over plaintext."""
    return secured_servers[0]


@pytest.fixture(scope="session")
def mtls_server(secured_servers):
    """Bearer tokens over mutual TLS; its target is https://127.0.0.1:<port>."""
    return secured_servers[1]
