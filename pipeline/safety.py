"""Refuse broken and hostile roster files before a reader opens them.

python-calamine decompresses a whole zip member into memory, pre-allocates
from counts the file declares, and builds a dense grid spanning a sheet's
first to last cell. So a 3 MB zip bomb, a shared-strings table claiming four
billion entries, or two cells at A1 and XFD1048576 make it ask for gigabytes
or terabytes, and when Rust cannot allocate it aborts the whole process: no
exception reaches Python and the run cannot skip the file. These checks must
therefore happen before calamine sees the file. They read only headers,
directories and bounded prefixes, and stream worksheets in fixed-size chunks
where cell positions must be counted, so inspecting a hostile file costs no
more memory than inspecting a normal one.

Every refusal is an UnreadableFileError whose text, in the readers' style,
says what is wrong and what to do.
"""

from __future__ import annotations

import enum
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import BinaryIO, Literal, NamedTuple, cast

import numpy as np
import numpy.typing as npt
from isal import isal_zlib

# A module import, not a name import: readers.py calls into this module, and
# only module references survive the import cycle in either order.
from pipeline import readers

_MiB = 1 << 20
_GiB = 1 << 30

# Limits. The largest rosters we must read have 200,000 rows: 5-10 MB on disk,
# 30-90 MB of sheet XML, 1-4 million cells.
#
# On disk: both readers copy the whole file into memory (the CSV reader then
# decodes it), and nothing a roster needs comes near this.
MAX_FILE_BYTES = 256 * _MiB
# A workbook has about ten parts plus three or four per sheet.
MAX_ZIP_MEMBERS = 10_000
# calamine holds a whole member in memory while it parses it, so the declared
# uncompressed size is memory it will take: 1 GiB is more than ten times the
# largest real roster.
MAX_UNCOMPRESSED_BYTES = 1 * _GiB
# Real sheet XML compresses 5-15 times, shared strings 3-5 times; only padding
# made to explode (spaces, one row repeated) reaches 200 times on a member big
# enough to matter. The size floor keeps small, very regular parts acceptable.
BOMB_RATIO = 200
BOMB_MEMBER_BYTES = 100 * _MiB
# Readers hold a sheet as a grid from A1 to its last used cell: measured, the
# Rust grid alone takes 60 bytes a cell and a whole read about 200. Excel
# stops at 1,048,576 rows; a roster has a few dozen columns; 10 million cells
# is 200,000 rows of 50 columns, about 2 GB to read.
MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLUMNS = 1_000
MAX_SHEET_CELLS = 10_000_000
# calamine reserves one string slot (24 bytes) per declared unique string.
MAX_SHARED_STRINGS = 2 * MAX_SHEET_CELLS

# Central-directory entries are 46 bytes plus the part name (real names are
# under 100 bytes); zipfile parses the whole directory into objects before we
# can count them, so an end record lying about the count must not get that far.
_MAX_ZIP_DIRECTORY_BYTES = MAX_ZIP_MEMBERS * 256
_ZIP_END_RECORD = b"PK\x05\x06"
_ZIP_END_RECORD_SEARCH = 22 + 0xFFFF  # the record plus the longest archive comment
_ZIP_MAGICS = (b"PK\x03\x04", _ZIP_END_RECORD)  # an empty archive is only its end record
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted ODS keeps its manifest readable, listing how each part is encrypted.
_ODS_MANIFEST = "META-INF/manifest.xml"
_ODS_ENCRYPTION_MARK = b"encryption-data"
_CHUNK_BYTES = 1 * _MiB
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then name and extra field lengths
_LOCAL_HEADER_MAGIC = b"PK\x03\x04"
# Inflated a small piece at a time into one reused chunk: pieces this small
# come from and go back to the allocator's heap, where a fresh megabyte per
# call was mapped from the system and unmapped again (on a 150 MB sheet,
# 37,000 page faults and 0.05-0.1 s of system time).
_INFLATE_INPUT_BYTES = 64 * 1024
_INFLATE_OUTPUT_BYTES = 64 * 1024
# Excel and LibreOffice put at most an XML declaration before the root
# element; a prolog this long can only hide a DOCTYPE behind padding.
_XML_PROLOG_LIMIT = 64 * 1024
_XML_PROLOG_STEP = 4 * 1024
# No start tag a spreadsheet writer produces is this long.
_MAX_TAG_BYTES = _MiB
_LOCK_FILE_BYTES = 165  # Excel's "~$name.xlsx" owner file, whatever the user name
_LOCK_NAME_FIELD = 54  # its length byte and space-padded ANSI name

_WORKSHEET_ROOTS = frozenset((b"worksheet", b"dialogsheet", b"macrosheet"))
_OOXML_WORKBOOK = "xl/workbook.xml"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"

# Zip failures that mean a damaged file, not an I/O problem on our side.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ValueError,
    struct.error,
    NotImplementedError,  # a compression method neither zipfile nor calamine knows
    # A class at run time; isal's stub declares an instance.
    cast(type[Exception], isal_zlib.error),
)

_EMPTY = "tệp trống (0 byte), thường do tải về hoặc sao chép bị lỗi; hãy xin đơn vị gửi lại tệp"
_CORRUPT = (
    "tệp bị hỏng hoặc chưa tải về hết; hãy tải lại hoặc xin đơn vị gửi lại tệp (nếu Excel "
    "vẫn mở được, hãy lưu lại thành tệp mới rồi gửi)"
)
_LOCK_FILE = (
    "đây là tệp khóa tạm Excel tạo ra khi có người đang mở sổ tính (tên bắt đầu bằng ~$), "
    "không phải danh sách; hãy đóng Excel rồi xóa tệp này"
)
_PASSWORD_EXCEL = (
    "tệp được đặt mật khẩu mở tệp nên không đọc được; hãy mở bằng Excel, gỡ mật khẩu (File > "
    "Info > Protect Workbook > Encrypt with Password, hoặc Tệp > Thông tin > Bảo vệ sổ làm việc "
    "> Mã hóa bằng mật khẩu; xóa trống mật khẩu) rồi lưu lại"
)
_PASSWORD_ODS = (
    "tệp được đặt mật khẩu mở tệp nên không đọc được; hãy mở bằng LibreOffice, chọn Tệp > Lưu "
    "thành, bỏ chọn 'Lưu với mật khẩu' rồi lưu lại"
)


def inspect_file(path: Path) -> None:
    """Raise UnreadableFileError if the file is not safe for a reader to open.

    Decides by content, not by name: a workbook, a CSV file, or something
    else under a roster's name. Returning does not promise that the reader
    will succeed, only that trying cannot hurt the run.
    """
    size = path.stat().st_size
    if size == 0:
        raise readers.UnreadableFileError(_EMPTY)
    if size > MAX_FILE_BYTES:
        raise readers.UnreadableFileError(
            f"tệp nặng {_megabytes(size)}, vượt giới hạn {_megabytes(MAX_FILE_BYTES)} của một "
            "danh sách; hãy kiểm tra đúng là tệp danh sách, xóa hình ảnh hoặc trang tính không "
            "cần thiết, hoặc tách thành nhiều tệp nhỏ hơn"
        )
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(len(_CFB_MAGIC))
        if head.startswith(_ZIP_MAGICS):
            _refuse_workbook_named_csv(suffix)
            _inspect_zip(handle, size, suffix)
        elif head.startswith(_CFB_MAGIC):
            _refuse_workbook_named_csv(suffix)
            _inspect_compound(handle, size, suffix)
        else:
            handle.seek(0)
            _inspect_other(path.name, handle.read(1024), size, suffix)


def sheet_size_guard(height: int, width: int, *, sheet: str = "") -> None:
    """Raise UnreadableFileError when a sheet's grid from A1 is too large to hold.

    height and width count from row 1 and column A to the last used cell, the
    grid a reader anchored at A1 allocates; a sheet whose used range runs far
    beyond its table (one stray value at XFD1048576) would otherwise cost
    gigabytes of empty cells.
    """
    if not _too_large(height, width):
        return
    where = f"trang tính '{sheet}'" if sheet else "một trang tính"
    raise readers.UnreadableFileError(
        f"{where} có vùng dữ liệu kéo tới ô {_cell_name(height - 1, width - 1)} "
        f"({_number(height)} dòng × {_number(width)} cột), quá lớn so với một danh sách (tối đa "
        f"{_number(MAX_SHEET_ROWS)} dòng, {_number(MAX_SHEET_COLUMNS)} cột, "
        f"{_number(MAX_SHEET_CELLS)} ô), thường do có ô bị gõ nhầm ở xa bảng; hãy mở trang tính, "
        "nhấn Ctrl+End để tới ô cuối, xóa các dòng, cột thừa (chọn, nhấn chuột phải > Xóa) rồi "
        "lưu lại"
    )


def _too_large(height: int, width: int) -> bool:
    return height > MAX_SHEET_ROWS or width > MAX_SHEET_COLUMNS or height * width > MAX_SHEET_CELLS


# --- neither zip nor compound file -----------------------------------------


def _inspect_other(name: str, head: bytes, size: int, suffix: str) -> None:
    if name.startswith("~$") or _looks_like_lock_file(head, size):
        raise readers.UnreadableFileError(_LOCK_FILE)
    if head.startswith(b"%PDF"):
        raise readers.UnreadableFileError(
            f"tệp thực chất là tài liệu PDF được đặt đuôi {suffix}, không đọc được danh sách từ "
            "PDF; hãy xin đơn vị gửi tệp Excel gốc"
        )
    if suffix == ".csv":
        return  # text: the CSV reader decides
    if _looks_like_markup(head):
        raise readers.UnreadableFileError(
            f"tệp thực chất là trang web (HTML) hoặc tệp XML được đặt đuôi {suffix}, thường do "
            "phần mềm khác xuất ra; hãy mở tệp bằng Excel rồi chọn Lưu thành (Save As) dạng Sổ "
            "làm việc Excel (.xlsx)"
        )
    raise readers.UnreadableFileError(_not_a_workbook(suffix))


def _looks_like_lock_file(head: bytes, size: int) -> bool:
    """Excel's owner file: a length byte, then the user name padded with spaces."""
    if size != _LOCK_FILE_BYTES or not 0 < head[0] < _LOCK_NAME_FIELD:
        return False
    name_end = 1 + head[0]
    user, padding = head[1:name_end], head[name_end:_LOCK_NAME_FIELD]
    return min(user) >= 0x20 and padding.strip(b" ") == b""


def _looks_like_markup(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("latin-1")
    return text.lstrip("\ufeff\xef\xbb\xbf \t\r\n").startswith("<")


def _refuse_workbook_named_csv(suffix: str) -> None:
    if suffix == ".csv":
        raise readers.UnreadableFileError(
            "tệp là sổ tính Excel nhưng mang đuôi .csv; hãy đổi đuôi tệp thành .xlsx (hoặc mở "
            "bằng Excel và lưu lại dạng 'CSV UTF-8')"
        )


def _not_a_workbook(suffix: str) -> str:
    return (
        f"tệp không phải là sổ tính {suffix} thật (có thể là tệp khác bị đổi đuôi hoặc tệp đã "
        "hỏng); hãy mở bằng Excel và lưu lại dưới dạng .xlsx"
    )


def _word_document(suffix: str) -> readers.UnreadableFileError:
    return readers.UnreadableFileError(
        f"tệp là văn bản Word (hoặc văn bản khác) được đặt đuôi {suffix}, không phải sổ tính; "
        "hãy chép bảng sang Excel rồi lưu dạng .xlsx"
    )


# --- zip: xlsx, xlsm, ods --------------------------------------------------


def _inspect_zip(handle: BinaryIO, size: int, suffix: str) -> None:
    _check_end_record(handle, size)
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            _check_members(members, size)
            _check_is_workbook(archive, suffix)
            for info in members:
                if info.filename.lower().endswith((".xml", ".rels")):
                    _inspect_xml_member(archive, info)
    except _ZIP_ERRORS as exc:
        raise readers.UnreadableFileError(_CORRUPT) from exc


def _check_end_record(handle: BinaryIO, size: int) -> None:
    """The end-of-central-directory record: present, and announcing a sane directory.

    A download cut short loses it first, since it closes the file.
    """
    tail_start = max(0, size - _ZIP_END_RECORD_SEARCH)
    handle.seek(tail_start)
    tail = handle.read()
    at = tail.rfind(_ZIP_END_RECORD)
    if at < 0 or len(tail) - at < 22:
        raise readers.UnreadableFileError(_CORRUPT)
    # A zip64 archive puts 0xFFFF / 0xFFFFFFFF here; both exceed the limits,
    # rightly: no roster needs more than 65,535 members or a 4 GB directory.
    entries, directory_bytes = struct.unpack_from("<HI", tail, at + 10)
    if entries > MAX_ZIP_MEMBERS or directory_bytes > _MAX_ZIP_DIRECTORY_BYTES:
        raise _too_many_members(entries)


def _too_many_members(count: int) -> readers.UnreadableFileError:
    return readers.UnreadableFileError(
        f"tệp chứa quá nhiều thành phần ({_number(count)}, một sổ tính thường chỉ vài chục), dấu "
        "hiệu tệp hỏng hoặc được tạo để làm treo chương trình; hãy mở bằng Excel, lưu lại thành "
        "tệp mới rồi gửi lại"
    )


def _check_members(members: list[zipfile.ZipInfo], size: int) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise _too_many_members(len(members))
    unpacked = sum(info.file_size for info in members)
    packed = sum(info.compress_size for info in members)
    exploding = any(
        info.file_size > BOMB_MEMBER_BYTES and info.file_size > BOMB_RATIO * info.compress_size
        for info in members
    )
    if unpacked > MAX_UNCOMPRESSED_BYTES or exploding:
        raise readers.UnreadableFileError(
            f"tệp khi giải nén lên tới {_megabytes(unpacked)} (từ {_megabytes(packed)} nén), vượt "
            "xa một danh sách thật: dấu hiệu 'bom nén' làm cạn bộ nhớ. Nếu đúng là danh sách rất "
            "lớn, hãy tách thành nhiều tệp nhỏ hơn; nếu không, hãy xin đơn vị gửi lại tệp lưu "
            "trực tiếp từ Excel"
        )
    for info in members:
        if info.flag_bits & 0x1:  # zip-level encryption (e.g. a password set in 7-Zip)
            raise readers.UnreadableFileError(_PASSWORD_EXCEL)
        # A damaged directory offset makes zipfile compute offsets outside the file.
        if info.header_offset < 0 or info.header_offset + info.compress_size > size:
            raise readers.UnreadableFileError(_CORRUPT)


def _check_is_workbook(archive: zipfile.ZipFile, suffix: str) -> None:
    names = set(archive.namelist())
    if _OOXML_WORKBOOK in names:
        return
    if "content.xml" in names:
        mimetype = _member_prefix(archive, "mimetype", 128) if "mimetype" in names else b""
        if mimetype.startswith(_ODT_MIMETYPE):
            raise _word_document(suffix)
        if mimetype and not mimetype.startswith(_ODS_MIMETYPE):
            raise readers.UnreadableFileError(_not_a_workbook(suffix))
        if _ODS_MANIFEST in names and _ods_encrypted(archive):
            raise readers.UnreadableFileError(_PASSWORD_ODS)
        return
    if "word/document.xml" in names:
        raise _word_document(suffix)
    raise readers.UnreadableFileError(_not_a_workbook(suffix))


def _member_prefix(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with archive.open(name) as stream:
        return stream.read(limit)


def _ods_encrypted(archive: zipfile.ZipFile) -> bool:
    """ODF lists an encryption-data element for each encrypted part in its manifest."""
    overlap = len(_ODS_ENCRYPTION_MARK) - 1
    previous = b""
    with archive.open(_ODS_MANIFEST) as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            if _ODS_ENCRYPTION_MARK in previous[-overlap:] + chunk:
                return True
            previous = chunk
    return False


def _inspect_xml_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    root = _xml_root(archive, info)
    if root is None:
        return
    name, attributes = root
    if name == b"sst":
        _check_shared_strings(attributes)
    elif name in _WORKSHEET_ROOTS:
        _check_worksheet(archive, info)
    elif name == b"document-content":
        _check_ods_tables(archive, info)


# --- XML prologs -----------------------------------------------------------

_START_TAG = re.compile(rb"<([^\s/>]+)([^>]*)>")
_Root = tuple[bytes, bytes]  # local name, attributes


class _Undecided(enum.Enum):
    MORE = enum.auto()  # the prolog read so far does not decide yet


def _xml_root(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Root | None:
    """(local name, attributes) of the member's root element, None if it has none.

    Refuses a DOCTYPE: its ENTITY declarations are how "billion laughs" XML
    expands a few hundred bytes into gigabytes.
    """
    prolog = b""
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(_XML_PROLOG_STEP)
            prolog += chunk
            verdict = _prolog_verdict(prolog, info.filename, final=not chunk)
            if verdict is not _Undecided.MORE:
                return verdict
            if len(prolog) > _XML_PROLOG_LIMIT:
                raise _suspicious_xml(info.filename)


def _prolog_verdict(
    text: bytes, member: str, *, final: bool
) -> _Root | Literal[_Undecided.MORE] | None:
    undecided: Literal[_Undecided.MORE] | None = None if final else _Undecided.MORE
    pos = 0
    while (at := text.find(b"<", pos)) >= 0:
        if text.startswith(b"<?", at):
            end, width = text.find(b"?>", at + 2), 2
        elif text.startswith(b"<!--", at):
            end, width = text.find(b"-->", at + 4), 3
        elif text.startswith(b"<!", at):
            if len(text) - at < len(b"<!--") and not final:
                return _Undecided.MORE  # may still turn out to be a comment
            raise _suspicious_xml(member)
        elif text.startswith(b"</", at):
            raise _suspicious_xml(member)  # an end tag before any start: hides the root
        else:
            tag = _START_TAG.match(text, at)
            if tag is None:
                return undecided
            return tag.group(1).rpartition(b":")[2], tag.group(2)
        if end < 0:
            return undecided
        pos = end + width
    return undecided


def _suspicious_xml(member: str) -> readers.UnreadableFileError:
    return readers.UnreadableFileError(
        f"phần '{member}' của tệp có khai báo DOCTYPE/ENTITY hoặc phần mở đầu XML bất thường, "
        "điều Excel và LibreOffice không bao giờ tạo ra (dấu hiệu tệp độc hại kiểu 'billion "
        "laughs'); hãy xin đơn vị gửi lại tệp lưu trực tiếp từ Excel"
    )


_UNIQUE_COUNT = re.compile(rb"""(?:^|\s)uniqueCount\s*=\s*["']\s*([0-9]+)""")


def _check_shared_strings(attributes: bytes) -> None:
    declared = _UNIQUE_COUNT.search(attributes)
    if declared and int(declared.group(1)) > MAX_SHARED_STRINGS:
        raise readers.UnreadableFileError(
            f"bảng chuỗi của tệp khai báo {_number(int(declared.group(1)))} chuỗi khác nhau, "
            "nhiều hơn bất kỳ danh sách nào (dấu hiệu tệp hỏng hoặc độc hại, sẽ làm cạn bộ nhớ); "
            "hãy mở bằng Excel, lưu lại thành tệp mới rồi gửi lại"
        )


def _complete_chunks(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo
) -> Iterator[bytes | bytearray | memoryview]:
    """The member in pieces, each ending where no tag is cut in two.

    A tag cut by the end of an inflated chunk is finished as a small piece of
    its own; the rest of each chunk is passed on as a view, not copied, and
    is valid only until the next piece is asked for (_member_chunks).
    """
    pending: bytes | bytearray = b""  # the start of a tag that the previous chunk cut
    for chunk in _member_chunks(archive, info):
        start = 0
        if pending:
            close = chunk.find(b">")
            if close < 0:
                pending += chunk
                if len(pending) > _MAX_TAG_BYTES:
                    raise _suspicious_xml(info.filename)
                continue
            start = close + 1
            yield pending + chunk[:start]
        cut = chunk.rfind(b"<", start)
        if cut < 0 or chunk.find(b">", cut) >= 0:
            cut = len(chunk)
        pending = chunk[cut:]
        if len(pending) > _MAX_TAG_BYTES:
            raise _suspicious_xml(info.filename)
        yield memoryview(chunk)[start:cut]
    if pending:
        yield pending


def _member_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes | bytearray]:
    """The member's bytes, at most _CHUNK_BYTES at a time.

    Inflating is half the cost of scanning a large sheet, so a deflated
    member (every part Excel and LibreOffice write) is inflated with ISA-L,
    about twice as fast as zlib, straight from the archive's file, into one
    buffer that each chunk reuses: a chunk is valid only until the next is
    asked for. The member must inflate to exactly the size the directory
    declares, which the bomb checks relied on.
    """
    if info.compress_type != zipfile.ZIP_DEFLATED or archive.fp is None:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK_BYTES):
                yield chunk
        return
    source = archive.fp
    source.seek(info.header_offset)
    magic, name_bytes, extra_bytes = _LOCAL_HEADER.unpack(source.read(_LOCAL_HEADER.size))
    if magic != _LOCAL_HEADER_MAGIC:
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    source.seek(info.header_offset + _LOCAL_HEADER.size + name_bytes + extra_bytes)
    inflater = isal_zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as zip stores it
    buffer = bytearray(_CHUNK_BYTES)
    filling = memoryview(buffer)
    unread, unpacked, filled, data = info.compress_size, 0, 0, b""
    while not inflater.eof:
        if not data and unread:
            data = source.read(min(unread, _INFLATE_INPUT_BYTES))
            unread -= len(data)
        # ISA-L may hold inflated bytes beyond the requested length after
        # taking all the input: they come out of further calls without any.
        piece = inflater.decompress(data, min(_INFLATE_OUTPUT_BYTES, _CHUNK_BYTES - filled))
        data = inflater.unconsumed_tail
        if not (piece or data or unread or inflater.eof):
            raise EOFError(f"{info.filename} ends before its deflate stream")
        unpacked += len(piece)
        if unpacked > info.file_size:
            raise zipfile.BadZipFile(f"{info.filename} unpacks beyond its declared size")
        filling[filled : filled + len(piece)] = piece
        filled += len(piece)
        if filled == _CHUNK_BYTES:
            yield buffer
            filled = 0
    if filled:
        yield buffer[:filled]
    if unpacked != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename} unpacks short of its declared size")


# --- worksheet extents -----------------------------------------------------
#
# calamine places each cell at its r="B7" reference, or, without one, right
# after the previous cell (the row after the previous row); empty cells
# (<c r="Z9" s="1"/>) take no place. Every writer we know writes <c r="..."
# first, so a quick pass bounds the extent from those references alone; only
# a sheet whose bound is too large, or with cells it cannot place, gets the
# exact (much slower) pass.
#
# The quick pass reads a sheet of millions of cells with numpy, a few array
# operations per chunk and none per cell: a 200,000-row sheet is 150 MB of
# XML, and even a regular expression's findall over it costs more than the
# rest of the check.

_SHEET_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*)>")
_REF_ATTRIBUTE = re.compile(rb"""(?:^|\s)r\s*=\s*["']\s*([A-Za-z]*)([0-9]+)""")

# What may follow a tag's name: \s of a bytes regex, "/" or ">".
_AFTER_NAME = np.zeros(256, dtype=bool)
_AFTER_NAME[list(b" \t\n\r\f\v/>")] = True
_REF_OPENING = b' r="'
_MAX_COLUMN_LETTERS = 3  # XFD
_MAX_ROW_DIGITS = 7  # 1048576


class _Symbols(NamedTuple):
    """Bytes b with 0 <= (b & mask) - first < radix, worth lowest and up."""

    mask: int
    first: int
    radix: int
    lowest: int


# "& 0xDF" upper-cases a letter: A = 1, Z = 26, AA = 27 (bijective base 26).
_LETTERS = _Symbols(mask=0xDF, first=ord("A"), radix=26, lowest=1)
_DIGITS = _Symbols(mask=0xFF, first=ord("0"), radix=10, lowest=0)


def _check_worksheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    bound = _worksheet_bound(archive, info)
    if bound is None or _too_large(*bound):
        sheet_size_guard(*_worksheet_extent(archive, info))


def _worksheet_bound(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int] | None:
    """(rows, columns) from A1 covering every cell, or None if some cell has no r first."""
    last_row = last_column = 0
    for chunk in _complete_chunks(archive, info):
        bound = _chunk_bound(chunk)
        if bound is None:
            return None
        last_row, last_column = max(last_row, bound[0]), max(last_column, bound[1])
    return last_row, last_column


def _chunk_bound(chunk: bytes | bytearray | memoryview) -> tuple[int, int] | None:
    """_worksheet_bound of the cells whose tags lie in the chunk.

    Reads past the chunk's end (runs are read as far as the longest one)
    give its last byte, which ends its last tag: no letter, digit or quote.
    """
    text = np.frombuffer(chunk, dtype=np.uint8)
    # A prefixed tag (<x:c>) is a cell to calamine too; the exact pass reads it.
    prefixed = _pair_positions(chunk, b":c")
    if _AFTER_NAME[_bytes_at(text, prefixed + 2)].any():
        return None
    cells = _pair_positions(chunk, b"<c")
    cells = cells[_AFTER_NAME[_bytes_at(text, cells + 2)]]  # not <col>, <cfRule>...
    if not cells.size:
        return 0, 0
    for offset, byte in enumerate(_REF_OPENING, start=2):
        if not (_bytes_at(text, cells + offset) == byte).all():
            return None
    references = cells + 2 + len(_REF_OPENING)
    letters = _symbol_run(text, references, _LETTERS, _MAX_COLUMN_LETTERS)
    if letters is None:
        return None
    columns, column_letters = letters
    digits = _symbol_run(text, references + column_letters, _DIGITS, _MAX_ROW_DIGITS)
    if digits is None:
        return None
    rows, row_digits = digits
    if not (_bytes_at(text, references + column_letters + row_digits) == ord('"')).all():
        return None
    return int(rows.max()), int(columns.max())


def _bytes_at(
    text: npt.NDArray[np.uint8], positions: npt.NDArray[np.intp]
) -> npt.NDArray[np.uint8]:
    return text.take(positions, mode="clip")


def _pair_positions(chunk: bytes | bytearray | memoryview, pair: bytes) -> npt.NDArray[np.intp]:
    """Where the two bytes of `pair` occur in the chunk (in no particular order).

    Compares two bytes at a time, at even and then odd offsets: two passes
    over the chunk in C, and no array as large as the chunk.
    """
    if len(chunk) < 2:
        return np.empty(0, dtype=np.intp)
    key = int.from_bytes(pair, "little")
    even = np.frombuffer(chunk, dtype="<u2", count=len(chunk) // 2)
    odd = np.frombuffer(chunk, dtype="<u2", offset=1, count=(len(chunk) - 1) // 2)
    return np.concatenate((np.flatnonzero(even == key) * 2, np.flatnonzero(odd == key) * 2 + 1))


def _symbol_run(
    text: npt.NDArray[np.uint8], starts: npt.NDArray[np.intp], symbols: _Symbols, longest: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]] | None:
    """The number spelled at each start position, and its length in symbols.

    None when some run is empty or longer than `longest`: not a reference the
    quick pass reads.
    """
    value = np.zeros(len(starts), dtype=np.int64)
    length = np.zeros(len(starts), dtype=np.intp)
    going = np.ones(len(starts), dtype=bool)
    for position in range(longest + 1):
        # uint8 arithmetic: a byte below `first` wraps around to a large value.
        symbol = (_bytes_at(text, starts + position) & symbols.mask) - symbols.first
        going &= symbol < symbols.radix
        if position == 0 and not going.all():
            return None
        if not going.any():
            return value, length
        if position == longest:
            return None
        value = np.where(going, value * symbols.radix + symbol + symbols.lowest, value)
        length += going
    return value, length


def _worksheet_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """(rows, columns) from A1 to the last cell calamine will place."""
    row = column = 0  # 1-based position of the current row and the last cell
    last_row = last_column = 0
    for chunk in _complete_chunks(archive, info):
        for name, attributes in _SHEET_TAG.findall(chunk):
            ref = _REF_ATTRIBUTE.search(attributes)
            if name == b"row":
                row = int(ref.group(2)) if ref else row + 1
                column = 0
                continue
            if ref and ref.group(1):
                column, cell_row = _column_number(ref.group(1)), int(ref.group(2))
            else:
                column, cell_row = column + 1, row
            if not attributes.endswith(b"/"):
                last_row = max(last_row, cell_row)
                last_column = max(last_column, column)
    return last_row, last_column


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


# calamine reads only "table:"-prefixed ODS elements, and materializes every
# repetition of a cell that holds a value.
_ODS_TAG = re.compile(rb"<table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*)>")
_ODS_REPEAT = re.compile(rb"""number-(?:rows|columns)-repeated\s*=\s*["']\s*([0-9]+)""")
_ODS_NAME = re.compile(rb"""(?:^|\s)table:name\s*=\s*"([^"]*)\"""")


def _check_ods_tables(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """The extent of each sheet (table) in content.xml, repetitions included."""
    sheet = ""
    rows = column = last_row = last_column = 0  # rows: through the current row block
    for chunk in _complete_chunks(archive, info):
        for name, attributes in _ODS_TAG.findall(chunk):
            repeat = _ODS_REPEAT.search(attributes)
            count = int(repeat.group(1)) if repeat else 1
            if name == b"table":
                sheet_size_guard(last_row, last_column, sheet=sheet)
                named = _ODS_NAME.search(attributes)
                sheet = named.group(1).decode("utf-8", errors="replace") if named else ""
                rows = column = last_row = last_column = 0
            elif name == b"table-row":
                rows, column = rows + count, 0
            else:
                column += count
                if b"value-type" in attributes or not attributes.endswith(b"/"):
                    last_row, last_column = max(last_row, rows), max(last_column, column)
    sheet_size_guard(last_row, last_column, sheet=sheet)


# --- OLE2 compound files: xls, encrypted xlsx, doc ---------------------------

_END_OF_CHAIN = 0xFFFFFFFE
_MAX_REGULAR_SECTOR = 0xFFFFFFFA
_NO_ENTRY = 0xFFFFFFFF
_DIRECTORY_ENTRY_BYTES = 128
# Real files have one or two directory sectors; thousands mean a loop or a lie.
_MAX_DIRECTORY_SECTORS = 4096
# BIFF records. A sheet is the records from a BOF to its EOF; FILEPASS, in the
# workbook's first substream, means everything after it is encrypted.
_BIFF_RECORD = struct.Struct("<HH")  # type, body length
_BIFF_CELL = struct.Struct("<HH")  # row, column: 0-based
_BIFF_COLUMN = struct.Struct("<H")
_BIFF_BOFS = frozenset((0x0809, 0x0409, 0x0209, 0x0009))
_BIFF_EOF, _BIFF_FILEPASS = 0x000A, 0x002F
# Records whose body starts with the cell's row and column (FORMULA, NUMBER,
# LABEL, LABELSST, RK, BOOLERR, RSTRING): calamine places each of them, at
# whatever position it claims, up to 65535 x 65535. It skips BLANK/MULBLANK.
_BIFF_CELLS = frozenset((0x0006, 0x0203, 0x0204, 0x00FD, 0x027E, 0x0205, 0x00D6))
_BIFF_MULRK = 0x00BD  # row, first column, 6 bytes a cell, last column


class _BrokenCompound(Exception):
    """The compound file's own structure is inconsistent."""


def _inspect_compound(handle: BinaryIO, size: int, suffix: str) -> None:
    try:
        compound = _Compound(handle, size)
        streams = compound.root_streams()
        if "encryptioninfo" in streams or "encryptedpackage" in streams:
            raise readers.UnreadableFileError(_PASSWORD_EXCEL)  # an Excel-encrypted xlsx
        if "worddocument" in streams:
            raise _word_document(suffix)
        book = streams.get("workbook") or streams.get("book")  # BIFF8, BIFF5
        if book is None:
            raise readers.UnreadableFileError(_not_a_workbook(suffix))
        _check_biff(compound.stream_chunks(*book))
    except _BrokenCompound as exc:
        raise readers.UnreadableFileError(_CORRUPT) from exc


def _check_biff(chunks: Iterator[bytes]) -> None:
    """Refuse an encrypted workbook, and each sheet whose cells reach too far."""
    rows = columns = 0  # extent of the current sheet from A1
    pending = b""
    for chunk in chunks:
        data = pending + chunk
        size, offset = len(data), 0
        # Runs once per record of the largest .xls rosters: no calls but struct's.
        while offset + 4 <= size:
            kind, length = _BIFF_RECORD.unpack_from(data, offset)
            end = offset + 4 + length
            if end > size:
                break  # the record continues in the next sector
            if kind in _BIFF_CELLS and length >= 4:
                row, column = _BIFF_CELL.unpack_from(data, offset + 4)
                if row >= rows:
                    rows = row + 1
                if column >= columns:
                    columns = column + 1
            elif kind == _BIFF_MULRK and length >= 6:
                row, first = _BIFF_CELL.unpack_from(data, offset + 4)
                cells = (length - 6) // 6
                last = max(_BIFF_COLUMN.unpack_from(data, end - 2)[0], first + cells - 1)
                rows, columns = max(rows, row + 1), max(columns, last + 1)
            elif kind in _BIFF_BOFS or kind == _BIFF_EOF:
                sheet_size_guard(rows, columns)
                rows = columns = 0
            elif kind == _BIFF_FILEPASS:
                raise readers.UnreadableFileError(_PASSWORD_EXCEL)
            offset = end
        pending = data[offset:]
    sheet_size_guard(rows, columns)


class _Compound:
    """Just enough of [MS-CFB] to list the root's streams and read one of them.

    Reads sectors on demand through the allocation table, so a large or
    hostile file costs a few sectors of memory; every chain is bounded by the
    number of sectors in the file, so a loop in it cannot spin forever.
    """

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self._handle = handle
        header = self._read(0, 512)
        # Version, byte order, sector and mini-sector sizes: the spec allows two layouts.
        layout = struct.unpack_from("<4H", header, 26)
        if layout not in ((3, 0xFFFE, 9, 6), (4, 0xFFFE, 12, 6)):
            raise _BrokenCompound("unsupported header")
        sector_shift, mini_shift = layout[2], layout[3]
        self._sector_bytes = 1 << sector_shift
        self._mini_bytes = 1 << mini_shift
        self._sector_count = (size - 1) // self._sector_bytes  # sectors after the header
        (
            self._fat_sectors,
            self._directory_start,
            _transaction,
            self._mini_cutoff,
            self._mini_fat_start,
            _mini_fat_sectors,
            self._difat_start,
            self._difat_sectors,
        ) = struct.unpack_from("<8I", header, 44)
        self._header_difat = struct.unpack_from("<109I", header, 76)
        self._mini_stream_start = _END_OF_CHAIN
        self._table_index, self._table = -1, b""

    def root_streams(self) -> dict[str, tuple[int, int]]:
        """Case-folded name -> (first sector, size) of the root storage's children."""
        sectors = islice(self._chain(self._directory_start), _MAX_DIRECTORY_SECTORS + 1)
        directory = b"".join(self._sector(sector) for sector in sectors)
        if len(directory) > _MAX_DIRECTORY_SECTORS * self._sector_bytes or not directory:
            raise _BrokenCompound("directory")
        count = len(directory) // _DIRECTORY_ENTRY_BYTES
        # Entry 0 is the root: its child starts the tree of its streams, and
        # its own sectors hold the mini stream.
        root_child = struct.unpack_from("<I", directory, 76)[0]
        self._mini_stream_start = struct.unpack_from("<I", directory, 116)[0]
        streams: dict[str, tuple[int, int]] = {}
        pending, seen = [root_child], set()
        while pending:
            index = pending.pop()
            if index == _NO_ENTRY or index in seen:
                continue
            if index >= count:
                raise _BrokenCompound("directory entry")
            seen.add(index)
            entry = directory[index * _DIRECTORY_ENTRY_BYTES : (index + 1) * _DIRECTORY_ENTRY_BYTES]
            name_bytes = struct.unpack_from("<H", entry, 64)[0]
            name = entry[: max(0, min(name_bytes, 64) - 2)].decode("utf-16-le", errors="replace")
            left, right = struct.unpack_from("<II", entry, 68)
            start, stream_size = struct.unpack_from("<II", entry, 116)
            streams[name.casefold()] = (start, stream_size)
            pending += [left, right]
        return streams

    def stream_chunks(self, start: int, size: int) -> Iterator[bytes]:
        """A stream's bytes, a sector at a time."""
        if size < self._mini_cutoff:
            yield self._mini_stream(start, size)
            return
        for sector in self._chain(start):
            if size <= 0:
                break
            data = self._sector(sector)[:size]
            size -= len(data)
            yield data

    def _mini_stream(self, start: int, wanted: int) -> bytes:
        """Small streams live in 64-byte sectors inside the root's mini stream."""
        data = bytearray()
        per_sector = self._sector_bytes // self._mini_bytes
        mini_sectors = self._sector_count * per_sector
        for mini in self._chain(start, self._next_mini_sector, mini_sectors):
            if len(data) >= wanted:
                break
            container, index = divmod(mini, per_sector)
            sector = self._nth(self._mini_stream_start, container)
            offset = index * self._mini_bytes
            data += self._sector(sector)[offset : offset + self._mini_bytes]
        return bytes(data[:wanted])

    def _chain(
        self, start: int, follow: Callable[[int], int] | None = None, limit: int | None = None
    ) -> Iterator[int]:
        """The sectors of a chain; longer than the file has sectors means it loops."""
        follow = follow or self._next_sector
        limit = self._sector_count if limit is None else limit
        sector, steps = start, 0
        while sector != _END_OF_CHAIN:
            steps += 1
            if steps > limit:
                raise _BrokenCompound("chain loops")
            yield sector
            sector = follow(sector)

    def _nth(self, start: int, n: int) -> int:
        if n < self._sector_count:
            for sector in islice(self._chain(start), n, None):
                return sector
        raise _BrokenCompound("chain too short")

    def _next_sector(self, sector: int) -> int:
        per_sector = self._sector_bytes // 4
        table_index, offset = divmod(sector, per_sector)
        # A stream's sectors mostly follow each other: keep the table sector.
        if table_index != self._table_index:
            self._table = self._sector(self._fat_sector(table_index))
            self._table_index = table_index
        return int(struct.unpack_from("<I", self._table, offset * 4)[0])

    def _next_mini_sector(self, mini: int) -> int:
        per_sector = self._sector_bytes // 4
        table_index, offset = divmod(mini, per_sector)
        table = self._sector(self._nth(self._mini_fat_start, table_index))
        return int(struct.unpack_from("<I", table, offset * 4)[0])

    def _fat_sector(self, index: int) -> int:
        """Where the index-th sector of the allocation table is (the DIFAT)."""
        if index >= self._fat_sectors:
            raise _BrokenCompound("allocation table too short")
        if index < len(self._header_difat):
            return int(self._header_difat[index])
        per_sector = self._sector_bytes // 4 - 1  # the last slot links to the next one
        hops, slot = divmod(index - len(self._header_difat), per_sector)
        if hops >= self._difat_sectors:
            raise _BrokenCompound("DIFAT too short")
        sector = self._difat_start
        for _ in range(hops):
            sector = struct.unpack_from("<I", self._sector(sector), per_sector * 4)[0]
        return int(struct.unpack_from("<I", self._sector(sector), slot * 4)[0])

    def _sector(self, sector: int) -> bytes:
        if sector > _MAX_REGULAR_SECTOR or sector >= self._sector_count:
            raise _BrokenCompound("sector outside the file")
        return self._read((sector + 1) * self._sector_bytes, self._sector_bytes)

    def _read(self, offset: int, length: int) -> bytes:
        self._handle.seek(offset)
        data = self._handle.read(length)
        if len(data) != length:
            raise _BrokenCompound("file ends early")
        return data


# --- wording ---------------------------------------------------------------


def _number(value: int) -> str:
    """Vietnamese digit grouping: 1.048.576."""
    return f"{value:,}".replace(",", ".")


def _megabytes(size: int) -> str:
    return f"{_number(round(size / _MiB))} MB"


def _cell_name(row: int, column: int) -> str:
    """Excel's name of a 0-based cell position, "XFD1048576"."""
    letters = ""
    number = column + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"{letters}{row + 1}"
