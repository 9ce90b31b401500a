"""Files read and written safely, whatever the path turns out to be.

Reading: only regular files, opened without blocking and checked with ``fstat`` before a byte is
read, within a ceiling (``open_regular``, ``read_regular``; ``-`` is standard input). Writing: one
writer for every output (``atomic_write_bytes``): a temporary file made with ``mkstemp`` in the
target's folder, synced and renamed over the target; devices and FIFOs written in place, other
special files refused, symlinks resolved; ``output_target`` checks a path before long work starts;
leftovers of killed writers removed. See docs/safety.md.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from pathlib import Path

MAX_TEXT_BYTES = 64 << 30  # the ceiling on a CSV or ONNX file read in


def _kind_of(mode) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path, what="file", limit=MAX_TEXT_BYTES):
    """An open binary file object for ``path`` once it is known to be a regular file of at most
    ``limit`` bytes; ValueError otherwise (a FIFO is refused without blocking on it)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise ValueError(f"{path}: is a folder, expected a {what}") from None
    except OSError as e:
        raise ValueError(f"{path}: cannot read the {what} ({e.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{path}: is {_kind_of(st.st_mode)}, expected a regular {what}")
        if st.st_size > limit:
            raise ValueError(f"{path}: {st.st_size:,} bytes, more than the {limit:,} a {what} may have")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path, what="file", limit=MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (``open_regular``'s checks); ``-`` is
    standard input, read up to the same limit."""
    if str(path) == "-":
        import sys

        chunks, total = [], 0
        while chunk := sys.stdin.buffer.read(1 << 20):
            total += len(chunk)
            if total > limit:
                raise ValueError(f"standard input: more than the {limit:,} bytes a {what} may have")
            chunks.append(chunk)
        return b"".join(chunks)
    with open_regular(path, what, limit) as f:
        size = os.fstat(f.fileno()).st_size
        data = f.read(size)
        if f.read(1):
            raise ValueError(f"{path}: the {what} grew while it was read")
        return data


def _umask() -> int:
    try:  # Linux says it without changing it
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _is_stream(mode) -> bool:
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def output_target(path, what="output") -> Path:
    """Where ``path`` will be written, checked before any long work: symlinks resolved (a link's
    target is written, the link kept); an existing target a regular file, or a character device or
    FIFO (written in place, as a stream); its folder existing and writable (probed by creating and
    removing a file there). ValueError naming the path otherwise."""
    target, st = _target(path, what)
    if st is not None and _is_stream(st.st_mode):
        return target
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=target.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ValueError(f"{path}: the folder {target.parent} is not writable ({e.strerror})") from None
    return target


def _target(path, what):
    """(the resolved target, its stat or None when it does not exist yet): a regular file, a character
    device or FIFO, or a new name in a folder that exists; ValueError naming the path otherwise."""
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise ValueError(f"{path}: cannot write the {what} ({e.strerror})") from None
    if st is not None and not (stat.S_ISREG(st.st_mode) or _is_stream(st.st_mode)):
        raise ValueError(f"{path}: is {_kind_of(st.st_mode)}; expected a file name for the {what}")
    if st is None and not target.parent.is_dir():
        raise ValueError(f"{path}: the folder {target.parent} does not exist")
    return target, st


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.[^.]+\.(?P<pid>[0-9]+)\.tmp$")


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs on this machine (one we may not signal counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_leftovers(target: Path) -> list:
    """Remove the temporary files a killed writer left beside ``target`` (``.<name>.<random>.<pid>.tmp``,
    regular, ours, its process gone). Returns the names removed."""
    removed = []
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    for name in names:
        m = _LEFTOVER.match(name)
        if not m or m["name"] != target.name or process_alive(int(m["pid"])):
            continue
        p = target.parent / name
        try:
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid():
                os.unlink(p)
                removed.append(name)
        except OSError:
            pass
    return removed


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The temporary file is created exclusively in the target's folder (``tempfile.mkstemp``: no
    symlink followed, a name nobody can guess), synced and renamed over the target. A symlink
    is resolved first (its target is replaced, the link kept); a character device or FIFO is
    written in place (``-o /dev/null``), never replaced; anything else that is not a regular
    file is refused. Temporary files left by a killed run are removed first.
    """
    target, st = _target(path, "output")  # checked once; the temporary file itself tests the folder
    if st is not None and _is_stream(st.st_mode):
        _write_stream(path, target, data)
        return
    clean_leftovers(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".{os.getpid()}.tmp", dir=target.parent)
    except OSError as e:
        raise ValueError(f"{path}: the folder {target.parent} is not writable ({e.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask())
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    try:  # make the rename itself durable where the platform allows
        dfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _write_stream(path, target, data: bytes) -> None:
    """Write into a character device or FIFO in place; a FIFO nobody reads is refused, not waited on."""
    try:
        fd = os.open(target, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        if e.errno == errno.ENXIO:
            raise ValueError(f"{path}: is a FIFO that nothing reads; start its reader first") from None
        raise ValueError(f"{path}: cannot write ({e.strerror})") from None
    try:
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
