"""A small typed wrapper over the generated AdaDiff stubs."""
from __future__ import annotations

import collections
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence, Union

import grpc

from . import _stubs

pb2, pb2_grpc = _stubs.load()

_SAMPLERS = {"ddim": pb2.SAMPLER_DDIM, "ddpm": pb2.SAMPLER_DDPM, "dpm++": pb2.SAMPLER_DPM_SOLVER_PP_2M}
_EXIT_MODES = {"adaptive": pb2.EXIT_MODE_ADAPTIVE, "full": pb2.EXIT_MODE_FULL_DEPTH, "fixed": pb2.EXIT_MODE_FIXED_DEPTH}
_LATENTS = {"none": pb2.LATENT_ENCODING_NONE, "float32": pb2.LATENT_ENCODING_FLOAT32, "float16": pb2.LATENT_ENCODING_FLOAT16}


@dataclass(frozen=True)
class Latent:
    """A streamed latent decoded to floats: row-major ``data`` of ``shape`` ([images, channels, height, width])."""

    shape: tuple[int, ...]
    data: list[float]

    @staticmethod
    def decode(tensor) -> "Latent":
        count = 1
        for d in tensor.shape:
            count *= d
        if tensor.dtype == pb2.DTYPE_FLOAT32:
            fmt, size = "f", 4
        elif tensor.dtype == pb2.DTYPE_FLOAT16:
            fmt, size = "e", 2
        else:
            raise ValueError(f"unsupported tensor dtype {tensor.dtype}")
        if len(tensor.data) != count * size:
            raise ValueError(f"tensor {list(tensor.shape)} needs {count * size} bytes, got {len(tensor.data)}")
        return Latent(tuple(tensor.shape), list(struct.unpack(f"<{count}{fmt}", tensor.data)))


@dataclass(frozen=True)
class StepEvent:
    """One sampling step: each image's exit layer, the running acceleration ratio, optional latent and previews."""

    step_index: int
    timestep: int
    exit_layers: list[int]
    certainties: list[float]
    full_depth: int
    elapsed_seconds: float
    acceleration_ratio: float
    latent: Optional[Latent]
    preview_pngs: list[bytes]
    predicted_clean: Optional[Latent] = None


@dataclass(frozen=True)
class Image:
    png: bytes
    seed: int
    mean_exit_layer: float


@dataclass(frozen=True)
class ResultEvent:
    """The last event: the images (PNG bytes) and what they cost."""

    model: str
    images: list[Image]
    stats: dict = field(default_factory=dict)


Event = Union[StepEvent, ResultEvent]


def _service_config(max_attempts: int, round_robin: bool) -> str:
    config: dict = {}
    if round_robin:
        config["loadBalancingConfig"] = [{"round_robin": {}}]
    if max_attempts > 1:
        config["methodConfig"] = [{
            "name": [{"service": "adadiff.v1.DiffusionService"}],
            "retryPolicy": {
                "maxAttempts": max_attempts,
                "initialBackoff": "0.5s",
                "maxBackoff": "5s",
                "backoffMultiplier": 2,
                # Never INVALID_ARGUMENT: the same request would fail again.
                "retryableStatusCodes": ["UNAVAILABLE", "RESOURCE_EXHAUSTED"],
            },
        }]
    return json.dumps(config)


def read_token_file(path: Union[str, os.PathLike]) -> str:
    """The bearer token in ``path``, trimmed; blank lines and ``#`` comments are skipped (the server's format, one token).

    Raises FileNotFoundError if the file does not exist and ValueError if it holds no token, several, or one that an
    authorization header cannot carry.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"the token file {path} does not exist")
    with open(path, encoding="utf-8") as f:
        tokens = [line.strip() for line in f if line.strip() and not line.strip().startswith("#")]
    if not tokens:
        raise ValueError(f"the token file {path} is empty; it must hold the bearer token")
    if len(tokens) > 1:
        raise ValueError(f"the token file {path} holds {len(tokens)} tokens; a client sends one, so the file must hold one")
    return _check_token(tokens[0], f"the token in the token file {path}")


def _check_token(token: str, what: str) -> str:
    token = token.strip()
    if not token:
        raise ValueError(f"{what} is empty")
    if any(not "!" <= c <= "~" for c in token):
        raise ValueError(f"{what} holds a space or a character outside visible ASCII, which an authorization header cannot carry")
    return token


def _read_pem(path: Union[str, os.PathLike], what: str) -> bytes:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"the {what} {path} does not exist")
    with open(path, "rb") as f:
        data = f.read()
    if b"-----BEGIN " not in data:
        raise ValueError(f"the {what} {path} is not a PEM file")
    return data


class _CallDetails(collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")),
                   grpc.ClientCallDetails):
    pass


class _BearerMetadata(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                      grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds ``authorization: Bearer <token>`` to every call that carries none (plaintext channels: grpc sends call
    credentials only over TLS)."""

    def __init__(self, token: str):
        self._header = ("authorization", f"Bearer {token}")

    def _with_token(self, details):
        metadata = list(details.metadata or ())
        if not any(key == "authorization" for key, _ in metadata):
            metadata.append(self._header)
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._with_token(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._with_token(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return continuation(self._with_token(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return continuation(self._with_token(client_call_details), request_iterator)


class AdaDiffClient:
    """Client of an AdaDiff server.

    ``target`` is ``host:port`` (one server; ``https://host:port`` for TLS, ``http://host:port`` also accepted) or
    ``dns:///host:port`` (every address of a headless service; with ``round_robin=True`` calls are spread over them;
    ``tls=True`` for TLS). Calls fail with ``grpc.RpcError`` (``.code()``, ``.details()``); a server that requires a
    bearer token answers a call without the right one with ``grpc.StatusCode.UNAUTHENTICATED``, never retried.

    Credentials (a server started with ``--AdaDiff:Auth:TokenFile`` and ``--AdaDiff:Tls:*``):

    * ``token`` or ``token_file``: the bearer token, sent as ``authorization: Bearer <token>`` on every call; as
      call credentials over TLS, as metadata over plaintext (readable on the network path: trusted networks only).
      A token file is read here, trimmed; a missing or empty one raises before any call.
    * ``ca_file``: PEM CA certificate(s) to trust for the server's certificate instead of grpc's default roots
      (a private CA, or a self-signed certificate itself). Needs TLS.
    * ``client_cert`` and ``client_key``: PEM certificate and unencrypted key for mutual TLS. Need TLS.
    """

    def __init__(self, target: str = "127.0.0.1:50051", *, max_attempts: int = 3, round_robin: bool = False,
                 token: Optional[str] = None, token_file: Optional[Union[str, os.PathLike]] = None, tls: bool = False,
                 ca_file: Optional[Union[str, os.PathLike]] = None, client_cert: Optional[Union[str, os.PathLike]] = None,
                 client_key: Optional[Union[str, os.PathLike]] = None):
        if not 1 <= max_attempts <= 5:
            raise ValueError("max_attempts must be 1..5")
        if target.startswith("https://"):
            target, tls = target[len("https://"):], True
        elif target.startswith("http://"):
            if tls:
                raise ValueError(f"tls=True with the http:// target {target}; use https://host:port")
            target = target[len("http://"):]
        target = target.rstrip("/")
        if not tls and (ca_file is not None or client_cert is not None or client_key is not None):
            what = "ca_file" if ca_file is not None else "client_cert/client_key"
            raise ValueError(f"{what} needs TLS, but the target {target} is plaintext: use https://host:port (or tls=True with dns:///)")
        if (client_cert is None) != (client_key is None):
            raise ValueError("client_cert and client_key go together (the certificate and its private key)")
        if token is not None and token_file is not None:
            raise ValueError("both token and token_file are set; set one")
        if token_file is not None:
            token = read_token_file(token_file)
        elif token is not None:
            token = _check_token(token, "the token")

        options = [
            ("grpc.enable_retries", 1),
            ("grpc.service_config", _service_config(max_attempts, round_robin)),
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
        ]
        if tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read_pem(ca_file, "CA file") if ca_file is not None else None,
                private_key=_read_pem(client_key, "client key file") if client_key is not None else None,
                certificate_chain=_read_pem(client_cert, "client certificate file") if client_cert is not None else None)
            if token is not None:
                credentials = grpc.composite_channel_credentials(credentials, grpc.access_token_call_credentials(token))
            self._channel = grpc.secure_channel(target, credentials, options=options)
            calls = self._channel
        else:
            self._channel = grpc.insecure_channel(target, options=options)
            calls = grpc.intercept_channel(self._channel, _BearerMetadata(token)) if token is not None else self._channel
        self._stub = pb2_grpc.DiffusionServiceStub(calls)

    def __enter__(self) -> "AdaDiffClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def list_models(self, timeout: float = 30) -> list:
        """The served models (``ModelInfo`` messages: ``default_threshold``, ``default_guidance_scale``, …), default first."""
        return list(self._stub.ListModels(pb2.ListModelsRequest(), timeout=timeout).models)

    def generate(
        self,
        *,
        model: str = "",
        num_images: int = 1,
        seed: int = 0,
        steps: int = 0,
        class_label: Optional[int] = None,
        prompt: Optional[str] = None,
        sampler: str = "ddim",
        guidance_scale: float = 0.0,
        exit_mode: str = "adaptive",
        threshold: float = 0.0,
        min_layers: int = 0,
        fixed_depth: int = 0,
        latent_encoding: str = "none",
        latent_every: int = 0,
        preview_every: int = 0,
        predicted_clean_every: int = 0,
        timeout: Optional[float] = 600,
    ) -> Iterator[Event]:
        """Yields one StepEvent per sampling step, then one ResultEvent. Closing the iterator cancels the call.

        ``class_label`` is for class-conditional models, ``prompt`` for text-conditional ones (``ModelInfo.conditioning``);
        give one or neither. ``guidance_scale`` 0 selects the model's ``default_guidance_scale`` (``ModelInfo``) with a
        ``class_label`` or a ``prompt``, else 1 (no guidance).
        """
        if class_label is not None and prompt is not None:
            raise ValueError("give class_label or prompt, not both: a model takes one kind of condition")
        request = pb2.GenerateRequest(
            model=model,
            num_images=num_images,
            seed=seed,
            steps=steps,
            sampler=_SAMPLERS[sampler],
            guidance_scale=guidance_scale,
            exit_policy=pb2.ExitPolicy(mode=_EXIT_MODES[exit_mode], threshold=threshold, min_layers=min_layers, fixed_depth=fixed_depth),
            stream=pb2.StreamOptions(latent_encoding=_LATENTS[latent_encoding], latent_every_n_steps=latent_every, preview_every_n_steps=preview_every,
                                     predicted_clean_every_n_steps=predicted_clean_every),
        )
        if class_label is not None:
            request.class_label = class_label
        if prompt is not None:
            request.prompt = prompt
        call = self._stub.Generate(request, timeout=timeout)
        executed = full = 0
        try:
            for response in call:
                kind = response.WhichOneof("event")
                if kind == "step":
                    s = response.step
                    executed += sum(s.exit_layers)
                    full += s.full_depth * len(s.exit_layers)
                    yield StepEvent(
                        step_index=s.step_index,
                        timestep=s.timestep,
                        exit_layers=list(s.exit_layers),
                        certainties=list(s.certainties),
                        full_depth=s.full_depth,
                        elapsed_seconds=s.elapsed_seconds,
                        acceleration_ratio=1 - executed / full if full else 0.0,
                        latent=Latent.decode(s.latent) if s.HasField("latent") else None,
                        preview_pngs=list(s.preview_png),
                        predicted_clean=Latent.decode(s.predicted_clean) if s.HasField("predicted_clean") else None,
                    )
                elif kind == "result":
                    r = response.result
                    st = r.stats
                    yield ResultEvent(
                        model=r.model,
                        images=[Image(i.png, i.seed, i.mean_exit_layer) for i in r.images],
                        stats={
                            "layers_executed": st.layers_executed,
                            "layers_full": st.layers_full,
                            "acceleration_ratio": st.acceleration_ratio,
                            "flops_executed": st.flops_executed,
                            "flops_full": st.flops_full,
                            "wall_seconds": st.wall_seconds,
                            "queue_seconds": st.queue_seconds,
                            "steps": st.steps,
                        },
                    )
        finally:
            call.cancel()  # no-op once the stream ended; stops the server's work if the caller stopped early


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, read from its IHDR chunk; ValueError if it is not a PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])
