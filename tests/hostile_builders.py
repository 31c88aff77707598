"""Build broken and hostile roster files in a test's tmp_path.

Each file is small and quick to make; what it would cost a reader is the
point. Real-format samples that need Excel or LibreOffice to make (the .xls
and .ods rosters, password-protected workbooks) are committed in tests/data/.
"""

from __future__ import annotations

import string
import struct
import zipfile
import zlib
from pathlib import Path

from tests.workbook_builders import write_xlsx

_MiB = 1 << 20

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="DS" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.'
    'org/officeDocument/2006/relationships/worksheet"/>'
    '<Relationship Id="rId2" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/sharedStrings"/></Relationships>'
)
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_WORKSHEET_START = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_HEAD = _XML_DECLARATION + _WORKSHEET_START
_SHEET_TAIL = b"</sheetData></worksheet>"
NAME_CELL = b'<row r="1"><c r="A1" t="inlineStr"><is><t>Ho va ten</t></is></c></row>'


def write_minimal_xlsx(
    path: Path,
    sheet_data: bytes,
    shared_strings: str | None = None,
    prolog: bytes = _XML_DECLARATION,
) -> Path:
    """A one-sheet workbook whose <sheetData> content is exactly `sheet_data`.

    `prolog` is what the sheet's XML holds before its root element.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _workbook_parts().items():
            archive.writestr(name, text)
        sheet = prolog + _WORKSHEET_START + sheet_data + _SHEET_TAIL
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
    return path


def _workbook_parts() -> dict[str, str]:
    return {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _PACKAGE_RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
    }


def write_zip_bomb_xlsx(path: Path, unpacked_mib: int = 1100) -> Path:
    """A valid workbook whose sheet unpacks to `unpacked_mib` MiB of cells, in under 3 MB.

    calamine inflates the whole sheet into memory and then a cell per row:
    3 GB and a minute for the default, an abort where memory is short. The
    deflate stream is one compressed MiB of rows repeated (a full flush makes
    each copy self-contained), so building it costs a checksum, not a
    gigabyte of compression.
    """
    row = b"<row><c><v>1</v></c></row>"
    block = row * (_MiB // len(row))
    crc = zlib.crc32(_SHEET_HEAD)
    for _ in range(unpacked_mib):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(_SHEET_TAIL, crc)
    deflated = (
        _deflate(_SHEET_HEAD, zlib.Z_FULL_FLUSH)
        + _deflate(block, zlib.Z_FULL_FLUSH) * unpacked_mib
        + _deflate(_SHEET_TAIL)
    )
    size = len(_SHEET_HEAD) + len(block) * unpacked_mib + len(_SHEET_TAIL)
    members = [
        (name, _deflate(text.encode()), zlib.crc32(text.encode()), len(text.encode()))
        for name, text in _workbook_parts().items()
    ]
    members.append(("xl/worksheets/sheet1.xml", deflated, crc, size))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_zip_archive(members))
    return path


def _deflate(data: bytes, mode: int = zlib.Z_FINISH) -> bytes:
    """Raw deflate blocks for `data`. After Z_FULL_FLUSH they end byte-aligned and
    refer to nothing before them, so copies of them concatenate into one stream."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(mode)


def _zip_archive(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already-deflated members: (name, deflate stream, crc32, unpacked size)."""
    body, directory = bytearray(), bytearray()
    dos_date = (1 << 5) | 1  # 1980-01-01
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = len(body)
        body += struct.pack(
            "<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, dos_date, crc, len(data), size, len(encoded), 0
        )
        body += encoded + data
        directory += struct.pack(
            "<4s6H3I5H2I",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            dos_date,
            crc,
            len(data),
            size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        directory += encoded
    end = struct.pack(
        "<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(body), 0
    )
    return bytes(body + directory + end)


def write_misdeclared_size_xlsx(path: Path, declared_change: int) -> Path:
    """A workbook whose sheet's directory entries misstate its unpacked size.

    With `declared_change` < 0 the sheet unpacks to more than it declares, and
    what lies past the declared size (a value at XFD1048576) is what a reader
    stopping there would never see; the checksum is the declared part's.
    """
    stray = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = _SHEET_HEAD + NAME_CELL + stray + _SHEET_TAIL
    declared = len(_SHEET_HEAD + NAME_CELL) if declared_change < 0 else len(sheet)
    declared += declared_change if declared_change > 0 else 0
    members = [
        (name, _deflate(text.encode()), zlib.crc32(text.encode()), len(text.encode()))
        for name, text in _workbook_parts().items()
    ]
    crc = zlib.crc32(sheet[:declared])
    members.append(("xl/worksheets/sheet1.xml", _deflate(sheet), crc, declared))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_zip_archive(members))
    return path


def write_billion_laughs_xlsx(path: Path, levels: int = 10) -> Path:
    """A sheet whose DOCTYPE defines an entity of 10**(levels-1) "lol"s (3 GB at 10)."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)
    ]
    doctype = f"<!DOCTYPE worksheet [{''.join(entities)}]>".encode()
    cell = f'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol{levels - 1};</t></is></c></row>'
    return write_minimal_xlsx(path, cell.encode(), prolog=_XML_DECLARATION + doctype)


def write_huge_shared_strings_xlsx(path: Path) -> Path:
    """One shared string declared as four billion: calamine reserves 96 GB and aborts."""
    shared = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" count="1" uniqueCount="4000000000"><si><t>An</t></si></sst>'
    )
    cell = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return write_minimal_xlsx(path, cell, shared_strings=shared)


def write_far_cell_xlsx(path: Path, cell: str = "XFD1048576") -> Path:
    """A name at A1 and one stray value at `cell`, as a slip of the keyboard leaves it.

    At XFD1048576, calamine's dense grid between the two cells holds 17
    billion cells: it asks for 550 GB and aborts the process.
    """
    row = cell.lstrip(string.ascii_uppercase)
    stray = f'<row r="{row}"><c r="{cell}" t="inlineStr"><is><t>x</t></is></c></row>'
    return write_minimal_xlsx(path, NAME_CELL + stray.encode())


def write_many_members_xlsx(path: Path, count: int) -> Path:
    """A readable workbook padded with `count` empty parts."""
    write_minimal_xlsx(path, NAME_CELL)
    with zipfile.ZipFile(path, "a") as archive:
        for n in range(count):
            archive.writestr(f"customXml/pad{n}.bin", b"")
    return path


def write_truncated_xlsx(path: Path) -> Path:
    """A real roster cut in half, as an interrupted download leaves it."""
    rows: list[list[object]] = [["STT", "Họ và tên"]]
    rows += ([n, f"Nguyễn Văn {n}"] for n in range(1, 200))
    write_xlsx(path, {"DS": rows})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def write_ods(path: Path, table_rows: str, sheet: str = "DS") -> Path:
    """A one-table ODS file whose <table:table> content is exactly `table_rows`."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        f'<office:body><office:spreadsheet><table:table table:name="{sheet}">{table_rows}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.3"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        # ODF wants the mimetype first and stored, as LibreOffice writes it.
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def write_ods_repeat_bomb(path: Path) -> Path:
    """One value repeated over 1,048,576 rows x 16,384 columns in 1 KB of XML."""
    row = (
        '<table:table-row table:number-rows-repeated="1048576">'
        '<table:table-cell office:value-type="float" office:value="1" '
        'table:number-columns-repeated="16384"/></table:table-row>'
    )
    return write_ods(path, row)


def write_cfb(path: Path, streams: dict[str, bytes]) -> Path:
    """A version-3 OLE2 compound file whose root storage holds `streams`.

    Each stream is padded to 4,096 bytes so that none goes to the mini
    stream; the directory lists them as a chain of right siblings.
    """
    sector, free, end, fat_marker, no_entry = 512, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    payloads = [data.ljust(4096, b"\0") for data in streams.values()]
    payloads = [data.ljust(-(-len(data) // sector) * sector, b"\0") for data in payloads]
    fat = [fat_marker]

    def allocate(sectors: int) -> int:
        start = len(fat)
        fat.extend(range(start + 1, start + sectors))
        fat.append(end)
        return start

    entry_count = 1 + len(payloads)
    directory_sectors = -(-entry_count // 4)
    directory_start = allocate(directory_sectors)
    starts = [allocate(len(data) // sector) for data in payloads]
    if len(fat) > sector // 4:
        raise ValueError("write_cfb holds at most 64 KB of streams")
    fat.extend([free] * (sector // 4 - len(fat)))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return struct.pack(
            "<64sHBBIII16sI16sIQ",
            encoded,
            len(encoded),
            kind,
            1,  # black: a valid red-black tree
            no_entry,
            right,
            child,
            b"",
            0,
            b"",
            start,
            size,
        )

    names = list(streams)
    directory = entry("Root Entry", 5, no_entry, 1 if names else no_entry, end, 0)
    for n, (name, start, data) in enumerate(zip(names, starts, payloads, strict=True), start=1):
        right = n + 1 if n < len(names) else no_entry
        directory += entry(name, 2, right, no_entry, start, len(data))
    directory = directory.ljust(directory_sectors * sector, b"\0")
    header = struct.pack(
        "<8s16s5H6s9I",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"",
        0x3E,
        3,
        0xFFFE,
        9,  # 512-byte sectors
        6,  # 64-byte mini sectors
        b"",
        0,
        1,  # one allocation-table sector
        directory_start,
        0,
        4096,  # mini stream cutoff
        end,
        0,
        end,
        0,
    ) + struct.pack("<109I", 0, *[free] * 108)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + struct.pack(f"<{len(fat)}I", *fat) + directory + b"".join(payloads))
    return path


def biff_record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def biff_number(row: int, column: int, value: float) -> bytes:
    """A NUMBER record: a value at a 0-based (row, column)."""
    return biff_record(0x0203, struct.pack("<HHHd", row, column, 0, value))


def write_xls(path: Path, *sheets: bytes, globals_records: bytes = b"") -> Path:
    """A compound file whose Workbook stream holds BIFF8 substreams: the workbook
    globals (BOF, `globals_records`, EOF), then each sheet's records between a BOF
    and an EOF. Enough for the checks on records; calamine needs more to open it."""

    def substream(kind: int, records: bytes) -> bytes:
        bof = biff_record(0x0809, struct.pack("<HH", 0x0600, kind) + bytes(12))
        return bof + records + biff_record(0x000A)

    stream = substream(0x0005, globals_records)
    stream += b"".join(substream(0x0010, records) for records in sheets)
    return write_cfb(path, {"Workbook": stream})


def write_doc_as_xls(path: Path) -> Path:
    """An old Word .doc (a compound file with a WordDocument stream) named .xls."""
    return write_cfb(path, {"WordDocument": b"\xec\xa5\xc1\x00", "1Table": b""})


def write_pdf(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    return path


def write_html_table(path: Path) -> Path:
    """A web page holding a table, as web applications "export to Excel"."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8">'
        "</head><body><table><tr><th>STT</th><th>Họ và tên</th></tr>"
        "<tr><td>1</td><td>Nguyễn Văn An</td></tr></table></body></html>",
        encoding="utf-8",
    )
    return path


def write_lock_file(path: Path, user: str = "Nguyen Van An") -> Path:
    """Excel's owner file: the user name as a length byte and ANSI text padded with
    spaces to 54 bytes, then as UTF-16 after a 2-byte length, 165 bytes in all."""
    ansi = bytes([len(user)]) + user.encode("latin-1").ljust(53, b" ")
    wide = struct.pack("<H", len(user)) + user.encode("utf-16-le")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((ansi + wide).ljust(165, b" "))
    return path


def write_empty(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path
