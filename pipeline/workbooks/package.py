"""The fixed creation date of a written workbook.

The writer (rust_xlsxwriter) stamps docProps/core.xml with the current time
and offers no way to set it, so two runs on the same input would differ in
those bytes. `pin_created` rewrites that one small member in place: every
other member is kept byte for byte (a workbook's sheets are far too large to
compress again), the members after it move by the change in its compressed
size, and the central directory is rewritten with their new offsets.
"""

from __future__ import annotations

import datetime
import re
import struct
import zipfile
import zlib
from pathlib import Path

CORE = "docProps/core.xml"
# ZIP's local header, central directory record and end record (APPNOTE 4.3.7,
# 4.3.12, 4.3.16); every field named where it is used below.
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"
_DATA_DESCRIPTOR = 0x08  # flag: sizes and CRC follow the data instead of the header
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*")


def pin_created(path: Path, created: datetime.datetime) -> None:
    """Set the workbook's created and modified dates to `created` (UTC)."""
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo(CORE)
        infos = archive.infolist()
        text = _STAMP.sub(lambda found: found.group(1) + stamp, archive.read(member))
    packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = packer.compress(text) + packer.flush()
    checksum = zlib.crc32(text)
    origin = member.header_offset
    with path.open("r+b") as handle:
        # The writer puts core.xml after the sheets: what follows it is small.
        handle.seek(origin)
        tail = handle.read()
        local = list(_LOCAL.unpack_from(tail))
        end = list(_END.unpack_from(tail, len(tail) - _END.size))
        if end[0] != _END_SIGNATURE or end[6] == 0xFFFFFFFF:  # ZIP64: not for workbooks this size
            raise ValueError(f"{path.name}: unexpected ZIP layout, creation date not set")
        directory_start = end[6] - origin
        # The member ends where the next one (or the directory) starts, past any
        # data descriptor; it is written back without one, its sizes in its header.
        old_end = min(
            (info.header_offset - origin for info in infos if info.header_offset > origin),
            default=directory_start,
        )
        shift = _LOCAL.size + local[9] + local[10] + len(data) - old_end
        local[2] &= ~_DATA_DESCRIPTOR
        local[6:9] = checksum, len(data), len(text)
        directory = bytearray()
        position = directory_start
        for _ in range(end[4]):
            record = list(_CENTRAL.unpack_from(tail, position))
            size = _CENTRAL.size + record[10] + record[11] + record[12]
            if record[16] == origin:
                record[3] &= ~_DATA_DESCRIPTOR
                record[7:10] = checksum, len(data), len(text)
            elif record[16] > origin:
                record[16] += shift
            directory += _CENTRAL.pack(*record) + tail[position + _CENTRAL.size : position + size]
            position += size
        end[6] += shift
        handle.seek(origin)
        handle.write(_LOCAL.pack(*local) + tail[_LOCAL.size : _LOCAL.size + local[9] + local[10]])
        handle.write(data + tail[old_end:directory_start])
        handle.write(bytes(directory) + _END.pack(*end))
        handle.truncate()
