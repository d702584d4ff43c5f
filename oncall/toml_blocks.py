"""A TOML file as *blocks*, edited so that every byte outside the touched blocks stays.

A file is a list of blocks: the lines before the first table header, then one block per
``[table]`` or ``[[array.of.tables]]`` header. A block starts with the comment lines
directly above its header (they describe it) and ends with the blank and comment lines
before the next block's. Of those, comment lines that follow a blank line are
*detached*: a section heading for what comes next, not part of the table, so a new
table goes above them and removing the table keeps them. An edit inserts or removes
whole blocks, or changes values inside one block through tomlkit, so every byte outside
the touched blocks stays as it was: comments, order, blank lines, quoting, a UTF-8 BOM;
new lines use the file's line ending (CRLF or LF). (tomlkit alone would file the
comments above a header under the previous table, and put new keys and tables after
them.) tomlkit is imported only inside the functions that use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Refused
from .toml_text import tomllib


@dataclass
class Block:
    text: str
    path: tuple[str, ...] | None  # the header's key path; None for the lines before any header
    aot: bool = False  # ``[[...]]``


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _is_blank(line: str) -> bool:
    return not line.strip()


def _header(line: str) -> tuple[tuple[str, ...], bool] | None:
    """The key path of a table header line and whether it opens an array of tables."""
    if not line.lstrip().startswith("["):
        return None
    try:
        node: Any = tomllib.loads(line)
    except tomllib.TOMLDecodeError:
        return None
    path: list[str] = []
    while isinstance(node, dict) and len(node) == 1:
        key, node = next(iter(node.items()))
        path.append(key)
    if isinstance(node, list):
        return tuple(path), True
    return (tuple(path), False) if node == {} else None


def split_blocks(text: str) -> list[Block]:
    """``text`` as blocks; ``"".join`` of their texts is ``text`` again."""
    lines = text.splitlines(keepends=True)
    heads = [(i, h) for i, line in enumerate(lines) if (h := _header(line))]
    blocks = []
    start = 0
    cuts = []
    for i, h in heads:
        s = i
        while s > start and _is_comment(lines[s - 1]):
            s -= 1
        cuts.append((s, h))
        start = i + 1
    blocks.append(Block("".join(lines[: cuts[0][0] if cuts else len(lines)]), None))
    for n, (s, (path, aot)) in enumerate(cuts):
        end = cuts[n + 1][0] if n + 1 < len(cuts) else len(lines)
        blocks.append(Block("".join(lines[s:end]), path, aot))
    for b in blocks:
        try:
            tomllib.loads(b.text)
        except tomllib.TOMLDecodeError:
            # A "header" inside a multi-line string or array: this file is beyond the
            # simple layout edits rely on, and guessing could damage it.
            raise Refused("cannot edit this file safely (a table header inside a multi-line value?); "
                          "edit it by hand") from None
    return blocks


def _tail(text: str, blank_only: bool) -> int:
    """Length of the trailing run of blank (and, unless ``blank_only``, comment) lines."""
    lines = text.splitlines(keepends=True)
    n = 0
    for line in reversed(lines):
        if _is_blank(line) or (not blank_only and _is_comment(line)):
            n += len(line)
        else:
            break
    return n


def _detached(text: str) -> int:
    """Where the detached comment lines at the end of a block start: the first comment
    line of the trailing blank/comment run that follows a blank line (``len(text)`` if
    there is none). Comment lines right after the table's last line stay with it."""
    lines = text.splitlines(keepends=True)
    i = len(lines)
    while i and (_is_blank(lines[i - 1]) or _is_comment(lines[i - 1])):
        i -= 1
    while i < len(lines) and _is_comment(lines[i]):
        i += 1
    while i < len(lines) and _is_blank(lines[i]):
        i += 1
    return len("".join(lines[:i])) if i < len(lines) else len(text)


def _table(node: Any, path: tuple[str, ...], aot: bool) -> Any:
    for key in path:
        node = node[key]
    return node[0] if aot else node


class Edit:
    """One file being edited: the bytes read, and its blocks."""

    def __init__(self, path: Path, original: bytes | None):
        self.path = path
        self.original = original
        text = original.decode("utf-8") if original is not None else ""
        self.bom = "\ufeff" if text.startswith("\ufeff") else ""
        text = text.removeprefix(self.bom)
        first = text.find("\n")
        self.eol = "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
        self.blocks = split_blocks(text)

    @classmethod
    def open(cls, path: Path) -> Edit:
        from .files import read_regular
        from .toml_text import MAX_FILE_BYTES

        return cls(path, read_regular(path, MAX_FILE_BYTES))

    @classmethod
    def create(cls, path: Path, text: str) -> Edit:
        """A file that does not exist yet, to be written with ``text``."""
        f = cls(path, None)
        f.blocks = split_blocks(text)
        return f

    @property
    def text(self) -> str:
        return self.bom + "".join(b.text for b in self.blocks)

    def _eol(self, text: str) -> str:
        """New ``\\n``-terminated lines in the file's line ending."""
        return text.replace("\n", self.eol) if self.eol != "\n" else text

    def find(self, *path: str) -> list[int]:
        """Indices of the blocks whose header is exactly ``path``, in file order."""
        return [i for i, b in enumerate(self.blocks) if b.path == path]

    def data(self, k: int) -> dict:
        """The table of block ``k`` as plain values."""
        b = self.blocks[k]
        return _table(tomllib.loads(b.text), b.path or (), b.aot)

    def insert_after(self, j: int, text: str) -> int:
        """Insert a table (``text``, ending in a newline) right after block ``j``, separated
        from its neighbours as block ``j`` is from the next one. Returns its index."""
        prev = self.blocks[j]
        text = self._eol(text)
        if prev.text and not prev.text.endswith("\n"):
            prev.text += self.eol
        cut = _detached(prev.text)
        prev.text, below = prev.text[:cut], prev.text[cut:]
        gap = prev.text[len(prev.text) - _tail(prev.text, True):]
        if j == len(self.blocks) - 1 and not below:
            text = ("" if gap or not prev.text.strip() else self.eol) + text
        else:
            text += gap + below
        head = _header(next(line for line in text.splitlines() if line.strip()))
        self.blocks.insert(j + 1, Block(text, *(head or (None, False))))
        return j + 1

    def append(self, text: str) -> int:
        return self.insert_after(len(self.blocks) - 1, text)

    def remove(self, k: int) -> None:
        """Remove block ``k`` with the comments above its header; its detached comments
        (a heading for what follows) stay."""
        gone = self.blocks.pop(k)
        below = gone.text[_detached(gone.text):]
        if below:
            self.blocks[k - 1].text += below
        elif k == len(self.blocks) and k > 0:
            # It ended the file: the block before it now does, the way it did.
            prev = self.blocks[k - 1]
            prev.text = prev.text[: len(prev.text) - _tail(prev.text, True)]
            prev.text += gone.text[len(gone.text) - _tail(gone.text, True):]

    def set(self, k: int, values: dict[str, Any]) -> None:
        """Set keys of block ``k``'s table through tomlkit: an existing key keeps its place
        and its inline comment; a new one goes after the table's last key."""
        import tomlkit

        b = self.blocks[k]
        cut = len(b.text) - _tail(b.text, False)
        core, tail = b.text[:cut], b.text[cut:]
        if not core.endswith("\n"):
            core += self.eol
        # tomlkit writes new keys with \n: edit an all-CRLF table as LF, then turn it back.
        crlf = self.eol == "\r\n" and core.count("\n") == core.count("\r\n")
        doc = tomlkit.parse(core.replace("\r\n", "\n") if crlf else core)
        table = _table(doc, b.path or (), b.aot)
        for key, value in values.items():
            table[key] = value
        b.text = (self._eol(doc.as_string()) if crlf else doc.as_string()) + tail


def render_table(path: tuple[str, ...], aot: bool, items: dict[str, Any]) -> str:
    """A new table as TOML text, values rendered by tomlkit; None values are left out."""
    import tomlkit

    head = ".".join(tomlkit.key(p).as_string() for p in path)
    return (f"[[{head}]]" if aot else f"[{head}]") + "\n" + render_keys(items)


def render_keys(items: dict[str, Any]) -> str:
    """``key = value`` lines, values rendered by tomlkit; None values are left out."""
    import tomlkit

    return "".join(f"{tomlkit.key(k).as_string()} = {tomlkit.item(v).as_string()}\n"
                   for k, v in items.items() if v is not None)
