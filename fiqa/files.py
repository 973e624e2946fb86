"""Safe file handling for outputs: atomic replacement, a run lock, content fingerprints.

- :func:`atomic_write` writes to a uniquely named temporary file beside the target and
  renames it into place, so a reader (or a killed run) sees the old file or the new one,
  never half of one, and concurrent writers never share a temporary name.
- :class:`OutputLock` keeps a second run off the same output. It is an OS lock (``flock``),
  so the kernel drops it when the holder dies, even by ``kill -9``: no stale locks.
- :func:`fingerprint` identifies a file's content: size, ``mtime_ns`` and the sha256 of its
  bytes (symlinks followed).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

#: Fingerprint of a path that cannot be read (missing, a folder, no permission).
UNREADABLE = ("", "", "")


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> None:
    """Call ``write(temporary_path)``, then move the result onto ``path`` in one step.

    The temporary file gets a unique name in ``path``'s folder (so the rename stays on
    one file system) and the permissions a newly created file would get; it is removed
    if ``write`` fails.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> atomic_write(target, lambda tmp: tmp.write_text("hello"))
    >>> target.read_text()
    'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)
        write(temporary)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def fingerprint(path: str | os.PathLike) -> tuple[str, str, str]:
    """``(size, mtime_ns, sha256)`` of a file's content as text, or :data:`UNREADABLE`.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.bin"
    >>> _ = target.write_bytes(b"abc")
    >>> size, _, digest = fingerprint(target)
    >>> size, digest[:12]
    ('3', 'ba7816bf8f01')
    >>> fingerprint(target.with_name("missing"))
    ('', '', '')
    """
    try:
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return UNREADABLE
    return str(status.st_size), str(status.st_mtime_ns), digest


def same_content(path: str | os.PathLike, recorded: Sequence[str]) -> bool:
    """True when ``path`` still holds the bytes of the ``recorded`` fingerprint.

    Size and sha256 decide (a file touched but not changed is the same content); a size
    that differs answers without reading the file.
    """
    recorded = tuple(recorded)
    if recorded == UNREADABLE:
        return fingerprint(path) == UNREADABLE
    try:
        if str(os.stat(path).st_size) != recorded[0]:
            return False
    except OSError:
        return False
    size, _, digest = fingerprint(path)
    return (size, digest) == (recorded[0], recorded[2])


class OutputLock:
    """An exclusive lock on ``<output>.lock``; raises ValueError at once if already held.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "scores.csv"
    >>> with OutputLock(out):
    ...     OutputLock(out).acquire()
    Traceback (most recent call last):
    ...
    ValueError: another fiqa run (pid ...) is writing .../scores.csv; wait for it to finish or choose another output
    """

    def __init__(self, output: str | os.PathLike):
        self.output = Path(output)
        self.path = self.output.with_name(self.output.name + ".lock")
        self._handle = None

    def acquire(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while self._handle is None:
            handle = open(self.path, "a+")  # noqa: SIM115 - the lock lives with the handle
            if not _try_lock(handle):
                handle.seek(0)
                holder = handle.read().strip() or "?"
                handle.close()
                raise ValueError(f"another fiqa run (pid {holder}) is writing {self.output}; "
                                 "wait for it to finish or choose another output")
            try:  # the holder before us may have removed the file after we opened it
                current = os.stat(self.path).st_ino
            except FileNotFoundError:
                current = None
            if current != os.fstat(handle.fileno()).st_ino:
                handle.close()
                continue
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self.path.unlink(missing_ok=True)  # still holding it: nobody else can be inside
            self._handle.close()
            self._handle = None

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _try_lock(handle) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True
