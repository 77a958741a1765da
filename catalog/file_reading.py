"""Reading the catalog's files safely: whatever is on disk comes back as bytes or as a `CatalogError`.

Devices, FIFOs, symlink loops, links out of the catalog, unreadable and oversized files, and entries that
change between listing and opening are refused with a message naming the file and what to do, never a
traceback or a hang. `catalog.loader` (and parse-ahead, through it) reads every file through `read_file`.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from catalog.errors import CatalogError
from catalog.yaml_source import MAX_FILE_BYTES

_IGNORED_DIRS = {"schemas", "__pycache__"}
_YAML_SUFFIXES = (".yaml", ".yml")


#: Never follow a link at open time (links are resolved and checked first), never block on a FIFO
#: that appeared after the directory listing, never translate line ends (Windows).
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
#: How a directory listing classified a `.yaml` entry (from `d_type`, without a system call).
REGULAR, LINK, SPECIAL = "regular", "link", "special"


def catalog_files(root: Path, errors: list[CatalogError]) -> Iterator[tuple[Path, str]]:
    """Every `.yaml`/`.yml` entry under root, depth first in name order, with how it was listed.

    The walk is iterative (os.walk recurses once per level in Python 3.11) and reads each
    entry's type from the directory listing, so a regular file costs no extra system call.
    Folder symlinks are reported instead of being skipped in silence.
    """
    pending = [str(root)]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            errors.append(
                CatalogError(
                    display(root, Path(folder)),
                    1,
                    1,
                    "<file>",
                    f"cannot list the folder: {exc.strerror or exc}",
                    "make the folder readable (`chmod a+rx`), or remove it",
                )
            )
            continue
        subfolders: list[str] = []
        for entry in entries:
            name = entry.name
            is_yaml = name.endswith(_YAML_SUFFIXES)
            try:
                if entry.is_symlink():
                    if is_yaml:
                        yield Path(entry.path), LINK
                    elif name not in _IGNORED_DIRS and not name.startswith(".") and entry.is_dir():
                        errors.append(_folder_link_error(root, Path(entry.path)))
                elif entry.is_dir(follow_symlinks=False):
                    if name not in _IGNORED_DIRS and not name.startswith("."):
                        subfolders.append(entry.path)
                elif is_yaml:
                    yield Path(entry.path), REGULAR if entry.is_file(follow_symlinks=False) else SPECIAL
            except OSError:
                # The type could not be read from the listing; opening the file will say why.
                if is_yaml:
                    yield Path(entry.path), REGULAR
        pending.extend(reversed(subfolders))


def _folder_link_error(root: Path, path: Path) -> CatalogError:
    target = os.path.realpath(path)
    if _inside(root, target):
        message = f"folder symlink to `{display(root, Path(target))}` is not followed"
        hint = "replace the link with the folder itself"
    else:
        message = f"symlink leaves the catalog directory: the folder link points to `{target}`"
        hint = "copy the folder into the catalog; links may only point inside it"
    return CatalogError(display(root, path), 1, 1, "<file>", message, hint)


def _inside(root: Path, target: str) -> bool:
    return target.startswith(str(root) + os.sep)


def read_file(root: Path, path: Path, kind: str, shown: str, errors: list[CatalogError]) -> bytes | None:
    """The file's bytes, or None after recording why it was not read (special, linked away, too big...)."""

    def refuse(message: str, hint: str) -> None:
        errors.append(CatalogError(shown, 1, 1, "<file>", message, hint))

    target = str(path)
    if kind == LINK:
        followed = _follow_link(root, path)
        if isinstance(followed, tuple):
            refuse(*followed)
            return None
        target = followed
    elif kind == SPECIAL:
        try:
            mode = path.lstat().st_mode
        except OSError as exc:
            refuse(*_unreadable(exc))
            return None
        refuse(*_not_regular(_file_kind(mode)))
        return None
    try:
        fd = os.open(target, _OPEN_FLAGS)
    except OSError as exc:
        refuse(*_unreadable(exc))
        return None
    try:
        st = os.fstat(fd)
        # Checked again on the open file: the entry may have been replaced since it was listed.
        if not stat.S_ISREG(st.st_mode):
            refuse(*_not_regular(_file_kind(st.st_mode)))
            return None
        if st.st_size > MAX_FILE_BYTES:
            refuse(*_too_large(st.st_size))
            return None
        raw = _read_fd(fd, st.st_size)
    except OSError as exc:
        refuse(*_unreadable(exc))
        return None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        refuse(*_too_large(len(raw)))
        return None
    return raw


def _read_fd(fd: int, size: int) -> bytes:
    """Read to the end, but never more than one byte past the limit (the file may grow while read)."""
    parts = [os.read(fd, min(size, MAX_FILE_BYTES) + 1)]
    total = len(parts[0])
    while total <= MAX_FILE_BYTES:
        chunk = os.read(fd, min(1 << 16, MAX_FILE_BYTES + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _follow_link(root: Path, path: Path) -> str | tuple[str, str]:
    """The real path a `.yaml` symlink leads to, or (message, hint) saying why it is refused."""
    try:
        link = str(path.readlink())
    except OSError:
        link = "?"
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return (
                f"symlink loop: `{path.name}` -> `{link}` never reaches a file",
                "replace the link with the file it should point to",
            )
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return (
                f"dangling symlink: it points to `{link}`, which does not exist",
                "point the link at an existing file inside the catalog, or delete it",
            )
        return _unreadable(exc)
    target = os.path.realpath(path)
    kind = _file_kind(st.st_mode)
    if not _inside(root, target):
        what = f" ({kind})" if kind else ""
        return (
            f"symlink leaves the catalog directory: it points to `{target}`{what}",
            "copy the file into the catalog; links may only point inside it",
        )
    if kind:
        return _not_regular(f"{kind} (through the symlink to `{display(root, Path(target))}`)")
    return target


def _file_kind(mode: int) -> str:
    """What a non-regular file is, in words; empty for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _not_regular(kind: str) -> tuple[str, str]:
    return (
        f"not a regular file: it is {kind}, so it was not read",
        "catalog entries are regular YAML files; delete it or replace it with one",
    )


def _unreadable(exc: OSError) -> tuple[str, str]:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot read the file: permission denied", "make it readable (`chmod a+r FILE`)"
    return (
        f"cannot read the file: {exc.strerror or exc}",
        "check that the file exists and is readable, then run the check again",
    )


def _too_large(size: int) -> tuple[str, str]:
    return (
        f"the file is {size / 1024 / 1024:.1f} MiB; a catalog file may be at most {MAX_FILE_BYTES // 1024 // 1024} MiB,"
        " so it was not read",
        "a catalog entry is a few KiB of YAML; check that this is the right file, or split it into several entries",
    )


def display(root: Path, path: Path) -> str:
    """File names in messages are relative to the working directory when possible."""
    # os.path is used on purpose: pathlib.relative_to was a tenth of the load time for large catalogs.
    try:
        cwd = os.getcwd()  # noqa: PTH109
    except OSError:  # the working directory was deleted
        return str(path)
    return os.path.relpath(path, cwd) if str(path).startswith(cwd + os.sep) else str(path)
