"""Read a YAML file into plain dicts and lists that remember the line each key and item came from.

The bank check reports `file:line: message`, so every value it validates must carry its source line.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class LineDict(dict[Any, Any]):
    """A mapping with `line` (where it starts), `key_lines` and `text_lines` (first line of each value's
    text: for a `|` or `>` block scalar, the line after the indicator)."""

    line: int
    key_lines: dict[Any, int]
    text_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def text_line_of(self, key: Any) -> int:
        return self.text_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence with `line` (where it starts) and `item_lines`."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


@dataclass
class YamlProblem:
    line: int
    message: str


@dataclass
class _Recorder:
    problems: list[YamlProblem] = field(default_factory=list)


# libyaml's parser when PyYAML was built with it (several times faster); the constructors are the same.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    recorder: _Recorder


def _text_start(node: yaml.Node) -> int:
    block = isinstance(node, yaml.ScalarNode) and node.style in ("|", ">")
    return node.start_mark.line + (2 if block else 1)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line, result.key_lines, result.text_lines = node.start_mark.line + 1, {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            duplicate = key in result
        except TypeError:
            loader.recorder.problems.append(YamlProblem(line, "a mapping key must be a plain value"))
            continue
        if duplicate:
            loader.recorder.problems.append(YamlProblem(line, f"key {key!r} appears twice in this mapping"))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
        result.text_lines[key] = _text_start(value_node)
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


# The largest bank file read: the biggest shipped one is under 40 kB.
MAX_FILE_BYTES = 4 * 1024 * 1024


def _read_text(path: Path) -> str:
    """A regular file's UTF-8 text, at most MAX_FILE_BYTES: a bank file linked to /dev/zero or a FIFO would
    otherwise fill the memory or wait forever. Opened without blocking, so a FIFO is refused at once."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise ValueError("not a regular file (a device, a FIFO, a socket): a bank holds plain YAML files")
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"over {MAX_FILE_BYTES // (1024 * 1024)} MiB, the most a bank file may hold")
    return data.decode("utf-8")


def read_yaml(path: Path) -> tuple[Any, list[YamlProblem]]:
    """The document in `path` (None if unreadable) and the problems found, each with a 1-based line."""
    try:
        text = _read_text(path)
    except (OSError, UnicodeDecodeError) as error:
        return None, [YamlProblem(1, f"cannot read the file: {error}")]
    except ValueError as error:
        return None, [YamlProblem(1, str(error))]
    loader = _LineLoader(text)
    loader.recorder = _Recorder()
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = " ".join(part for part in (error.context, error.problem) if part)
        return None, [YamlProblem(line, f"not valid YAML: {reason}")]
    except yaml.YAMLError as error:
        return None, [YamlProblem(1, f"not valid YAML: {error}")]
    finally:
        loader.dispose()
    return document, loader.recorder.problems
