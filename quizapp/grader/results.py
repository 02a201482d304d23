"""Reads the sandbox's result file defensively: a hostile submission may have written it.

The harness writes `result.npz`: one float64 array `case_<i>` (rows × columns) per case and `meta`, UTF-8
JSON as a flat uint8 array. Before a byte is decompressed, every member's name, compression, declared size
and `.npy` header (dtype, order, shape) is checked against what the trusted side knows the problem can
produce; members are then read in chunks, never past the bytes their header allows, with one cap on the
total. A zip bomb, a lying header or a wrong dtype becomes `UnreadableResult` with a plain message, so the
grading process holds at most a few MiB of results whatever comes back.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from quizapp.grader.problems import ProblemInstance

MiB = 1 << 20
CASE_DTYPE = np.dtype("<f8")
META_DTYPE = np.dtype("|u1")
META_BYTES = 256 * 1024  # the harness's metadata is a few hundred bytes; an error message a few KiB
TOTAL_BYTES = 16 * MiB  # every member together, uncompressed
ROW_SLACK = 4  # a loop may evaluate the gradient more than once per step; more rows than this is not a run
MEMBER_OVERHEAD = 4096  # zip headers and deflate framing per member, on top of the data itself
CHUNK = 1 << 16
DIRECTORY_ENTRY_BYTES = 512  # one central-directory entry: 46 bytes, a short name and a zip64 extra field
MESSAGE_CHARS = 2000
CASE_NAME = re.compile(r"case_(0|[1-9][0-9]{0,3})\.npy")
_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"


class UnreadableResult(ValueError):
    """The result file is not what the harness writes; the message says what was wrong, for the verdict."""


@dataclass(frozen=True)
class CaseBound:
    """What one case's trajectory may look like: exactly `columns` wide, at most `max_rows` long."""

    max_rows: int
    columns: int

    @property
    def max_bytes(self) -> int:
        return self.max_rows * self.columns * CASE_DTYPE.itemsize


@dataclass(frozen=True)
class ResultFile:
    """The checked contents: float64 trajectories by case name and the validated metadata."""

    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]


def case_bounds(instances: list[ProblemInstance], steps: int) -> list[CaseBound]:
    """The largest trajectory each instance can produce, from the trusted side's own problem data."""
    bounds = []
    for instance in instances:
        columns = sum(math.prod(shape) for shape in instance.shapes)
        if instance.kind == "schedule":
            rows = int(instance.settings["evaluate"])
        elif instance.kind == "clip":
            rows = len(instance.settings["gradients"])
        else:
            rows = steps + 1
        bounds.append(CaseBound(max_rows=rows * ROW_SLACK + 1, columns=columns))
    return bounds


def read_result(blob: bytes | None, bounds: list[CaseBound]) -> ResultFile | None:
    """The checked result, or None when the submission wrote none; raises UnreadableResult otherwise."""
    if not blob:
        return None
    allowed = {f"case_{index}.npy": bound for index, bound in enumerate(bounds)}
    total = min(TOTAL_BYTES, sum(bound.max_bytes for bound in bounds) + META_BYTES)
    if len(blob) > total + MEMBER_OVERHEAD * (len(allowed) + 1):
        raise UnreadableResult(f"the result file is {len(blob)} bytes, more than these cases can produce")
    _check_directory_size(blob, len(allowed) + 1)
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            members = _checked_members(archive, allowed, total)
            arrays, meta = {}, {}
            for info in members:
                if info.filename == "meta.npy":
                    meta = _parse_meta(_read_member(archive, info, META_DTYPE, None))
                else:
                    bound = allowed[info.filename]
                    arrays[info.filename.removesuffix(".npy")] = _read_member(
                        archive, info, CASE_DTYPE, bound
                    )
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as error:
        raise UnreadableResult(f"the result file is not a readable archive ({error})") from error
    return ResultFile(arrays, meta)


def _check_directory_size(blob: bytes, most: int) -> None:
    """Count the archive's entries from its end record before zipfile builds an object for each one."""
    end = blob.rfind(_END_OF_DIRECTORY, max(0, len(blob) - 22 - 0xFFFF))
    if end < 0 or len(blob) < end + 22:
        raise UnreadableResult("the result file is not a zip archive")
    if blob.rfind(_ZIP64_LOCATOR, max(0, end - 20), end) >= 0:
        raise UnreadableResult("the result file uses zip64 records, which the harness never writes")
    entries_here, entries_total, directory_bytes = struct.unpack_from("<HHI", blob, end + 8)
    if max(entries_here, entries_total) > most:
        raise UnreadableResult(f"the result file has {entries_total} members; at most {most} were expected")
    if directory_bytes > most * DIRECTORY_ENTRY_BYTES:  # zipfile reads entries until these bytes are used
        raise UnreadableResult(f"the result file's directory is {directory_bytes} bytes, too long for {most}")


def _checked_members(
    archive: zipfile.ZipFile, allowed: dict[str, CaseBound], total: int
) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    names = [info.filename for info in members]
    if len(set(names)) != len(names):
        raise UnreadableResult("the result file names a member twice")
    declared = 0
    for info in members:
        if info.filename != "meta.npy" and info.filename not in allowed:
            raise UnreadableResult(f"the result file has an unexpected member {info.filename[:80]!r}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise UnreadableResult(
                f"{info.filename} is encrypted or compressed in a way the harness never uses"
            )
        limit = META_BYTES if info.filename == "meta.npy" else allowed[info.filename].max_bytes + 1024
        if info.file_size > limit:
            raise UnreadableResult(
                f"{info.filename} unpacks to {info.file_size} bytes; this case allows at most {limit}"
            )
        declared += info.file_size
    if declared > total:
        raise UnreadableResult(f"the result file unpacks to {declared} bytes, over the cap of {total}")
    return members


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, dtype: np.dtype, bound: CaseBound | None
) -> np.ndarray:
    """Check the member's .npy header, then read exactly the bytes it promises, in chunks, and no more."""
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else None
            if version == (2, 0):
                read_header = np.lib.format.read_array_header_2_0
            if read_header is None:
                raise UnreadableResult(f"{info.filename} has .npy format version {version}")
            shape, fortran_order, found = read_header(member)
        except ValueError as error:
            raise UnreadableResult(f"{info.filename} has no valid .npy header ({error})") from error
        if found != dtype or fortran_order:
            raise UnreadableResult(f"{info.filename} holds {found} values; the harness writes {dtype}")
        size = _checked_size(info.filename, shape, bound, dtype)
        data = _read_exactly(member, size, info.filename)
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def _checked_size(name: str, shape: tuple[int, ...], bound: CaseBound | None, dtype: np.dtype) -> int:
    if bound is None:
        if len(shape) != 1 or shape[0] > META_BYTES:
            raise UnreadableResult(f"{name} has shape {shape}; the harness writes at most {META_BYTES} bytes")
        return shape[0] * dtype.itemsize
    if len(shape) != 2 or shape[1] != bound.columns or not 0 < shape[0] <= bound.max_rows:
        raise UnreadableResult(
            f"{name} has shape {shape}; this case produces at most {bound.max_rows} rows of {bound.columns}"
        )
    return shape[0] * shape[1] * dtype.itemsize


def _read_exactly(member: io.BufferedIOBase, size: int, name: str) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = member.read(min(CHUNK, size - len(data)))
        if not chunk:
            raise UnreadableResult(f"{name} ends before the {size} bytes its header announces")
        data += chunk
    if member.read(1):
        raise UnreadableResult(f"{name} holds more data than its header announces")
    return bytes(data)


def _parse_meta(raw: np.ndarray) -> dict[str, Any]:
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise UnreadableResult("the result's metadata is not JSON text") from error
    if not isinstance(meta, dict):
        raise UnreadableResult("the result's metadata is not a JSON object")
    return {
        "entry": _optional_text(meta.get("entry"), "entry"),
        "shape": _optional_text(meta.get("shape"), "shape"),
        "unused": _names(meta.get("unused", [])),
        **({"error": _error_record(meta["error"])} if meta.get("error") is not None else {}),
    }


def _optional_text(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return None if value is None else value[:MESSAGE_CHARS]
    raise UnreadableResult(f"the result's metadata field {field!r} is not text")


def _names(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UnreadableResult("the result's metadata field 'unused' is not a list of names")
    return [item[:100] for item in value[:100]]


def _error_record(value: Any) -> dict[str, Any]:
    """The harness's error record: type, kind, message and case are text, line a positive number."""
    if not isinstance(value, dict):
        raise UnreadableResult("the result's metadata field 'error' is not an error record")
    record: dict[str, Any] = {}
    for field in ("type", "kind", "message", "case"):
        record[field] = _optional_text(value.get(field), f"error.{field}")
    line = value.get("line")
    if line is not None and (type(line) is not int or not 0 < line < 10**7):
        raise UnreadableResult("the result's metadata field 'error.line' is not a line number")
    record["line"] = line
    if record["kind"] is None or record["message"] is None:
        raise UnreadableResult("the result's error record has no kind or message")
    return record
