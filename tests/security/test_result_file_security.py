"""Hostile result files: whatever the sandbox sends back, the trusted side reads a bounded amount of it.

The submission replaces the harness's saver (`_SAVEZ`, reached through the calling frame) and writes its
own `result.npz`: a deflate bomb, crafted metadata, wrong dtypes or lying sizes. Each ends in `error` with
a plain message; the bomb is graded in a child process whose peak resident memory is measured.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from support.drills import shipped_drill
from support.submissions import ADAM_CORRECT

import quizapp
from quizapp.grader import sandbox as sandbox_module
from quizapp.grader.results import CaseBound, UnreadableResult, read_result

REPOSITORY = Path(quizapp.__file__).resolve().parent.parent
GRADING_MEMORY_BUDGET = 512 * 1024 * 1024
needs_sandbox = pytest.mark.skipif(
    not sandbox_module.bubblewrap_available(), reason="bubblewrap is not installed"
)

# Replaces the harness's saver with one that writes a deflated case_0.npy whose header claims
# shape (256, 2**20) uint8: 256 MiB once unpacked, a few hundred KiB on disk.
BOMB_SAVER = """
import sys as _sys, zipfile as _zipfile
import numpy as _np

def _bomb(path, **_arrays):
    header = _np.lib.format.header_data_from_array_1_0(_np.zeros((1, 1), _np.uint8))
    header["shape"] = (256, 2**20)
    with _zipfile.ZipFile(path, "w", compression=_zipfile.ZIP_DEFLATED) as archive:
        with archive.open("case_0.npy", "w", force_zip64=True) as member:
            _np.lib.format.write_array_header_1_0(member, header)
            zeros = bytes(1 << 20)
            for _ in range(256):
                member.write(zeros)

_sys._getframe(1).f_globals["_SAVEZ"] = _bomb
"""


def crafted_meta_saver(meta: object) -> str:
    """A saver that keeps the real trajectories but replaces the metadata with `meta`."""
    return f"""
import json as _json, sys as _sys
import numpy as _np
_real_save = _sys._getframe(1).f_globals["_SAVEZ"]

def _save(path, meta, **arrays):
    _real_save(path, meta=_np.frombuffer(_json.dumps({meta!r}).encode(), _np.uint8), **arrays)

_sys._getframe(1).f_globals["_SAVEZ"] = _save
"""


# The child's own peak resident set (VmHWM): ru_maxrss would also count the parent's peak, which Linux
# carries over an exec from a vfork()ed child.
GRADE_IN_CHILD = """
import json, re, sys
from quizapp.bank import load_drills
from quizapp.config import REPO_ROOT
from quizapp.grader import grade
verdict = grade(load_drills(REPO_ROOT / "questions")["adam"], sys.stdin.read(), seed=3)
peak_kib = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read())[1])
print(json.dumps({"verdict": verdict.verdict, "message": verdict.message, "peak_kib": peak_kib}))
"""


@needs_sandbox
def test_result_bomb_is_an_error_and_grading_stays_under_512_mib() -> None:
    child = subprocess.run(
        [sys.executable, "-c", GRADE_IN_CHILD],
        input=BOMB_SAVER + ADAM_CORRECT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        timeout=300,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    outcome = json.loads(child.stdout.splitlines()[-1])
    assert outcome["verdict"] == "error"
    assert "result file was refused" in outcome["message"]
    assert "case_0.npy" in outcome["message"]
    assert outcome["peak_kib"] * 1024 < GRADING_MEMORY_BUDGET


@needs_sandbox
@pytest.mark.parametrize(
    "meta",
    [
        {"error": "boom"},
        {"unused": [[1]]},
        {"unused": "lr"},
        {"error": {"kind": ["x"], "message": "m"}},
        {"error": {"kind": "exception", "message": "m", "line": "9"}},
        ["not", "an", "object"],
        "text",
    ],
    ids=["error-text", "unused-nested", "unused-text", "kind-list", "line-text", "list", "string"],
)
def test_crafted_metadata_is_an_error_not_a_crash(meta: object) -> None:
    from quizapp.grader import grade

    verdict = grade(shipped_drill("adam"), crafted_meta_saver(meta) + ADAM_CORRECT, seed=5)
    assert verdict.verdict == "error"
    assert "metadata" in verdict.message


# -- the reader itself, on archives built here ---------------------------------------------------------------
BOUNDS = [CaseBound(max_rows=10, columns=2)]


def npz(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def meta_bytes(meta: object) -> bytes:
    return npy(np.frombuffer(json.dumps(meta).encode(), np.uint8))


def test_a_well_formed_result_reads_back() -> None:
    rows = np.arange(8.0).reshape(4, 2)
    result = read_result(npz(**{"case_0.npy": npy(rows), "meta.npy": meta_bytes({"unused": ["lr"]})}), BOUNDS)
    assert result is not None
    np.testing.assert_array_equal(result.arrays["case_0"], rows)
    assert result.meta == {"entry": None, "shape": None, "unused": ["lr"]}


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ({"case_0.npy": npy(np.zeros((4, 2), np.float32))}, "float32"),
        ({"case_0.npy": npy(np.zeros((4, 3)))}, "shape (4, 3)"),
        ({"case_0.npy": npy(np.zeros((11, 2)))}, "at most 10 rows"),
        ({"case_0.npy": npy(np.zeros(8))}, "shape (8,)"),
        ({"case_0.npy": npy(np.asfortranarray(np.zeros((4, 2))))}, "float64"),
        ({"case_1.npy": npy(np.zeros((4, 2)))}, "unexpected member 'case_1.npy'"),
        ({"../case_0.npy": npy(np.zeros((4, 2)))}, "unexpected member"),
        ({"case_0.npy": b"not an npy file"}, "no valid .npy header"),
        ({"meta.npy": npy(np.zeros(3))}, "float64 values"),
        ({"meta.npy": npy(np.frombuffer(b"\xff\xfe", np.uint8))}, "not JSON text"),
    ],
)
def test_malformed_members_are_refused(members: dict[str, bytes], reason: str) -> None:
    with pytest.raises(UnreadableResult, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_result(npz(**members), BOUNDS)


def test_object_arrays_are_refused_without_unpickling() -> None:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False, "shape": (4, 2)})
    with pytest.raises(UnreadableResult, match="object"):
        read_result(npz(**{"case_0.npy": header.getvalue() + b"\x80" * 64}), BOUNDS)


def test_a_member_that_lies_about_its_size_is_read_no_further_than_its_header() -> None:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (4, 2)})
    blob = npz(**{"case_0.npy": header.getvalue() + bytes(64) + bytes(4 << 20)})
    with pytest.raises(UnreadableResult):
        read_result(blob, BOUNDS)


def test_understated_uncompressed_size_in_the_directory_stops_the_read() -> None:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (4, 2)})
    data = header.getvalue() + bytes(64)
    blob = bytearray(npz(**{"case_0.npy": data}))
    directory = blob.rfind(b"PK\x01\x02")
    struct.pack_into("<I", blob, directory + 24, 16)  # the central directory now claims 16 bytes
    with pytest.raises(UnreadableResult):
        read_result(bytes(blob), BOUNDS)


def test_an_archive_with_thousands_of_members_is_refused_before_parsing_them() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(3000):
            archive.writestr(f"m{index}", b"")
    with pytest.raises(UnreadableResult, match="3000 members"):
        read_result(buffer.getvalue(), [CaseBound(max_rows=10**4, columns=100)])


def test_a_directory_hiding_more_entries_than_its_count_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(300):
            archive.writestr(f"m{index}", b"")
    blob = bytearray(buffer.getvalue())
    end = blob.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", blob, end + 8, 1, 1)  # the count claims one entry; the directory holds 300
    with pytest.raises(UnreadableResult, match="directory is"):
        read_result(bytes(blob), [CaseBound(max_rows=10**4, columns=100)])


def test_an_oversized_blob_is_refused_before_unzipping() -> None:
    with pytest.raises(UnreadableResult, match="more than these cases can produce"):
        read_result(bytes(2 << 20), BOUNDS)


def test_no_result_is_none() -> None:
    assert read_result(None, BOUNDS) is None
    assert read_result(b"", BOUNDS) is None
