"""A small seccomp filter for the grading sandbox: syscalls that graded code never needs fail with EPERM.

Defence in depth under bubblewrap's namespaces: it narrows the kernel surface open to a submission.
"""

from __future__ import annotations

import errno
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
# x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl) of calls no optimizer, numpy or torch makes:
# debugging other processes, mounting, namespaces, kernel keyrings, BPF, perf, io_uring, modules.
DENIED_X86_64 = {
    "ptrace": 101,
    "personality": 135,
    "pivot_root": 155,
    "chroot": 161,
    "acct": 163,
    "mount": 165,
    "umount2": 166,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "init_module": 175,
    "delete_module": 176,
    "quotactl": 179,
    "lookup_dcookie": 212,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "perf_event_open": 298,
    "fanotify_init": 300,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "kcmp": 312,
    "finit_module": 313,
    "kexec_file_load": 320,
    "bpf": 321,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
}

# Process creation, refused where no cgroup bounds the sandbox as a whole (threads stay allowed).
FORK_X86_64 = {"fork": 57, "vfork": 58}
CLONE_X86_64, CLONE3_X86_64 = 56, 435
CLONE_THREAD = 0x00010000

_LOAD_WORD = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JUMP_IF_EQUAL = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JUMP_IF_AT_LEAST = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JUMP_IF_BITS = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RETURN = 0x06  # BPF_RET | BPF_K
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_DENY = 0x00050000 | errno.EPERM  # SECCOMP_RET_ERRNO
_NO_SUCH_CALL = 0x00050000 | errno.ENOSYS  # clone3: libc falls back to clone, whose flags we can read
_ARCH_OFFSET, _NUMBER_OFFSET, _FIRST_ARGUMENT_OFFSET = 4, 0, 16  # fields of struct seccomp_data


def seccomp_program(deny_new_processes: bool = False) -> bytes | None:
    """The filter as bwrap's --seccomp wants it (struct sock_filter[]); None on other architectures.

    With `deny_new_processes`, fork, vfork and clone without CLONE_THREAD fail with EPERM too.
    """
    if platform.machine() != "x86_64":
        return None
    program: list[tuple[int, int | str, int | str, int]] = [
        (_LOAD_WORD, 0, 0, _ARCH_OFFSET),
        (_JUMP_IF_EQUAL, 1, 0, AUDIT_ARCH_X86_64),
        (_RETURN, 0, 0, _KILL_PROCESS),  # a 32-bit or foreign syscall ABI: refuse outright
        (_LOAD_WORD, 0, 0, _NUMBER_OFFSET),
        (_JUMP_IF_AT_LEAST, "deny", 0, X32_SYSCALL_BIT),  # the x32 ABI aliases every call
    ]
    denied = sorted(DENIED_X86_64.values())
    if deny_new_processes:
        denied = sorted([*denied, *FORK_X86_64.values()])
        program += [
            (_JUMP_IF_EQUAL, "clone", 0, CLONE_X86_64),
            (_JUMP_IF_EQUAL, "no-such-call", 0, CLONE3_X86_64),
        ]
    program += [(_JUMP_IF_EQUAL, "deny", 0, number) for number in denied]
    program += [(_RETURN, 0, 0, _ALLOW)]
    labels = {}
    if deny_new_processes:
        labels["clone"] = len(program)
        program += [
            (_LOAD_WORD, 0, 0, _FIRST_ARGUMENT_OFFSET),  # the low word of clone's flags
            (_JUMP_IF_BITS, 0, "deny", CLONE_THREAD),
            (_RETURN, 0, 0, _ALLOW),
        ]
        labels["no-such-call"] = len(program)
        program.append((_RETURN, 0, 0, _NO_SUCH_CALL))
    labels["deny"] = len(program)
    program.append((_RETURN, 0, 0, _DENY))
    return b"".join(
        struct.pack("<HBBI", code, _offset(true, index, labels), _offset(false, index, labels), k)
        for index, (code, true, false, k) in enumerate(program)
    )


def _offset(target: int | str, index: int, labels: dict[str, int]) -> int:
    """A jump's offset: numbers are already relative, labels name an instruction further on."""
    return target if isinstance(target, int) else labels[target] - index - 1
