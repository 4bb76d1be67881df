#!/usr/bin/python3
"""PyTorch reference of AdaDiff.Grpc's U-ViT with AdaDiff exits.

The same network as backends/AdaDiff.Backends.TorchSharp/Model/ (UViT.cs, Block.cs, Attention.cs,
Mlp.cs, PatchEmbed.cs, UemHead.cs), loaded from the same model package (model.json beside
weights.safetensors, PyTorch-style tensor names), so that:

* the parity tests (tests/AdaDiff.Parity.Tests) can check the TorchSharp model layer by layer
  (hidden states, per-layer noise predictions of the shared head, UEM certainties, final eps);
* `sample` is the PyTorch baseline for speed comparisons (DDIM, full depth or per-sample exits).

Runs on Debian 12's python3-torch 1.13 with /usr/bin/python3 (install python3-torch, python3-numpy
and libopenblas0: scripts/setup.sh does). Debian has no python3-safetensors; this file has its own
small reader and writer.

    /usr/bin/python3 reference/uvit_reference.py forward models/fashion-mnist-uvit in.safetensors out.safetensors
    /usr/bin/python3 reference/uvit_reference.py sample models/fashion-mnist-uvit --images 16 --mode adaptive
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import struct
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------------------------------------
# safetensors: 8-byte little-endian header length, JSON header, raw little-endian buffers.
# ---------------------------------------------------------------------------------------------

MAX_HEADER_BYTES = 100_000_000  # the reference implementation's limit (as SafetensorsFile.cs)

_DTYPES = {
    "F32": (np.dtype("<f4"), torch.float32),
    "F16": (np.dtype("<f2"), torch.float16),
    "F64": (np.dtype("<f8"), torch.float64),
    "I64": (np.dtype("<i8"), torch.int64),
    "I32": (np.dtype("<i4"), torch.int32),
}
_TORCH_TO_ST = {torch_dtype: name for name, (_, torch_dtype) in _DTYPES.items()}


class SafetensorsError(ValueError):
    """A safetensors file is malformed; the message names the file and the problem."""


def read_safetensors(path: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """Reads every tensor of a safetensors file (CPU, file dtype) and its string metadata."""
    with open(path, "rb") as f:
        data = f.read()

    def corrupt(what: str) -> SafetensorsError:
        return SafetensorsError(f"{path}: corrupt safetensors file: {what}")

    if len(data) < 8:
        raise corrupt(f"truncated: {len(data)} bytes, fewer than the 8-byte header length")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > MAX_HEADER_BYTES:
        raise corrupt(f"header length {header_len} exceeds {MAX_HEADER_BYTES} bytes (not a safetensors file?)")
    if 8 + header_len > len(data):
        raise corrupt(f"truncated: header says {header_len} bytes but only {len(data) - 8} follow")
    try:
        header = json.loads(data[8:8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise corrupt(f"header is not valid JSON: {e}") from e
    if not isinstance(header, dict):
        raise corrupt("header is not a JSON object")
    body = memoryview(data)[8 + header_len:]
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise corrupt("__metadata__ must be an object of strings")
    tensors: Dict[str, torch.Tensor] = {}
    ranges = []
    for name, entry in header.items():
        if not isinstance(entry, dict):
            raise corrupt(f"tensor '{name}': header entry is not an object")
        dtype = entry.get("dtype")
        if dtype not in _DTYPES:
            raise corrupt(f"tensor '{name}': unsupported dtype {dtype!r} (supported: {', '.join(_DTYPES)})")
        shape = entry.get("shape")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise corrupt(f"tensor '{name}': invalid shape {shape!r}")
        offsets = entry.get("data_offsets")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets)
                or offsets[0] < 0 or offsets[1] < offsets[0]):
            raise corrupt(f"tensor '{name}': data_offsets must be [begin, end], got {offsets!r}")
        begin, end = offsets
        if end > len(body):
            raise corrupt(f"truncated: tensor '{name}' ends at byte {end} of the data section but only {len(body)} bytes follow the header")
        np_dtype, _ = _DTYPES[dtype]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if count * np_dtype.itemsize != end - begin:
            raise corrupt(f"tensor '{name}': data_offsets span {end - begin} bytes but shape {shape} of {dtype} needs {count * np_dtype.itemsize}")
        array = np.frombuffer(body[begin:end], dtype=np_dtype, count=count).reshape(shape)
        tensors[name] = torch.from_numpy(array.astype(np_dtype.newbyteorder("="), copy=True))
        ranges.append((begin, end, name))
    ranges.sort()
    for (_, prev_end, prev), (begin, _, name) in zip(ranges, ranges[1:]):
        if begin < prev_end:
            raise corrupt(f"tensors '{prev}' and '{name}' overlap")
    return tensors, metadata


def write_safetensors(path: str, tensors: Dict[str, torch.Tensor], metadata: Optional[Dict[str, str]] = None) -> None:
    """Writes tensors (in dict order) as a safetensors file; the header is space-padded to 8 bytes."""
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    buffers = []
    offset = 0
    for name, value in tensors.items():
        value = value.detach().cpu().contiguous()
        if value.dtype not in _TORCH_TO_ST:
            raise TypeError(f"tensor '{name}': dtype {value.dtype} cannot be written to safetensors here")
        np_dtype, _ = _DTYPES[_TORCH_TO_ST[value.dtype]]
        raw = value.numpy().astype(np_dtype, copy=False).tobytes()
        header[name] = {"dtype": _TORCH_TO_ST[value.dtype], "shape": list(value.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        buffers.append(raw)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for raw in buffers:
            f.write(raw)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# The model package and the network (mirrors UViTConfig.cs and Model/*.cs).
# ---------------------------------------------------------------------------------------------

class PackageError(ValueError):
    """A model package is unusable; the message names the file and, for weights, the tensor."""


@dataclass(frozen=True)
class UViTConfig:
    channels: int
    height: int
    width: int
    patch_size: int
    embed_dim: int
    depth: int
    num_heads: int
    mlp_ratio: float = 4.0
    num_classes: int = 0
    qkv_bias: bool = False  # UViTConfig.FromManifest never sets it: U-ViT's default, no qkv bias
    # A text model (model.json "conditioning": "text"): prompt token ids [B, M] through the text encoder.
    text_max_tokens: int = 0
    text_vocabulary_size: int = 0
    text_dim: int = 64
    text_depth: int = 1
    text_heads: int = 2
    text_mlp_ratio: float = 2.0

    @property
    def is_text(self) -> bool:
        return self.text_max_tokens > 0

    @property
    def patch_tokens(self) -> int:
        return (self.height // self.patch_size) * (self.width // self.patch_size)

    @property
    def extra_tokens(self) -> int:
        """The time token and the condition tokens (UViTTopology.ExtraTokens)."""
        return 1 + (self.text_max_tokens if self.is_text else 1 if self.num_classes > 0 else 0)

    @property
    def tokens(self) -> int:
        return self.extra_tokens + self.patch_tokens

    @property
    def patch_dim(self) -> int:
        return self.patch_size * self.patch_size * self.channels

    @property
    def mlp_hidden(self) -> int:
        return int(self.embed_dim * self.mlp_ratio)  # (int) cast in C#: truncation

    @property
    def null_class(self) -> int:
        return self.num_classes

    @staticmethod
    def from_manifest(manifest: dict, source: str = "model.json") -> "UViTConfig":
        def need(key):
            if key not in manifest:
                raise PackageError(f"{source}: invalid model manifest: '{key}' is required")
            return manifest[key]

        if manifest.get("architecture") != "uvit-adadiff":
            raise PackageError(f"{source}: architecture {manifest.get('architecture')!r} is not supported (expected 'uvit-adadiff')")
        config = UViTConfig(
            channels=int(need("channels")), height=int(need("height")), width=int(need("width")),
            patch_size=int(need("patchSize")), embed_dim=int(need("embedDim")), depth=int(need("depth")),
            num_heads=int(need("numHeads")), mlp_ratio=float(manifest.get("mlpRatio", 4.0)),
            num_classes=int(manifest.get("numClasses", 0)), **_text_config(manifest, source))
        if config.depth < 1 or config.depth % 2 == 0:
            raise PackageError(f"{source}: invalid model manifest: depth must be odd, got {config.depth}")
        if config.embed_dim % 2 or config.embed_dim % config.num_heads:
            raise PackageError(f"{source}: invalid model manifest: embedDim {config.embed_dim} must be even and a multiple of numHeads {config.num_heads}")
        if config.height % config.patch_size or config.width % config.patch_size:
            raise PackageError(f"{source}: invalid model manifest: patchSize must divide height and width")
        return config


def _text_config(manifest: dict, source: str) -> dict:
    """The text encoder's fields of a text model's manifest; none for a class model (no "conditioning" reads as class)."""
    conditioning = manifest.get("conditioning", "class")
    if conditioning == "class":
        return {}
    if conditioning != "text":
        raise PackageError(f"{source}: invalid model manifest: conditioning must be \"class\" or \"text\", got {conditioning!r}")
    text = manifest.get("text")
    if not isinstance(text, dict) or "maxTokens" not in text or "vocabularySize" not in text:
        raise PackageError(f"{source}: invalid model manifest: a text model needs \"text\" with maxTokens and vocabularySize")
    return dict(text_max_tokens=int(text["maxTokens"]), text_vocabulary_size=int(text["vocabularySize"]),
                text_dim=int(text.get("encoderDim", 64)), text_depth=int(text.get("encoderDepth", 1)),
                text_heads=int(text.get("encoderHeads", 2)), text_mlp_ratio=float(text.get("encoderMlpRatio", 2.0)))


class PatchEmbed(nn.Module):
    """Patchify: a p×p convolution with stride p, tokens in row-major patch order."""

    def __init__(self, channels: int, embed_dim: int, patch_size: int):
        super().__init__()
        self.proj = nn.Conv2d(channels, embed_dim, patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)  # [B, D, h, w] -> [B, N, D]


class Attention(nn.Module):
    """Multi-head self-attention written out, softmax(QKᵀ/√d)V (torch 1.13 has no fused SDPA)."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, l, c = x.shape
        h = self.qkv(x).reshape(b, l, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)  # [3, B, H, L, d]
        q, k, v = h[0], h[1], h[2]
        attn = (q @ k.transpose(-2, -1)).mul(self.scale).softmax(-1)  # [B, H, L, L]
        o = (attn @ v).transpose(1, 2).reshape(b, l, c)                # [B, L, D]
        return self.proj(o)


class Mlp(nn.Module):
    """Linear -> GELU (exact, erf) -> Linear."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block; an out-block first merges its long skip: skip_linear(cat[x, skip])."""

    def __init__(self, dim: int, num_heads: int, mlp_hidden: int, qkv_bias: bool, skip: bool):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, num_heads, qkv_bias)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, mlp_hidden)
        self.skip_linear = nn.Linear(2 * dim, dim) if skip else None

    def forward(self, x, skip=None):
        if self.skip_linear is not None:
            if skip is None:
                raise ValueError("an out-block needs its long skip")
            x = self.skip_linear(torch.cat([x, skip], -1))  # [B, T, 2D] -> [B, T, D]
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class UemHead(nn.Module):
    """Timestep-aware UEM of one layer: sigmoid(Linear(cat[layer_norm(patch token), t_emb])) per patch value."""

    def __init__(self, dim: int, patch_dim: int):
        super().__init__()
        self.dim = dim
        self.linear = nn.Linear(2 * dim, patch_dim)

    def forward(self, patch_tokens, time_embedding):
        h = F.layer_norm(patch_tokens.detach(), (self.dim,))                       # [B, N, D]
        t = time_embedding.detach().unsqueeze(1).expand(h.shape[0], h.shape[1], h.shape[2])  # [B, N, D]
        return torch.sigmoid(self.linear(torch.cat([h, t], -1)))                   # [B, N, p²C]


class TextEncoder(nn.Module):
    """Token ids [B, M] -> token_emb + pos_embed -> pre-norm blocks -> norm: [B, M, E] (TextEncoder.cs; no mask)."""

    def __init__(self, config: UViTConfig):
        super().__init__()
        e = config.text_dim
        self.token_emb = nn.Embedding(config.text_vocabulary_size, e)
        self.pos_embed = nn.Parameter(torch.zeros(1, config.text_max_tokens, e))
        self.blocks = nn.ModuleList(Block(e, config.text_heads, int(e * config.text_mlp_ratio), False, skip=False)
                                    for _ in range(config.text_depth))
        self.norm = nn.LayerNorm(e)

    def forward(self, tokens):
        h = self.token_emb(tokens.to(torch.int64)) + self.pos_embed  # [B, M, E]
        for block in self.blocks:
            h = block(h)                                            # [B, M, E]
        return self.norm(h)                                         # [B, M, E]


class UViT(nn.Module):
    """U-ViT with AdaDiff exits; attribute names equal the safetensors tensor names."""

    def __init__(self, config: UViTConfig):
        super().__init__()
        self.config = config
        d, half = config.embed_dim, config.depth // 2
        self.patch_embed = PatchEmbed(config.channels, d, config.patch_size)
        self.label_emb = nn.Embedding(config.num_classes + 1, d) if config.num_classes > 0 else None
        if config.is_text:
            self.text_encoder = TextEncoder(config)
            self.context_embed = nn.Linear(config.text_dim, d)
        self.pos_embed = nn.Parameter(torch.zeros(1, config.tokens, d))
        self.in_blocks = nn.ModuleList(Block(d, config.num_heads, config.mlp_hidden, config.qkv_bias, skip=False) for _ in range(half))
        self.mid_block = Block(d, config.num_heads, config.mlp_hidden, config.qkv_bias, skip=False)
        self.out_blocks = nn.ModuleList(Block(d, config.num_heads, config.mlp_hidden, config.qkv_bias, skip=True) for _ in range(half))
        self.norm = nn.LayerNorm(d)
        self.decoder_pred = nn.Linear(d, config.patch_dim)
        self.final_layer = nn.Conv2d(config.channels, config.channels, 3, padding=1)
        self.uem = nn.ModuleList(UemHead(d, config.patch_dim) for _ in range(config.depth))
        # Not in the state dict (as in UViT.cs): exp(-ln(10000)·k/(D/2)), k = 0..D/2-1, float32.
        self.register_buffer("frequencies", torch.exp(torch.arange(0, d // 2, dtype=torch.float32) * (-math.log(10000) / (d // 2))), persistent=False)

    @property
    def depth(self) -> int:
        return self.config.depth

    def pushes_skip(self, layer: int) -> bool:
        return layer < self.config.depth // 2

    def pops_skip(self, layer: int) -> bool:
        return layer > self.config.depth // 2

    def timestep_embedding(self, timesteps):
        """[B] -> [B, D] = [cos(t·f), sin(t·f)]."""
        args = timesteps.to(torch.float32).unsqueeze(1) * self.frequencies.unsqueeze(0)  # [B, D/2]
        return torch.cat([args.cos(), args.sin()], -1)

    def embed(self, x, time_embedding, labels=None):
        """Tokens [time, label?, patches] + pos_embed: [B, T, D]."""
        patches = self.patch_embed(x)              # [B, N, D]
        time = time_embedding.unsqueeze(1)         # [B, 1, D]
        if self.label_emb is not None:
            if labels is None:
                raise ValueError("a class-conditional model needs labels (use the null class for unconditional rows)")
            h = torch.cat([time, self.label_emb(labels.to(torch.int64)).unsqueeze(1), patches], 1)
        elif self.config.is_text:
            if labels is None:
                raise ValueError("a text model needs token ids [B, M] (all padding for unconditional rows)")
            h = torch.cat([time, self.context_embed(self.text_encoder(labels)), patches], 1)  # [B, 1 + M + N, D]
        else:
            h = torch.cat([time, patches], 1)
        return h + self.pos_embed

    def layer(self, layer: int, hidden, skip=None):
        """Layer `layer` (0-based: in-blocks, mid-block, out-blocks): [B, T, D] -> [B, T, D]."""
        half = self.config.depth // 2
        if layer < half:
            return self.in_blocks[layer](hidden)
        if layer == half:
            return self.mid_block(hidden)
        return self.out_blocks[layer - half - 1](hidden, skip)

    def unpatchify(self, patches):
        """'B (h w) (p1 p2 C) -> B C (h p1) (w p2)'."""
        c = self.config
        p, hp, wp, b = c.patch_size, c.height // c.patch_size, c.width // c.patch_size, patches.shape[0]
        x = patches.reshape(b, hp, wp, p, p, c.channels).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(b, c.channels, c.height, c.width)

    def head(self, hidden):
        """Shared output head: norm -> decoder_pred on patch tokens -> unpatchify -> final_layer."""
        h = self.norm(hidden)[:, self.config.extra_tokens:, :]  # [B, N, D]
        return self.final_layer(self.unpatchify(self.decoder_pred(h)))

    def uem_patches(self, layer: int, hidden, time_embedding):
        """UEM of layer `layer`: certainty per patch value, [B, N, p²C]."""
        return self.uem[layer](hidden[:, self.config.extra_tokens:, :], time_embedding)

    def certainty(self, layer: int, hidden, time_embedding):
        """Per-sample certainty: the UEM map averaged over pixels, [B]."""
        return self.uem_patches(layer, hidden, time_embedding).mean((1, 2))

    def forward(self, x, timesteps, labels=None):
        """Full-depth noise prediction eps_L, [B, C, H, W]."""
        temb = self.timestep_embedding(timesteps)
        h = self.embed(x, temb, labels)
        skips: List[torch.Tensor] = []
        for i in range(self.depth):
            h = self.layer(i, h, skips.pop() if self.pops_skip(i) else None)
            if self.pushes_skip(i):
                skips.append(h)
        return self.head(h)

    def forward_exits(self, x, timesteps, labels=None) -> Dict[str, torch.Tensor]:
        """Everything the parity tests compare, by output name (see README.md)."""
        out: Dict[str, torch.Tensor] = {}
        temb = self.timestep_embedding(timesteps)
        h = self.embed(x, temb, labels)
        out["time_embedding"] = temb
        out["embed"] = h
        skips: List[torch.Tensor] = []
        for i in range(self.depth):
            h = self.layer(i, h, skips.pop() if self.pops_skip(i) else None)
            if self.pushes_skip(i):
                skips.append(h)
            u = self.uem_patches(i, h, temb)
            out[f"hidden.{i}"] = h
            out[f"eps.{i}"] = self.head(h)
            out[f"uem.{i}"] = self.unpatchify(u)
            out[f"certainty.{i}"] = u.mean((1, 2))
        out["eps"] = self.forward(x, timesteps, labels)
        return out


def load_package(package_dir: str, verify_sha256: bool = True) -> Tuple[dict, UViT]:
    """Loads model.json and its weights into a UViT (float32, eval, no grad); strict name/shape/kind matching."""
    manifest_path = os.path.join(package_dir, "model.json")
    if not os.path.isfile(manifest_path):
        raise PackageError(f"{manifest_path}: model manifest not found (is '{package_dir}' a model package?)")
    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
    except json.JSONDecodeError as e:
        raise PackageError(f"{manifest_path}: not a valid model manifest: {e}") from e
    config = UViTConfig.from_manifest(manifest, manifest_path)
    weights = manifest.get("weights") or {}
    if not weights.get("file"):
        raise PackageError(f"{manifest_path}: invalid model manifest: weights.file is required")
    weights_path = os.path.join(package_dir, weights["file"])
    if not os.path.isfile(weights_path):
        raise PackageError(f"{weights_path}: weights file named by model.json not found")
    if verify_sha256 and weights.get("sha256"):
        with open(weights_path, "rb") as f:
            actual = hashlib.sha256(f.read()).hexdigest()
        if actual.lower() != weights["sha256"].lower():
            raise PackageError(f"{weights_path}: SHA-256 {actual} does not match model.json ({weights['sha256']}); "
                               "the file is corrupt or was replaced without updating the manifest")
    tensors, _ = read_safetensors(weights_path)
    model = UViT(config)
    state = model.state_dict()
    unexpected = [name for name in tensors if name not in state]
    if unexpected:
        raise PackageError(f"{weights_path}: unexpected tensor '{unexpected[0]}' (not a parameter of this model; wrong architecture or config?)"
                           + (f" and {len(unexpected) - 1} more" if len(unexpected) > 1 else ""))
    for name, target in state.items():
        if name not in tensors:
            raise PackageError(f"{weights_path}: missing tensor '{name}' (expected shape {list(target.shape)})")
        value = tensors[name]
        if list(value.shape) != list(target.shape):
            raise PackageError(f"{weights_path}: tensor '{name}' has shape {list(value.shape)}, expected {list(target.shape)}")
        if value.is_floating_point() != target.is_floating_point():
            raise PackageError(f"{weights_path}: tensor '{name}' is {value.dtype}, expected {target.dtype}")
    model.load_state_dict({name: tensors[name].to(state[name].dtype) for name in state}, strict=True)
    model.eval()
    model.requires_grad_(False)
    return manifest, model


# ---------------------------------------------------------------------------------------------
# Sampling: the engine's DDIM (η = 0) with full-depth or per-sample adaptive exits.
# ---------------------------------------------------------------------------------------------

class ImageRandom:
    """The engine's per-image generator (Sampling/ImageRandom.cs): SplitMix64-seeded xoshiro256**, Box–Muller."""

    _MASK = (1 << 64) - 1

    def __init__(self, seed: int):
        state = seed & self._MASK
        words = []
        for _ in range(4):
            state = (state + 0x9E3779B97F4A7C15) & self._MASK
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self._MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self._MASK
            words.append(z ^ (z >> 31))
        self.s = words
        self.spare: Optional[float] = None

    @staticmethod
    def _rotl(x: int, k: int) -> int:
        return ((x << k) | (x >> (64 - k))) & ImageRandom._MASK

    def next_uint64(self) -> int:
        s0, s1, s2, s3 = self.s
        result = (self._rotl((s1 * 5) & self._MASK, 7) * 9) & self._MASK
        t = (s1 << 17) & self._MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self._rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def next_double(self) -> float:
        return (self.next_uint64() >> 11) * (1.0 / (1 << 53))

    def next_gaussian(self) -> float:
        if self.spare is not None:
            value, self.spare = self.spare, None
            return value
        u1 = 1.0 - self.next_double()
        u2 = self.next_double()
        r = math.sqrt(-2.0 * math.log(u1))
        angle = 2.0 * math.pi * u2
        self.spare = float(np.float32(r * math.sin(angle)))
        return float(np.float32(r * math.cos(angle)))

    def gaussians(self, count: int) -> np.ndarray:
        return np.array([self.next_gaussian() for _ in range(count)], dtype=np.float32)


def alphas_cumprod(manifest: dict) -> np.ndarray:
    """ᾱ_t of the manifest's noise schedule in float64 (as Sampling/NoiseSchedule.cs)."""
    spec = manifest.get("noiseSchedule") or {}
    kind, steps = spec.get("kind", "linear"), int(spec.get("timesteps", 1000))
    if kind == "linear":
        start, end = float(spec.get("betaStart", 1e-4)), float(spec.get("betaEnd", 0.02))
        betas = np.array([start + (end - start) * t / (steps - 1) for t in range(steps)], dtype=np.float64)
    elif kind == "cosine":
        def abar(u):
            return math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = np.array([min(1.0 - abar((t + 1.0) / steps) / abar(t / steps), 0.999) for t in range(steps)], dtype=np.float64)
    else:
        raise PackageError(f"unknown noise schedule kind {kind!r}")
    return np.cumprod(1.0 - betas)


def spaced_timesteps(training_timesteps: int, steps: int) -> List[int]:
    """improved-DDPM respacing with one section, descending: round-half-even(i·(T−1)/(steps−1))."""
    if not 1 <= steps <= training_timesteps:
        raise ValueError(f"steps must be in 1..{training_timesteps}")
    if steps == 1:
        return [training_timesteps - 1]
    stride = (training_timesteps - 1.0) / (steps - 1)
    return sorted((int(round(i * stride)) for i in range(steps)), reverse=True)


@dataclass
class SampleResult:
    images: torch.Tensor          # x0 after the last step, [N, C, H, W], float32 in [-1, 1]
    exit_layers: torch.Tensor     # [steps, N], 1..depth
    certainties: torch.Tensor     # [steps, N], certainty at the exit layer (NaN where never evaluated)
    layers_executed: int          # Σ over steps and network rows of layers run
    layers_full: int              # what full depth would have run
    seconds: float                # wall time of the sampling loop (noise drawing excluded)

    @property
    def acceleration(self) -> float:
        return 1.0 - self.layers_executed / self.layers_full


@torch.no_grad()
def _denoise(model: UViT, x, t, labels, mode: str, threshold: float, min_layers: int, fixed_depth: int, pairs: bool):
    """One network pass with per-image exits. Rows are [images] or, when `pairs`, [cond images, uncond images]:
    an image's two rows exit together on the minimum of their certainties (as the engine's guidance pairs).
    Returns eps [rows, C, H, W], exit layer and certainty per image, and rows × layers executed."""
    depth, rows = model.depth, x.shape[0]
    n = rows // 2 if pairs else rows
    eps = torch.empty_like(x)
    exit_layer = torch.zeros(n, dtype=torch.int64)
    certainty = torch.full((n,), float("nan"))
    temb = model.timestep_embedding(t)
    h = model.embed(x, temb, labels)
    skips: List[torch.Tensor] = []
    active = torch.arange(n)  # image ids in the batch, in row order
    executed = 0
    for i in range(depth):
        layer = i + 1
        h = model.layer(i, h, skips.pop() if model.pops_skip(i) else None)
        if model.pushes_skip(i):
            skips.append(h)
        executed += h.shape[0]
        if layer < depth:
            if mode == "adaptive" and layer < min_layers:
                continue
            if mode == "fixed" and layer != fixed_depth:
                continue
            if mode == "full":
                continue
        c = model.certainty(i, h, temb)                    # [rows in batch]
        k = active.shape[0]
        ci = torch.minimum(c[:k], c[k:]) if pairs else c   # [k]
        if layer == depth or mode == "fixed":
            leave = torch.ones(k, dtype=torch.bool)
        else:
            leave = ci >= threshold
        if not bool(leave.any()):
            continue
        out_idx = leave.nonzero().squeeze(1)
        row_idx = torch.cat([out_idx, out_idx + k]) if pairs else out_idx
        images = active[out_idx]
        dest = torch.cat([images, images + n]) if pairs else images
        eps[dest] = model.head(h[row_idx] if row_idx.shape[0] != h.shape[0] else h)
        exit_layer[images] = layer
        certainty[images] = ci[out_idx]
        if bool(leave.all()):
            break
        keep = (~leave).nonzero().squeeze(1)
        keep_rows = torch.cat([keep, keep + k]) if pairs else keep
        active = active[keep]
        top_is_h = bool(skips) and skips[-1] is h
        skips = [s.index_select(0, keep_rows) for s in skips]
        h = skips[-1] if top_is_h else h.index_select(0, keep_rows)
        temb = temb.index_select(0, keep_rows)
    return eps, exit_layer, certainty, executed


@torch.no_grad()
def sample(model: UViT, manifest: dict, num_images: int, seed: int = 0, steps: int = 50, label: Optional[int] = None,
           guidance_scale: float = 1.0, mode: str = "adaptive", threshold: Optional[float] = None,
           min_layers: Optional[int] = None, fixed_depth: int = 0, batch_size: int = 16) -> SampleResult:
    """DDIM (η = 0) as the engine's DdimSampler: image k starts from ImageRandom(seed + k)'s Gaussians, x0 is
    clipped and eps recomputed from it, the last step lands on x0. `mode` is 'full', 'adaptive' (per-sample
    exit at the first layer ≥ min_layers whose certainty ≥ threshold; the last layer always exits) or 'fixed'.
    Classifier-free guidance (label given, scale ≠ 1): eps = eps_u + w(eps_c − eps_u), a pair per image.
    Images are processed in chunks of `batch_size` images through all steps."""
    if mode not in ("full", "adaptive", "fixed"):
        raise ValueError(f"mode must be full, adaptive or fixed, got {mode!r}")
    config = model.config
    threshold = float(manifest.get("defaultThreshold", 0.9)) if threshold is None else threshold
    min_layers = int(manifest.get("defaultMinLayers", 1)) if min_layers is None else min_layers
    if mode == "fixed" and not 1 <= fixed_depth <= config.depth:
        raise ValueError(f"fixed_depth must be in 1..{config.depth}")
    abar = alphas_cumprod(manifest)
    timesteps = spaced_timesteps(len(abar), steps)
    cls = config.null_class if label is None else label
    guided = label is not None and guidance_scale != 1.0 and config.num_classes > 0
    shape = (config.channels, config.height, config.width)
    size = int(np.prod(shape))
    noise = np.stack([ImageRandom(seed + k).gaussians(size) for k in range(num_images)]).reshape(num_images, *shape)

    images, exits, certs = [], [], []
    executed = full = 0
    start = time.perf_counter()
    for first in range(0, num_images, batch_size):
        x = torch.from_numpy(noise[first:first + batch_size]).to(torch.float64)   # [n, C, H, W], sampler state in double
        n = x.shape[0]
        y = torch.full((2 * n if guided else n,), cls, dtype=torch.int64)
        if guided:
            y[n:] = config.null_class
        chunk_exits, chunk_certs = [], []
        for s, t in enumerate(timesteps):
            xf = x.to(torch.float32)
            xin = torch.cat([xf, xf]) if guided else xf
            tin = torch.full((xin.shape[0],), float(t), dtype=torch.float32)
            eps, exit_layer, certainty, rows_layers = _denoise(model, xin, tin, y if config.num_classes > 0 else None,
                                                                mode, threshold, min_layers, fixed_depth, guided)
            executed += rows_layers
            full += xin.shape[0] * config.depth
            if guided:
                eps = eps[n:] + guidance_scale * (eps[:n] - eps[n:])
            a_t = abar[t]
            a_prev = abar[timesteps[s + 1]] if s + 1 < len(timesteps) else 1.0
            e = eps.to(torch.float64)
            x0 = (x / math.sqrt(a_t) - math.sqrt(1.0 / a_t - 1.0) * e).clamp(-1.0, 1.0)
            e = (x - math.sqrt(a_t) * x0) / math.sqrt(1.0 - a_t)
            x = (math.sqrt(a_prev) * x0 + math.sqrt(1.0 - a_prev) * e).to(torch.float32).to(torch.float64)
            chunk_exits.append(exit_layer)
            chunk_certs.append(certainty)
        images.append(x.to(torch.float32))
        exits.append(torch.stack(chunk_exits))
        certs.append(torch.stack(chunk_certs))
    seconds = time.perf_counter() - start
    return SampleResult(torch.cat(images), torch.cat(exits, 1), torch.cat(certs, 1), executed, full, seconds)


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def read_inputs(path: str) -> Dict[str, torch.Tensor]:
    """x [B, C, H, W], t [B] and y [B] (y optional for unconditional models) from .npz or .safetensors."""
    if path.endswith(".npz"):
        with np.load(path) as data:
            tensors = {k: torch.from_numpy(np.array(data[k])) for k in data.files}
    else:
        tensors, _ = read_safetensors(path)
    for name in ("x", "t"):
        if name not in tensors:
            raise ValueError(f"{path}: input '{name}' is missing (need x [B,C,H,W], t [B], y [B])")
    return tensors


def run_forward(package: str, inputs_path: str, output: str, verify_sha256: bool = True) -> Dict[str, torch.Tensor]:
    manifest, model = load_package(package, verify_sha256)
    c = model.config
    inputs = read_inputs(inputs_path)
    x, t = inputs["x"].to(torch.float32), inputs["t"].to(torch.float32)
    y = inputs.get("y")
    if tuple(x.shape[1:]) != (c.channels, c.height, c.width) or x.dim() != 4:
        raise ValueError(f"{inputs_path}: x has shape {list(x.shape)}, expected [B, {c.channels}, {c.height}, {c.width}]")
    if t.shape != (x.shape[0],):
        raise ValueError(f"{inputs_path}: t has shape {list(t.shape)}, expected [{x.shape[0]}]")
    if c.is_text:
        if y is None or tuple(y.shape) != (x.shape[0], c.text_max_tokens):
            raise ValueError(f"{inputs_path}: y [{x.shape[0]}, {c.text_max_tokens}] (token ids) is required by a text model")
        y = y.to(torch.int64)
        if bool(((y < 0) | (y >= c.text_vocabulary_size)).any()):
            raise ValueError(f"{inputs_path}: token ids must be in 0..{c.text_vocabulary_size - 1}")
    elif c.num_classes > 0:
        if y is None or y.shape != (x.shape[0],):
            raise ValueError(f"{inputs_path}: y [{x.shape[0]}] is required by a class-conditional model")
        y = y.to(torch.int64)
        if bool(((y < 0) | (y > c.null_class)).any()):
            raise ValueError(f"{inputs_path}: class labels must be in 0..{c.null_class} ({c.null_class} = unconditional)")
    with torch.no_grad():
        outputs = model.forward_exits(x, t, y if c.num_classes > 0 or c.is_text else None)
    write_safetensors(output, outputs, {"package": os.path.abspath(package), "torch": torch.__version__,
                                        "depth": str(c.depth), "model": str(manifest.get("name", ""))})
    return outputs


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    sub = parser.add_subparsers(dest="command", required=True)
    fwd = sub.add_parser("forward", help="per-layer outputs of one batch, written to a safetensors file")
    fwd.add_argument("package", help="model package folder (model.json + weights)")
    fwd.add_argument("inputs", help=".npz or .safetensors with x [B,C,H,W] (float), t [B] (float), y [B] (int)")
    fwd.add_argument("output", help="safetensors file to write")
    fwd.add_argument("--no-verify-sha256", action="store_true")
    smp = sub.add_parser("sample", help="DDIM sampling, full depth or adaptive exits; prints JSON stats")
    smp.add_argument("package")
    smp.add_argument("--images", type=int, default=16)
    smp.add_argument("--batch", type=int, default=16, help="images per network batch")
    smp.add_argument("--steps", type=int, default=50)
    smp.add_argument("--seed", type=int, default=0)
    smp.add_argument("--label", type=int, default=None, help="class (default: unconditional)")
    smp.add_argument("--guidance", type=float, default=1.0)
    smp.add_argument("--mode", choices=["full", "adaptive", "fixed"], default="adaptive")
    smp.add_argument("--threshold", type=float, default=None)
    smp.add_argument("--min-layers", type=int, default=None)
    smp.add_argument("--fixed-depth", type=int, default=0)
    smp.add_argument("--out", default=None, help="safetensors file for images, exit layers and certainties")
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    try:
        if args.command == "forward":
            outputs = run_forward(args.package, args.inputs, args.output, not args.no_verify_sha256)
            print(json.dumps({"output": args.output, "tensors": len(outputs), "torch": torch.__version__}))
        else:
            manifest, model = load_package(args.package)
            r = sample(model, manifest, args.images, args.seed, args.steps, args.label, args.guidance, args.mode,
                       args.threshold, args.min_layers, args.fixed_depth, args.batch)
            if args.out:
                write_safetensors(args.out, {"images": r.images, "exit_layers": r.exit_layers, "certainties": r.certainties})
            print(json.dumps({"images": args.images, "steps": args.steps, "mode": args.mode, "threads": torch.get_num_threads(),
                              "seconds": round(r.seconds, 4), "images_per_second": round(args.images / r.seconds, 3),
                              "mean_exit_layer": round(float(r.exit_layers.double().mean()), 3), "depth": model.depth,
                              "layers_executed": r.layers_executed, "layers_full": r.layers_full,
                              "acceleration_ratio": round(r.acceleration, 4)}))
    except (PackageError, SafetensorsError, ValueError, FileNotFoundError) as e:
        print(f"uvit_reference: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
