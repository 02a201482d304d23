"""Where to send a person after logging in: only ever a path on this site, never an open redirect."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_path(target: str | None) -> str | None:
    """`target` if it is a same-site path like `/drills/adam?x=1`, else None.

    Refuses absolute and scheme-relative URLs (`//evil.example`), backslashes (browsers read `/\\evil` as
    `//evil`), and control characters or spaces (browsers drop tabs and newlines, which can rebuild `//`).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
