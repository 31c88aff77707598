"""safety: broken and hostile files are refused, cheaply, before a reader opens them."""

from __future__ import annotations

import contextlib
import datetime
import random
import shutil
import struct
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from pipeline.readers import UnreadableFileError
from pipeline.safety import (
    MAX_SHEET_CELLS,
    MAX_SHEET_COLUMNS,
    MAX_SHEET_ROWS,
    inspect_file,
    sheet_size_guard,
)
from pipeline.synthetic import generate_rosters
from tests import hostile_builders as hostile
from tests.workbook_builders import write_csv, write_docx_as_xlsx, write_random_bytes, write_xlsx

DATA = Path(__file__).parent / "data"
PROJECT = Path(__file__).parent.parent
# Refusing a hostile file must cost about what reading a small roster does.
RSS_GROWTH_LIMIT_MB = 50


def _sample(name: str) -> Callable[[Path], Path]:
    def copy(path: Path) -> Path:
        return Path(shutil.copyfile(DATA / name, path))

    return copy


def _cut_in_half(name: str) -> Callable[[Path], Path]:
    def cut(path: Path) -> Path:
        data = (DATA / name).read_bytes()
        path.write_bytes(data[: len(data) // 2])
        return path

    return cut


def _inspect(path: Path, refused: bool, message: str) -> None:
    """inspect_file refuses the file with `message` in its text, or lets it pass."""
    if refused:
        with pytest.raises(UnreadableFileError, match=message):
            inspect_file(path)
    else:
        inspect_file(path)


def _xlsx_named_csv(path: Path) -> Path:
    return write_xlsx(path, {"DS": [["STT", "Họ và tên"], [1, "Nguyễn Văn An"]]})


# case -> (builder, file name, a phrase only that case's message has)
HOSTILE: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "zip bomb": (hostile.write_zip_bomb_xlsx, "bom.xlsx", "bom nén"),
    "billion laughs": (hostile.write_billion_laughs_xlsx, "laughs.xlsx", "DOCTYPE/ENTITY"),
    "4 billion shared strings": (hostile.write_huge_shared_strings_xlsx, "sst.xlsx", "bảng chuỗi"),
    "values at A1 and XFD1048576": (hostile.write_far_cell_xlsx, "xa.xlsx", "ô XFD1048576"),
    "ods repeated value": (hostile.write_ods_repeat_bomb, "lap.ods", "trang tính 'DS'"),
    "xls cell at column 65536": (
        lambda path: hostile.write_xls(
            path, hostile.biff_number(0, 0, 1) + hostile.biff_number(0, 65_535, 2)
        ),
        "rong.xls",
        "ô CRXP1 ",
    ),
    "too many members": (
        lambda path: hostile.write_many_members_xlsx(path, 10_001),
        "nhieu.xlsx",
        "quá nhiều thành phần",
    ),
    "truncated xlsx": (hostile.write_truncated_xlsx, "dang_tai.xlsx", "chưa tải về hết"),
    "truncated xls": (_cut_in_half("roster_sample.xls"), "dang_tai.xls", "chưa tải về hết"),
    "encrypted xlsx": (_sample("encrypted.xlsx"), "mat_khau.xlsx", "Protect Workbook"),
    "encrypted xls": (_sample("encrypted.xls"), "mat_khau.xls", "Protect Workbook"),
    "encrypted ods": (_sample("encrypted.ods"), "mat_khau.ods", "Lưu với mật khẩu"),
    "docx named xlsx": (write_docx_as_xlsx, "van_ban.xlsx", "văn bản Word"),
    "doc named xls": (hostile.write_doc_as_xls, "van_ban.xls", "văn bản Word"),
    "pdf named xls": (hostile.write_pdf, "bao_cao.xls", "tài liệu PDF"),
    "html saved as xls": (hostile.write_html_table, "xuat_web.xls", "trang web (HTML)"),
    "excel lock file": (hostile.write_lock_file, "~$DS.xlsx", "tệp khóa"),
    "renamed lock file": (hostile.write_lock_file, "ban_sao.xlsx", "tệp khóa"),
    "empty file": (hostile.write_empty, "trong.xlsx", "tệp trống (0 byte)"),
    "random bytes": (write_random_bytes, "hong.xlsx", "không phải là sổ tính .xlsx thật"),
    "xlsx named csv": (_xlsx_named_csv, "danh_sach.csv", "mang đuôi .csv"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_file_is_refused_with_a_clear_message(case: str, tmp_path: Path) -> None:
    build, name, phrase = HOSTILE[case]
    path = build(tmp_path / name)
    with pytest.raises(UnreadableFileError) as refused:
        inspect_file(path)
    assert phrase in str(refused.value)


def test_damaged_files_give_only_unreadable_file_errors(tmp_path: Path) -> None:
    """Bytes overwritten or cut anywhere: a refusal or a pass, never another exception."""
    rng = random.Random(2018)
    sources = [
        DATA / "roster_sample.xls",
        DATA / "roster_sample.ods",
        DATA / "encrypted.xls",
        write_xlsx(tmp_path / "ds.xlsx", {"DS": [["STT", "Họ và tên"], [1, "Nguyễn Văn An"]]}),
    ]
    for attempt in range(400):
        source = rng.choice(sources)
        data = bytearray(source.read_bytes())
        if attempt % 4 == 0:
            del data[rng.randrange(1, len(data)) :]
        else:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        damaged = tmp_path / f"hong{source.suffix}"
        damaged.write_bytes(data)
        with contextlib.suppress(UnreadableFileError):
            inspect_file(damaged)


def test_refusing_hostile_files_keeps_memory_bounded(tmp_path: Path) -> None:
    """Peak RSS, measured in a fresh process so earlier tests cannot mask it.

    Reading the zip bomb alone takes calamine 3 GB, and the far cells make
    it ask for 137 to 550 GB.
    """
    paths = [build(tmp_path / name) for build, name, _ in HOSTILE.values()]
    probe = textwrap.dedent(
        """
        import resource, sys
        from pathlib import Path
        from pipeline.readers import UnreadableFileError
        from pipeline.safety import inspect_file

        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for name in sys.argv[1:]:
            try:
                inspect_file(Path(name))
            except UnreadableFileError:
                pass
            else:
                sys.exit(f"accepted {name}")
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        """
    )
    probe_run = subprocess.run(
        [sys.executable, "-c", probe, *map(str, paths)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    growth_mb = int(probe_run.stdout) / 1024  # ru_maxrss is in KiB on Linux
    assert growth_mb < RSS_GROWTH_LIMIT_MB


# --- files a reader must get -------------------------------------------------

SAMPLE_MEMBERS = [
    ("Nguyễn Thị Hoa", datetime.date(1985, 3, 14)),
    ("Trần Thị Ánh Tuyết", datetime.date(1992, 11, 2)),
    ("Lê Thị Mỹ Dung", datetime.date(1978, 7, 30)),
]


@pytest.mark.parametrize("name", ["roster_sample.xls", "roster_sample.ods"])
def test_libreoffice_samples_pass_and_read_back(name: str) -> None:
    path = DATA / name
    inspect_file(path)
    with CalamineWorkbook.from_path(str(path)) as workbook:
        assert workbook.sheet_names == ["Danh sách"]
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    assert rows[2] == ["STT", "Họ và tên", "Ngày sinh", "Địa chỉ", "Nòng cốt"]
    assert [(row[1], row[2]) for row in rows[3:6]] == SAMPLE_MEMBERS
    assert rows[7][3] == "Người lập biểu"


def test_generated_rosters_pass(tmp_path: Path) -> None:
    generate_rosters(tmp_path)
    rosters = sorted(tmp_path.glob("*.xlsx"))
    assert len(rosters) == 5
    for path in rosters:
        inspect_file(path)


@pytest.fixture(scope="module")
def large_roster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200,000 members, written the way big exports are (streamed, inline strings)."""
    path = tmp_path_factory.mktemp("large") / "hoi_vien.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("DS")
    date = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, ["STT", "Họ và tên", "Ngày sinh", "Địa chỉ", "Nòng cốt"])
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thị Dung"]
    for row in range(1, 200_001):
        sheet.write_number(row, 0, row)
        sheet.write_string(row, 1, names[row % 4])
        sheet.write_number(row, 2, 25_000 + row % 15_000, date)
        sheet.write_string(row, 3, "Ấp Phước Lợi, xã Bình Minh")
        sheet.write_string(row, 4, "x")
    workbook.close()
    return path


def test_200000_row_roster_passes(large_roster: Path) -> None:
    with zipfile.ZipFile(large_roster) as archive:
        unpacked = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    assert 30 << 20 < unpacked < 90 << 20  # the size of the rosters we must read
    inspect_file(large_roster)  # no refusal: a large but honest roster is read


def test_csv_passes(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ds.csv", [["STT", "Họ và tên"], ["1", "Nguyễn Văn An"]], "utf-8")
    inspect_file(path)


# --- sheet extents -----------------------------------------------------------


@pytest.mark.parametrize(
    ("height", "width", "refused"),
    [
        (0, 0, False),
        (MAX_SHEET_ROWS, MAX_SHEET_CELLS // MAX_SHEET_ROWS, False),
        (MAX_SHEET_ROWS + 1, 1, True),
        (10, MAX_SHEET_COLUMNS, False),
        (10, MAX_SHEET_COLUMNS + 1, True),
        (MAX_SHEET_CELLS // MAX_SHEET_COLUMNS, MAX_SHEET_COLUMNS, False),
        (MAX_SHEET_CELLS // MAX_SHEET_COLUMNS + 1, MAX_SHEET_COLUMNS, True),
    ],
)
def test_sheet_size_guard_limits(height: int, width: int, refused: bool) -> None:
    if refused:
        with pytest.raises(UnreadableFileError):
            sheet_size_guard(height, width)
    else:
        sheet_size_guard(height, width)


def test_sheet_size_guard_names_the_sheet_and_its_last_cell() -> None:
    with pytest.raises(UnreadableFileError) as refused:
        sheet_size_guard(200_001, 16_384, sheet="Chi hội 3")
    message = str(refused.value)
    assert "trang tính 'Chi hội 3'" in message
    assert "ô XFD200001 (200.001 dòng × 16.384 cột)" in message
    assert "Ctrl+End" in message


def test_empty_styled_cells_far_away_pass(tmp_path: Path) -> None:
    """calamine skips cells with no value, so they cost nothing and must not refuse."""
    far_style = b'<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    path = hostile.write_minimal_xlsx(tmp_path / "ke_khung.xlsx", hostile.NAME_CELL + far_style)
    inspect_file(path)
    with CalamineWorkbook.from_path(str(path)) as workbook:
        assert workbook.get_sheet_by_index(0).end == (0, 0)


@pytest.mark.parametrize(("cells", "refused"), [(5, False), (MAX_SHEET_COLUMNS + 1, True)])
def test_cells_without_references_are_placed_one_after_another(
    tmp_path: Path, cells: int, refused: bool
) -> None:
    row = b"<row>" + b"<c><v>1</v></c>" * cells + b"</row>"
    path = hostile.write_minimal_xlsx(tmp_path / "khong_tham_chieu.xlsx", row)
    if refused:
        with pytest.raises(UnreadableFileError, match="ALM1 "):
            inspect_file(path)
    else:
        inspect_file(path)
        with CalamineWorkbook.from_path(str(path)) as workbook:
            assert workbook.get_sheet_by_index(0).end == (0, cells - 1)


def test_prefixed_cell_tags_are_placed_too(tmp_path: Path) -> None:
    row = (
        b'<row r="1"><x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'r="XFD1"><x:v>1</x:v></x:c></row>'
    )
    path = hostile.write_minimal_xlsx(tmp_path / "tien_to.xlsx", hostile.NAME_CELL + row)
    with pytest.raises(UnreadableFileError, match="XFD1 "):
        inspect_file(path)


# A value just inside and just outside each limit of a sheet's extent.
EXTENT_EDGES = [
    ("ZZ14245", False),  # 702 columns x 14,245 rows: just under MAX_SHEET_CELLS
    ("ZZ14246", True),
    ("ALL10000", False),  # MAX_SHEET_COLUMNS columns
    ("ALM1", True),
    ("A1048576", False),  # MAX_SHEET_ROWS rows
    ("A1048577", True),
]
# How writers may lay out a cell's start tag; only the first is the quick pass's.
CELL_TAGS = ['<c r="{}">', '<c r="{}" t="n">', '<c s="1" r="{}">', "<c  r='{}'>", '<c\nr="{}" >']


@pytest.mark.parametrize("tag", CELL_TAGS)
@pytest.mark.parametrize(("cell", "refused"), EXTENT_EDGES)
def test_sheet_extent_limits_whatever_the_cell_tag(
    tmp_path: Path, tag: str, cell: str, refused: bool
) -> None:
    value = (tag.format(cell) + "<v>1</v></c>").encode()
    path = hostile.write_minimal_xlsx(tmp_path / "bien.xlsx", hostile.NAME_CELL + value)
    _inspect(path, refused, f"ô {cell} ")


@pytest.mark.parametrize(
    ("cell", "refused"),
    [("zz14246", True), ("zz14245", False), ("A0000001", False), ("A000001048577", True)],
)
def test_lowercase_and_zero_padded_references_are_read_as_numbers(
    tmp_path: Path, cell: str, refused: bool
) -> None:
    value = f'<c r="{cell}"><v>1</v></c>'.encode()
    path = hostile.write_minimal_xlsx(tmp_path / "tham_chieu.xlsx", hostile.NAME_CELL + value)
    _inspect(path, refused, "quá lớn")


def test_far_cell_after_megabytes_of_ordinary_rows_is_found(tmp_path: Path) -> None:
    """The sheet is read in chunks; a stray cell deep in it counts as much as one at the top."""
    rows = b"".join(
        b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="n"><v>2</v></c></row>'
        % (row, row, row, row)
        for row in range(2, 50_000)
    )
    assert len(rows) > 3 << 20
    stray = b'<row r="50000"><c r="XFD50000"><v>1</v></c></row>'
    path = hostile.write_minimal_xlsx(tmp_path / "xa_duoi.xlsx", hostile.NAME_CELL + rows + stray)
    with pytest.raises(UnreadableFileError, match="XFD50000 "):
        inspect_file(path)


def test_sheet_inflating_to_many_chunks_from_little_input_passes(tmp_path: Path) -> None:
    """A sheet compressing 50 times: its last bytes read still inflate to megabytes."""
    address = "Số 12, Tổ 3, Ấp Phước Lợi, Xã Phước Thiền, Huyện Nhơn Trạch, Tỉnh Đồng Nai " * 4
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>'
        % (row, row, address.encode())
        for row in range(2, 20_000)
    )
    path = hostile.write_minimal_xlsx(tmp_path / "lap_lai.xlsx", hostile.NAME_CELL + rows)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 4 << 20 and info.compress_size * 50 < info.file_size
    inspect_file(path)


@pytest.mark.parametrize("declared_change", [-1, 100])
def test_sheet_unpacking_to_another_size_than_declared_is_refused(
    tmp_path: Path, declared_change: int
) -> None:
    """The bomb checks trust the declared sizes: a sheet must unpack to exactly that."""
    path = hostile.write_misdeclared_size_xlsx(tmp_path / "sai_co.xlsx", declared_change)
    with pytest.raises(UnreadableFileError, match="hỏng"):
        inspect_file(path)


def test_ods_trailing_empty_repeats_pass(tmp_path: Path) -> None:
    """LibreOffice pads every sheet with empty rows repeated to the last row."""
    rows = (
        '<table:table-row><table:table-cell office:value-type="string"><text:p>An</text:p>'
        '</table:table-cell><table:table-cell table:number-columns-repeated="16383"/>'
        '</table:table-row><table:table-row table:number-rows-repeated="1048575">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
    )
    inspect_file(hostile.write_ods(tmp_path / "ds.ods", rows))


# --- XML prologs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("prolog", "refused"),
    [
        (b'<?xml version="1.0"?><!-- Excel --><?mso-application progid="Excel.Sheet"?>', False),
        (b"\xef\xbb\xbf<?xml version='1.0'?>\r\n", False),
        (b'<?xml version="1.0"?><!DOCTYPE worksheet SYSTEM "http://example.invalid/x.dtd">', True),
        (b'<?xml version="1.0"?>' + b" " * 100_000 + b"<!DOCTYPE worksheet []>", True),
    ],
)
def test_sheet_prolog(tmp_path: Path, prolog: bytes, refused: bool) -> None:
    path = hostile.write_minimal_xlsx(tmp_path / "ds.xlsx", hostile.NAME_CELL, prolog=prolog)
    _inspect(path, refused, "DOCTYPE")


# --- compound files --------------------------------------------------------------


def test_filepass_record_means_encrypted(tmp_path: Path) -> None:
    """In regular sectors: the LibreOffice sample keeps its small stream in the mini stream."""
    filepass = hostile.biff_record(0x002F, bytes(54))
    path = hostile.write_xls(tmp_path / "ds.xls", b"", globals_records=filepass)
    with pytest.raises(UnreadableFileError, match="mật khẩu"):
        inspect_file(path)


def _mulrk(row: int, first: int, cells: int, claimed_last: int) -> bytes:
    body = struct.pack("<HH", row, first) + bytes(6 * cells) + struct.pack("<H", claimed_last)
    return hostile.biff_record(0x00BD, body)


@pytest.mark.parametrize(
    ("sheet", "last_cell"),
    [
        (hostile.biff_number(0, 0, 1) + hostile.biff_number(65_535, 49, 2), None),
        (hostile.biff_number(0, 0, 1) + hostile.biff_number(65_535, 255, 2), "IV65536"),
        # The last-column field lies (ALI): ten cells from ALH still end at ALQ.
        (_mulrk(0, 995, 10, 996), "ALQ1"),
    ],
)
def test_xls_cells_are_placed_where_their_records_say(
    tmp_path: Path, sheet: bytes, last_cell: str | None
) -> None:
    ordinary = hostile.biff_number(0, 0, 1)  # each sheet is measured on its own
    path = hostile.write_xls(tmp_path / "ds.xls", ordinary, sheet)
    if last_cell:
        with pytest.raises(UnreadableFileError, match=f"ô {last_cell} "):
            inspect_file(path)
    else:
        inspect_file(path)


def test_compound_file_with_an_encryption_info_stream_is_encrypted(tmp_path: Path) -> None:
    path = hostile.write_cfb(
        tmp_path / "ds.xlsx", {"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b""}
    )
    with pytest.raises(UnreadableFileError, match="mật khẩu"):
        inspect_file(path)
