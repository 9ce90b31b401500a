"""Saving and loading without pickle: safetensors for arrays, JSON for the rest.

A file is a standard safetensors file whose metadata entry ``"recurrent"`` is a
JSON object: the kind of object stored (``"kind"``), what is needed to rebuild
it, the library version and one SHA-256 over the tensor bytes and every other entry
of that object, so an edited number in the metadata is refused like a changed weight. Writing is atomic
(temporary file in the same folder, fsync, ``os.replace``), so a crash leaves
either the old file or the new one. Loading checks the framing, the metadata
and the checksum before anything is built, and raises ``ValueError`` saying
what is wrong; nothing in the file is ever executed.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import numpy as np

from ._version import __version__
from .safefiles import atomic_write_bytes, open_regular

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # 1: the checksum covered the tensors only
VERSION_1_KINDS = ("sequential", "checkpoint")  # what version 1 files held (no tensors_sha256 entry)


def tensors_sha256(tensors: dict) -> str:
    """SHA-256 over names, dtypes, shapes and bytes, in sorted name order."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        h.update(name.encode())
        h.update(f"|{arr.dtype.str}|{arr.shape}|".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def file_sha256(tensors: dict, meta: dict) -> str:
    """SHA-256 over the tensors (as ``tensors_sha256``) and the metadata without its checksum."""
    h = hashlib.sha256(tensors_sha256(tensors).encode())
    rest = {k: v for k, v in meta.items() if k != "sha256"}
    h.update(json.dumps(rest, sort_keys=True).encode())
    return h.hexdigest()


MAX_HEADER_BYTES = 100_000_000  # safetensors' own ceiling on a header
MAX_MODEL_BYTES = 64 << 30  # a model or checkpoint file larger than this is refused unread


_BUILDERS = {}  # a file's kind -> the function that rebuilds its object from (tensors, meta, path)


def register_kind(kind: str, build) -> None:
    """Let ``load`` rebuild files of ``kind``: ``build(tensors, meta, path)`` returns the object.

    Each module that saves a kind registers it (Sequential "sequential", Forecaster
    "forecaster"), so io depends on none of them and they do not import each other.
    """
    _BUILDERS[kind] = build


def load(path: str | os.PathLike) -> object:
    """The object a recurrent file holds (a Sequential, a Forecaster, ...), checked first."""
    tensors, meta = load_file(path)
    build = _BUILDERS.get(meta["kind"])
    if build is None:
        raise ValueError(
            f"{path}: holds a {meta['kind']!r}, which `load` does not rebuild "
            f"(it rebuilds {', '.join(sorted(_BUILDERS))})"
        )
    return build(tensors, meta, path)


def save_file(path, tensors: dict, meta: dict) -> None:
    """Write arrays and a JSON-able ``meta`` dict (must hold ``"kind"``) atomically."""
    from safetensors.numpy import save

    tensors = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    meta = {**meta, "format_version": FORMAT_VERSION, "library_version": __version__}
    meta = json.loads(json.dumps(meta))  # the checksum is over what a reader will parse
    meta["tensors_sha256"] = tensors_sha256(tensors)
    meta["sha256"] = file_sha256(tensors, meta)
    data = save(tensors, metadata={"recurrent": json.dumps(meta)})
    atomic_write_bytes(path, data)


def _looks_like_text(data) -> bool:
    """True when the first bytes are printable text (a CSV or JSON passed where a model goes)."""
    head = data[:64]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def read_safetensors(path) -> bytes:
    """The file's bytes once its framing fits: a regular file whose size is exactly 8 bytes of
    header length, the header, and the tensor bytes the header declares. Nothing larger than the
    file claims is read or allocated."""
    path = Path(path)
    with open_regular(path, "model file", MAX_MODEL_BYTES) as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(8)
        if len(head) < 8:
            raise ValueError(f"{path}: not a recurrent file (only {len(head)} bytes)")
        (n,) = struct.unpack("<Q", head)
        if n > size - 8 or n > MAX_HEADER_BYTES:
            start = head + f.read(64)
            if _looks_like_text(start):
                raise ValueError(
                    f"{path}: not a recurrent file: it is text (it starts {start[:24].decode(errors='replace')!r}"
                    f"); a model file is safetensors, written by save or --save"
                )
            raise ValueError(
                f"{path}: not a recurrent file, or truncated (its header length says {n} bytes, {size - 8} follow)"
            )
        header_bytes = f.read(n)
        try:
            header = json.loads(header_bytes)
            ends = [int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"]
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, UnicodeDecodeError, RecursionError):
            raise ValueError(f"{path}: not a recurrent file (its header is not a safetensors header)") from None
        declared = 8 + n + max(ends, default=0)
        if declared != size:
            raise ValueError(
                f"{path}: truncated or corrupt: its header declares {declared:,} bytes, the file has {size:,}"
            )
        return head + header_bytes + f.read(size - 8 - n)


def load_file(path: str | os.PathLike, kind: str | None = None) -> tuple[dict, dict]:
    """Read ``(tensors, meta)``; check framing, metadata and checksum first.

    ``kind`` (optional): the kind expected, e.g. "sequential" or "checkpoint".
    """
    from safetensors.numpy import load

    path = Path(path)
    where = f"{path}"
    data = read_safetensors(path)
    n = struct.unpack("<Q", data[:8])[0]
    try:
        header = json.loads(data[8 : 8 + n])
        meta = json.loads(header["__metadata__"]["recurrent"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        raise ValueError(f"{where}: not a recurrent file (no recurrent metadata in the header)") from None
    if not isinstance(meta, dict) or "kind" not in meta or "sha256" not in meta:
        raise ValueError(f"{where}: not a recurrent file (metadata lacks kind or checksum)")
    version = meta.get("format_version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise ValueError(
            f"{where}: format version {str(version)[:40]!r} is not supported "
            f"(this library reads {', '.join(map(str, READABLE_VERSIONS))})"
        )
    if version == 1 and (meta["kind"] not in VERSION_1_KINDS or "tensors_sha256" in meta):
        raise ValueError(
            f"{where}: claims format version 1, which no {str(meta['kind'])[:40]!r} file of this layout was "
            "written in (version 1 held models and checkpoints, checksummed over the tensors only)"
        )
    if kind is not None and meta["kind"] != kind:
        raise ValueError(f"{where}: holds a {str(meta['kind'])[:40]!r}, expected a {kind!r}")
    try:
        tensors = load(data)
    except Exception as exc:  # safetensors raises its own error type for bad framing
        raise ValueError(f"{where}: truncated or corrupt tensor data ({str(exc)[:200]})") from None
    if meta["format_version"] == 1:
        if tensors_sha256(tensors) != meta["sha256"]:
            raise ValueError(f"{where}: checksum mismatch: the tensor data was changed or damaged")
    elif file_sha256(tensors, meta) != meta["sha256"]:
        changed = "the metadata" if tensors_sha256(tensors) == meta.get("tensors_sha256") else "the file"
        raise ValueError(
            f"{where}: checksum mismatch: {changed} was changed or damaged "
            f"(the checksum covers the tensors and the metadata)"
        )
    return tensors, meta
