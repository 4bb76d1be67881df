"""The Python client with bearer tokens, TLS and mutual TLS against real servers that require them."""
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import grpc
import pytest

from adadiff_client import AdaDiffClient, ResultEvent, read_token_file

EXAMPLE = Path(__file__).resolve().parents[1] / "example.py"


def assert_valid_png(png: bytes, size=(28, 28)) -> None:
    """Every chunk's CRC, and the pixel data inflating to exactly height rows of width 8-bit samples (+ filter bytes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
    offset, idat, header = 8, b"", None
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset:offset + 8])
        data = png[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length:offset + 12 + length])
        assert zlib.crc32(kind + data) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat += data
        offset += 12 + length
        if kind == b"IEND":
            break
    assert header is not None, "no IHDR"
    width, height, depth, color = header[:4]
    assert (width, height) == size
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    assert len(zlib.decompress(idat)) == height * (1 + width * channels * depth // 8)


def one_image(client: AdaDiffClient) -> bytes:
    events = list(client.generate(class_label=6, num_images=1, steps=2, seed=3))
    assert isinstance(events[-1], ResultEvent)
    return events[-1].images[0].png


def test_token_file_over_plaintext_generates_a_png(token_server, credentials):
    with AdaDiffClient(token_server.target, token_file=credentials.token_file) as client:  # whitespace around it: trimmed
        assert_valid_png(one_image(client))
    with AdaDiffClient(token_server.target, token=credentials.token) as client:
        assert client.list_models()[0].is_default


@pytest.mark.parametrize("kind", ["none", "wrong"])
def test_without_the_right_token_unauthenticated(token_server, credentials, kind):
    token_file = credentials.wrong_token_file if kind == "wrong" else None
    with AdaDiffClient(token_server.target, token_file=token_file, max_attempts=5) as client:
        with pytest.raises(grpc.RpcError) as error:
            one_image(client)
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "bearer token" in error.value.details()
        with pytest.raises(grpc.RpcError) as error:
            client.list_models()
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_mutual_tls_trusting_the_certificate_generates_a_png(mtls_server, credentials):
    with AdaDiffClient(mtls_server.target, token_file=credentials.token_file, ca_file=credentials.server_cert,
                       client_cert=credentials.client_cert, client_key=credentials.client_key) as client:
        assert_valid_png(one_image(client))


def test_tls_without_the_token_unauthenticated(mtls_server, credentials):
    with AdaDiffClient(mtls_server.target, ca_file=credentials.server_cert,
                       client_cert=credentials.client_cert, client_key=credentials.client_key) as client:
        with pytest.raises(grpc.RpcError) as error:
            client.list_models()
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "bearer token" in error.value.details()


def test_tls_without_trusting_the_certificate_fails(mtls_server, credentials):
    # grpc's default roots do not hold a self-signed certificate
    with AdaDiffClient(mtls_server.target, token_file=credentials.token_file, max_attempts=1,
                       client_cert=credentials.client_cert, client_key=credentials.client_key) as client:
        with pytest.raises(grpc.RpcError) as error:
            client.list_models(timeout=30)
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "handshake" in error.value.details().lower() or "certificate" in error.value.details().lower(), error.value.details()


def test_mutual_tls_without_a_client_certificate_fails(mtls_server, credentials):
    with AdaDiffClient(mtls_server.target, token_file=credentials.token_file, ca_file=credentials.server_cert, max_attempts=1) as client:
        with pytest.raises(grpc.RpcError) as error:
            client.list_models(timeout=30)
    assert error.value.code() == grpc.StatusCode.UNAVAILABLE


def test_token_file_missing_or_empty_raises_before_any_call(credentials, tmp_path):
    missing = tmp_path / "no-such-token"
    with pytest.raises(FileNotFoundError, match=f"the token file {missing} does not exist"):
        AdaDiffClient("127.0.0.1:1", token_file=missing)
    for text in ["", "\n  \n", "# a comment only\n"]:
        empty = tmp_path / "empty-token"
        empty.write_text(text)
        with pytest.raises(ValueError, match="is empty; it must hold the bearer token"):
            AdaDiffClient("127.0.0.1:1", token_file=empty)
    two = tmp_path / "two-tokens"
    two.write_text("a\nb\n")
    with pytest.raises(ValueError, match="holds 2 tokens"):
        read_token_file(two)
    assert read_token_file(credentials.server_tokens) == credentials.token  # a server file of one token


def test_tls_options_need_tls(credentials):
    with pytest.raises(ValueError, match="ca_file needs TLS"):
        AdaDiffClient("127.0.0.1:1", ca_file=credentials.server_cert)
    with pytest.raises(ValueError, match="go together"):
        AdaDiffClient("https://127.0.0.1:1", client_cert=credentials.client_cert)
    with pytest.raises(ValueError, match="holds a space"):
        AdaDiffClient("127.0.0.1:1", token="Bearer abc")
    with pytest.raises(ValueError, match="not a PEM file"):
        AdaDiffClient("https://127.0.0.1:1", ca_file=credentials.token_file)


def _example(server, out, *args, token_variable=None):
    env = {k: v for k, v in os.environ.items() if k != "ADADIFF_TOKEN"}
    if token_variable is not None:
        env["ADADIFF_TOKEN"] = token_variable
    return subprocess.run([sys.executable, str(EXAMPLE), "--server", server.target, "--steps", "2", "--images", "1", "--out", out, *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_example_with_token_file_and_with_adadiff_token(token_server, mtls_server, credentials):
    with tempfile.TemporaryDirectory() as out:
        run = _example(token_server, out, "--token-file", str(credentials.token_file))
        assert run.returncode == 0, run.stderr
        assert_valid_png(Path(out, "image-0-seed42.png").read_bytes())
    with tempfile.TemporaryDirectory() as out:
        run = _example(mtls_server, out, "--ca-file", str(credentials.server_cert), "--client-cert", str(credentials.client_cert),
                       "--client-key", str(credentials.client_key), token_variable=credentials.token)
        assert run.returncode == 0, run.stderr
        assert_valid_png(Path(out, "image-0-seed42.png").read_bytes())
    with tempfile.TemporaryDirectory() as out:
        run = _example(token_server, out)
        assert run.returncode == 1
        assert "UNAUTHENTICATED" in run.stderr and "--token-file" in run.stderr and "ADADIFF_TOKEN" in run.stderr
        run = _example(token_server, out, "--token-file", os.path.join(out, "missing"))
        assert run.returncode == 2 and "does not exist" in run.stderr
