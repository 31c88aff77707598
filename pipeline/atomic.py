"""Atomic file replacement for every output the pipeline writes.

A reader (an analyst with last run's workbook open, a script polling the output
folder) must see either the previous file or the complete new one, never a
half-written file: each output is written to a temporary file in the target's
own folder (so the final rename stays on one file system) and moved into place
with os.replace only once the writer has finished.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_write(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; replace `target` with it on success.

    On any error the temporary file is removed and `target` is left untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # A dot name hides the partial file from people browsing the folder; the
    # random part keeps two concurrent runs from sharing one temporary file.
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    # os.open with the default mode lets the umask decide the permissions, so
    # the final file gets the same permissions as a file created directly
    # (tempfile.mkstemp would make every output private to its owner).
    os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield temp
        # Flush to disk before the rename: after a crash the target must not be
        # an empty file that merely has the new name.
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
