"""A tiny safetensors reader and writer (numpy only), byte-compatible with webppo's TypeScript one.

Layout: u64 little-endian header length, a JSON header (``{name: {dtype, shape, data_offsets}}`` plus a
``__metadata__`` string map) padded with spaces so the data starts 8-aligned, then the little-endian tensor
bytes packed in header order.
"""
from __future__ import annotations

import json
import struct
from typing import Dict, Mapping, Tuple

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I32": np.dtype("<i4"), "I64": np.dtype("<i8"), "U8": np.dtype("u1")}
NAMES = {v: k for k, v in DTYPES.items()}


class SafetensorsError(ValueError):
    """The bytes are not a valid safetensors file (truncated, corrupted, unsupported dtype)."""


def read(data: bytes) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """Parses safetensors bytes into ``({name: array}, metadata)``; checks every length and range."""
    if len(data) < 8:
        raise SafetensorsError(f"truncated: {len(data)} bytes, fewer than the 8-byte header length")
    (n,) = struct.unpack_from("<Q", data, 0)
    if n > len(data) - 8:
        raise SafetensorsError(f"truncated or not safetensors: header length {n} exceeds the {len(data) - 8} bytes that follow")
    try:
        header = json.loads(bytes(data[8 : 8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafetensorsError(f"corrupted header (not JSON): {error}") from None
    metadata = header.pop("__metadata__", {}) or {}
    start = 8 + n
    body = len(data) - start
    tensors: Dict[str, np.ndarray] = {}
    covered = []
    for name, entry in header.items():
        dtype = DTYPES.get(entry.get("dtype"))
        if dtype is None:
            raise SafetensorsError(f"tensor {name}: unsupported dtype {entry.get('dtype')!r}")
        shape = tuple(int(d) for d in entry["shape"])
        begin, end = (int(o) for o in entry["data_offsets"])
        if end - begin != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize or end > body or begin < 0:
            raise SafetensorsError(f"tensor {name}: data_offsets [{begin}, {end}] do not fit shape {list(shape)} in a {body}-byte data section")
        tensors[name] = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=start + begin).reshape(shape).copy()
        covered.append((begin, end))
    at = 0
    for begin, end in sorted(covered):
        if begin != at:
            raise SafetensorsError(f"corrupted: a tensor starts at byte {begin}, expected {at} (gap or overlap)")
        at = end
    if at != body:
        raise SafetensorsError(f"corrupted: {body - at} bytes after the last tensor")
    return tensors, dict(metadata)


def write(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None = None) -> bytes:
    """Encodes ``{name: array}`` (F32, F64, I32, I64, U8) with string metadata, in the given order."""
    header: Dict[str, object] = {"__metadata__": dict(metadata or {})}
    chunks = []
    offset = 0
    for name, array in tensors.items():
        array = np.asarray(array)
        dtype = array.dtype.newbyteorder("<") if array.dtype.itemsize > 1 else array.dtype
        if dtype not in NAMES:
            raise SafetensorsError(f"tensor {name}: unsupported dtype {array.dtype}")
        raw = np.ascontiguousarray(array, dtype=dtype).tobytes()
        header[name] = {"dtype": NAMES[dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - (8 + len(text.encode("utf-8"))) % 8) % 8)
    encoded = text.encode("utf-8")
    return struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks)


def fnv1a(data: bytes) -> str:
    """FNV-1a (32-bit) as 8 hex digits: the checksum webppo checkpoints keep of their tensor data."""
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{h:08x}"
