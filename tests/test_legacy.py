"""Legacy encodings: TCVN3 and VNI text is found per column and converted,
Unicode text is never touched."""

from __future__ import annotations

import copy
import datetime
import random
import unicodedata

import pytest

from pipeline import synthetic
from pipeline.legacy import (
    ENCODINGS,
    Conversion,
    Encoding,
    convert_grid,
    detect,
    from_unicode,
    to_unicode,
    uppercase_font,
)
from pipeline.models import RAW_FIELDS

# Built here rather than taken from the module, so the tables are checked
# against an independent list: every vowel with every tone, and đ.
_TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
LOWER_LETTERS = [
    unicodedata.normalize("NFC", vowel + tone)
    for vowel in "aăâeêioôơuưy"
    for tone in _TONES
    if (vowel + tone) not in "aeiouy"
] + ["đ"]
UPPER_LETTERS = [letter.upper() for letter in LOWER_LETTERS]

# The legacy-encodings table of the domain notes (shared/domain/DOMAIN.md).
DOMAIN_EXAMPLES = [
    ("Nguyễn Thị Thuỷ", "NguyÔn ThÞ Thuû", "Nguyeãn Thò Thuyû"),
    ("Trần Văn Hưng", "TrÇn V¨n H\xadng", "Traàn Vaên Höng"),
    ("Đồng Nai", "§ång Nai", "Ñoàng Nai"),
    ("Hội Liên hiệp Phụ nữ", "Héi Liªn hiÖp Phô n÷", "Hoäi Lieân hieäp Phuï nöõ"),
]


def test_the_letter_list_is_complete() -> None:
    assert len(LOWER_LETTERS) == len(set(LOWER_LETTERS)) == 67
    assert len(LOWER_LETTERS + UPPER_LETTERS) == 134


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_lowercase_letter_round_trips(encoding: Encoding) -> None:
    for letter in LOWER_LETTERS:
        legacy = from_unicode(letter, encoding)
        assert to_unicode(legacy, encoding) == letter, (letter, legacy)


def test_every_capital_round_trips_in_vni() -> None:
    for letter in UPPER_LETTERS:
        assert to_unicode(from_unicode(letter, "vni"), "vni") == letter, letter


def test_tcvn3_capitals_need_the_uppercase_font() -> None:
    # VN3 has codes only for Ă Â Ê Ô Ơ Ư Đ; other toned capitals are the
    # lowercase codes drawn by an ".VnTimeH" font.
    for letter in UPPER_LETTERS:
        legacy = from_unicode(letter, "tcvn3")
        assert to_unicode(legacy, "tcvn3", uppercase=True) == letter, letter
        if letter not in "ĂÂÊÔƠƯĐ":
            assert legacy == from_unicode(letter.lower(), "tcvn3")
            assert to_unicode(legacy, "tcvn3") == letter.lower()


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_each_letter_has_its_own_legacy_form(encoding: Encoding) -> None:
    forms = [from_unicode(letter, encoding) for letter in LOWER_LETTERS]
    assert len(set(forms)) == len(forms)


def test_tcvn3_letters_are_single_bytes_of_the_vn3_range() -> None:
    for letter in LOWER_LETTERS:
        legacy = from_unicode(letter, "tcvn3")
        assert len(legacy) == 1 and 0xA1 <= ord(legacy) <= 0xFE, letter


@pytest.mark.parametrize(
    ("letter", "tcvn3_byte"),
    # Spot checks against TCVN 5712:1993 VN3, one per block of the table.
    [("à", 0xB5), ("ặ", 0xC6), ("ẽ", 0xCF), ("ĩ", 0xDC), ("ư", 0xAD), ("đ", 0xAE), ("Đ", 0xA7),
     ("Ơ", 0xA5), ("ỵ", 0xFE), ("ứ", 0xF8)],
)  # fmt: skip
def test_tcvn3_table_values(letter: str, tcvn3_byte: int) -> None:
    assert from_unicode(letter, "tcvn3") == chr(tcvn3_byte)


@pytest.mark.parametrize(
    ("letter", "vni"),
    # Spot checks against the VNI-Windows table, including the letters that
    # are easy to get wrong: ẳ, the one-byte i family and ỵ.
    [("ẳ", "aú"), ("Ẳ", "AÚ"), ("ỵ", "î"), ("Ỵ", "Î"), ("ị", "ò"), ("ĩ", "ó"), ("ỉ", "æ"),
     ("ớ", "ôù"), ("Ữ", "ÖÕ"), ("ẫ", "aã"), ("đ", "ñ"), ("ý", "yù")],
)  # fmt: skip
def test_vni_table_values(letter: str, vni: str) -> None:
    assert from_unicode(letter, "vni") == vni
    assert to_unicode(vni, "vni") == letter


@pytest.mark.parametrize(("unicode", "tcvn3", "vni"), DOMAIN_EXAMPLES)
def test_domain_table_examples(unicode: str, tcvn3: str, vni: str) -> None:
    assert to_unicode(tcvn3, "tcvn3") == unicode
    assert to_unicode(vni, "vni") == unicode
    assert from_unicode(unicode, "tcvn3") == tcvn3
    assert from_unicode(unicode, "vni") == vni


def test_conversion_returns_nfc_and_accepts_nfd_input() -> None:
    converted = to_unicode("Nguyeãn Thò Thuyû", "vni")
    assert unicodedata.is_normalized("NFC", converted)
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Thuỷ")
    assert from_unicode(decomposed, "vni") == "Nguyeãn Thò Thuyû"


def test_soft_hyphen_is_the_tcvn3_letter_u_horn() -> None:
    assert to_unicode("H\xadng", "tcvn3") == "Hưng"
    grid, _ = convert_grid([["Hä vµ tªn"], ["TrÇn V¨n H\xadng"], ["Tr\xadêng"]])
    assert grid[1][0] == "Trần Văn Hưng"
    assert grid[2][0] == "Trường"


def test_tcvn3_typed_in_capitals_comes_out_in_capitals() -> None:
    assert to_unicode("NGUYÔN V¡N AN", "tcvn3") == "NGUYỄN VĂN AN"
    assert to_unicode("HéI LI£N HIÖP PHô N÷", "tcvn3") == "HỘI LIÊN HIỆP PHỤ NỮ"
    # One capital per word is a capitalised name, not capitals.
    assert to_unicode("Vâ Lª", "tcvn3") == "Võ Lê"


@pytest.mark.parametrize(
    ("font", "expected"),
    [(".VnTimeH", True), (".VnArialH", True), (".VnAvantH", True), (" .VnTimeH ", True),
     (".VnTime", False), (".VnArial", False), ("VNI-Times", False), ("Times New Roman", False),
     ("ArialH", False), ("", False), (None, False)],
)  # fmt: skip
def test_uppercase_font(font: str | None, expected: bool) -> None:
    assert uppercase_font(font) is expected


# --- Realistic columns ---------------------------------------------------------


def _weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in table], [weight for _, weight in table])[0]


def _names(count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    names = []
    for _ in range(count):
        female = rng.random() < 0.5
        middle = _weighted(rng, synthetic.FEMALE_MIDDLES if female else synthetic.MALE_MIDDLES)
        given = rng.choice(synthetic.FEMALE_GIVEN if female else synthetic.MALE_GIVEN)
        names.append(f"{_weighted(rng, synthetic.SURNAMES)} {middle} {given}")
    return names


def _addresses(count: int, seed: int = 2) -> list[str]:
    rng = random.Random(seed)
    addresses = []
    for _ in range(count):
        commune = rng.choice(synthetic.COMMUNES)
        hamlet = rng.choice(commune.hamlets)
        local = f"Tổ {rng.randint(1, 12)}, {hamlet.lower()}" if rng.random() < 0.4 else hamlet
        template = rng.choice(
            ["{local}, xã {commune}, huyện {district}", "{local}, {commune}, {district}, Đồng Nai"]
        )
        addresses.append(
            template.format(local=local, commune=commune.name, district=commune.district)
        )
    return addresses


def _positions(count: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    positions = [
        position
        for rule in synthetic.ORG_RULES.values()
        for position in (rule.leader, rule.deputy, rule.officer, rule.member)
    ]
    return [rng.choice(positions) for _ in range(count)]


def _notes(count: int, seed: int = 4) -> list[str]:
    rng = random.Random(seed)
    notes = [*synthetic.AWAY_NOTES, "Tạm vắng", "Chuyển sinh hoạt", "Có", "Không", "Nữ", "Nam"]
    return [rng.choice(notes) for _ in range(count)]


UNICODE_COLUMNS = {
    "names": _names(500),
    "addresses": _addresses(500),
    "positions": _positions(500),
    "notes": _notes(500),
    "names in capitals": [name.upper() for name in _names(500, seed=5)],
    "names in NFD": [unicodedata.normalize("NFD", name) for name in _names(500, seed=6)],
    "given names": list(synthetic.FEMALE_GIVEN + synthetic.MALE_GIVEN),
    "surnames": [surname for surname, _ in synthetic.SURNAMES],
    "titles": [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "DANH SÁCH ĐOÀN VIÊN NÒNG CỐT NĂM 2025", "Hội Liên hiệp Phụ nữ xã Phước Thiền",
        "Họ và tên", "Ngày, tháng, năm sinh", "Chỗ ở hiện nay", "Chức vụ", "Ghi chú",
        "Người lập biểu", "Phước Thiền, ngày 15 tháng 3 năm 2025", "CHỦ TỊCH",
    ],
    "english": [
        "Roster reconciliation pipeline", "Address", "Position", "Phone number", "Note",
        "John Smith", "Café Müller", "José García", "São Paulo", "Noël Françoise", "naïve",
    ],
    "numbers": [str(n) for n in random.Random(7).sample(range(10**12), 200)],
}  # fmt: skip


@pytest.mark.parametrize("name", list(UNICODE_COLUMNS))
def test_unicode_and_ascii_columns_are_not_detected(name: str) -> None:
    texts = UNICODE_COLUMNS[name]
    assert detect(texts) is None
    for start in range(0, len(texts), 5):  # short columns too
        assert detect(texts[start : start + 5]) is None, texts[start : start + 5]


def test_unicode_sheet_is_returned_unchanged() -> None:
    columns = list(UNICODE_COLUMNS.values())
    height = max(map(len, columns))
    rows: list[list[object]] = [
        [column[r] if r < len(column) else None for column in columns] for r in range(height)
    ]
    grid, conversions = convert_grid(rows)
    assert conversions == []
    assert grid == rows


def test_thirty_tcvn3_names_are_detected() -> None:
    column = [from_unicode(name, "tcvn3") for name in _names(30, seed=11)]
    detection = detect(column)
    assert detection is not None
    assert detection.encoding == "tcvn3"
    assert detection.confidence >= 0.8
    assert detection.evidence_examples
    assert set(detection.evidence_examples) <= set(column)


def test_thirty_vni_addresses_are_detected() -> None:
    column = [from_unicode(address, "vni") for address in _addresses(30, seed=12)]
    detection = detect(column)
    assert detection is not None
    assert detection.encoding == "vni"


@pytest.mark.parametrize(
    ("column", "encoding"),
    [
        (["Lan", "Hßa", "Mai", "Hïng", "Lª V¨n An"], "tcvn3"),  # Lan, Hòa, Mai, Hùng, Lê Văn An
        (["Lan", "Hoøa", "Mai", "Huøng", "Leâ Vaên An"], "vni"),
    ],
)
def test_a_column_of_a_few_short_names_is_detected(column: list[str], encoding: str) -> None:
    detection = detect(column)
    assert detection is not None
    assert detection.encoding == encoding


def test_a_repeated_value_counts_as_evidence() -> None:
    detection = detect(["Nam", "N÷", "N÷", "Nam", "N÷"])  # a sex column: Nam / Nữ
    assert detection is not None and detection.encoding == "tcvn3"


def test_ambiguous_texts_are_left_alone() -> None:
    assert detect(["Hé"]) is None  # "Hé" in Unicode, "Hộ" in TCVN3
    assert detect(["Lª"]) is None  # one word is not a column
    # "Khoâng" is Không in VNI and Khoõng in TCVN3: no guess.
    assert detect(["Khoâng", "Khoâng"]) is None


# --- Grids ----------------------------------------------------------------------


def test_convert_grid_converts_detected_columns_only() -> None:
    born = datetime.date(1980, 5, 17)
    rows: list[list[object]] = [
        ["DANH S¸CH HéI VI£N", None, None, None, None],
        ["STT", "Hä vµ tªn", "Ngµy sinh", "Chøc vô", "Phone"],
        [1, "NguyÔn ThÞ Lan", born, "Chi héi tr\xadëng", "0909123456"],
        [2, "TrÇn V¨n H\xadng", 1975, "Héi viªn", 909123457],
        [3, "Lª ThÞ Hoa", 1980.5, None, True],
    ]
    before = copy.deepcopy(rows)
    grid, conversions = convert_grid(rows)
    assert rows == before  # the input is not changed
    assert grid == [
        ["DANH SÁCH HỘI VIÊN", None, None, None, None],
        ["STT", "Họ và tên", "Ngày sinh", "Chức vụ", "Phone"],
        [1, "Nguyễn Thị Lan", born, "Chi hội trưởng", "0909123456"],
        [2, "Trần Văn Hưng", 1975, "Hội viên", 909123457],
        [3, "Lê Thị Hoa", 1980.5, None, True],
    ]
    assert conversions == [
        Conversion(0, "tcvn3", 1, "DANH S¸CH HéI VI£N", "DANH SÁCH HỘI VIÊN"),
        Conversion(1, "tcvn3", 4, "Hä vµ tªn", "Họ và tên"),
        Conversion(2, "tcvn3", 1, "Ngµy sinh", "Ngày sinh"),
        Conversion(3, "tcvn3", 3, "Chøc vô", "Chức vụ"),
    ]


def test_convert_grid_handles_vni() -> None:
    rows: list[list[object]] = [
        ["DANH SAÙCH HOÄI VIEÂN"],  # VNI capitals take the capital marks
        ["Hoï vaø teân"],
        ["Nguyeãn Thò Lan"],
        ["Ñoã Vaên Huøng"],
    ]
    grid, conversions = convert_grid(rows)
    assert [row[0] for row in grid] == [
        "DANH SÁCH HỘI VIÊN",
        "Họ và tên",
        "Nguyễn Thị Lan",
        "Đỗ Văn Hùng",
    ]
    assert [(c.column, c.encoding, c.cells_changed) for c in conversions] == [(0, "vni", 4)]


def test_a_legacy_title_above_a_unicode_table_is_converted_alone() -> None:
    # Merged title cells sit in the first column, which also holds the data.
    rows: list[list[object]] = [
        ["Héi Liªn hiÖp Phô n÷ x· Ph\xadíc ThiÒn"],
        ["Danh s¸ch héi viªn n¨m 2025"],
        ["Họ và tên"],
        *([name] for name in _names(40, seed=13)),
        ["Võ Tú"],  # Unicode, yet also readable as TCVN3: must stay as typed
    ]
    grid, conversions = convert_grid(rows)
    assert grid[0][0] == "Hội Liên hiệp Phụ nữ xã Phước Thiền"
    assert grid[1][0] == "Danh sách hội viên năm 2025"
    assert grid[2:] == rows[2:]
    assert [(c.column, c.encoding, c.cells_changed) for c in conversions] == [(0, "tcvn3", 2)]


def test_an_ambiguous_column_follows_the_sheet() -> None:
    hamlets = ["Khu phè 1", "Khu phè 2", "Khu phè 1"]  # "Khu phố" in TCVN3, or Unicode "phè"
    legacy_sheet: list[list[object]] = [
        [from_unicode(name, "tcvn3"), hamlet]
        for name, hamlet in zip(_names(3, seed=14), hamlets, strict=True)
    ]
    grid, _ = convert_grid(legacy_sheet)
    assert [row[1] for row in grid] == ["Khu phố 1", "Khu phố 2", "Khu phố 1"]
    unicode_sheet: list[list[object]] = [
        [name, hamlet] for name, hamlet in zip(_names(3, seed=14), hamlets, strict=True)
    ]
    grid, conversions = convert_grid(unicode_sheet)
    assert conversions == []


# --- Mixed sheets: one branch typed in TCVN3, the others in Unicode ---------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        # "Tân Phong" also reads as TCVN3 "Tõn Phong", a syllable yet no known
        # word: amid "T©n Phong" it stays as typed, and "T©n Phong" converts.
        (["T©n Phong", "Tân Phong", "T©n Phong"], ["Tân Phong", "Tân Phong", "Tân Phong"]),
        # "Êp" is no Vietnamese as typed, "ấp" a known word: one word is enough.
        (["Ấp 1", "Êp 1", "Ấp 2"], ["Ấp 1", "ấp 1", "Ấp 2"]),
        # The sex column of a mixed sheet: "N÷" is Nữ, "Nữ" is Unicode already.
        (["Nam", "Nữ", "N÷", "Nữ"], ["Nam", "Nữ", "Nữ", "Nữ"]),
        # A name whose only legacy word is the middle one.
        (["Nguyễn Thị Lan", "NguyÔn Thu Lan"], ["Nguyễn Thị Lan", "Nguyễn Thu Lan"]),
        # Syllables both ways: "Khu phè 3" follows the TCVN3 sheet; "Tân Phong"
        # does not, as it reads better as typed.
        (["Khu phè 3", "Tân Phong"], ["Khu phố 3", "Tân Phong"]),
    ],
)
def test_a_mixed_column_is_decided_cell_by_cell(column: list[str], expected: list[str]) -> None:
    # A title typed in TCVN3, in a row and a column of its own, so that the
    # sheet holds legacy text however few marks the column itself shows.
    rows: list[list[object]] = [[None, "Danh s¸ch héi viªn"], *([v, None] for v in column)]
    grid, _ = convert_grid(rows)
    assert [row[0] for row in grid[1:]] == expected
    assert grid[0][1] == "Danh sách hội viên"


def test_a_plausible_cell_follows_its_row() -> None:
    # "Khu phè 3" is Unicode "phè" or TCVN3 for "phố": the TCVN3 name beside it
    # decides; beside a Unicode name it stays as typed.
    rows: list[list[object]] = [
        ["TrÇn Thu Lan", "Khu phè 3"],
        ["Trần Văn Hưng", "Khu phè 3"],
        ["Lê Thị Hoa", "Khu phố 3"],
    ]
    grid, conversions = convert_grid(rows)
    assert grid == [
        ["Trần Thu Lan", "Khu phố 3"],
        ["Trần Văn Hưng", "Khu phè 3"],
        ["Lê Thị Hoa", "Khu phố 3"],
    ]
    # The notes count the cells converted, row-dependent ones included.
    assert conversions == [
        Conversion(0, "tcvn3", 1, "TrÇn Thu Lan", "Trần Thu Lan"),
        Conversion(1, "tcvn3", 1, "Khu phè 3", "Khu phố 3"),
    ]


def test_known_unicode_words_survive_a_detected_column() -> None:
    # The commune column of a branch typed in TCVN3 is detected; the rows of
    # the other branches keep their Unicode commune.
    rows: list[list[object]] = [["T©n Phong"] for _ in range(8)] + [["Tân Phong"], ["Tân Phong"]]
    grid, conversions = convert_grid(rows)
    assert [row[0] for row in grid] == ["Tân Phong"] * 10
    assert [(c.column, c.encoding, c.cells_changed) for c in conversions] == [(0, "tcvn3", 8)]


def test_a_hard_profile_sheet_loses_no_commune_and_keeps_no_mojibake() -> None:
    """The generator's hard profile mixes branches typed in TCVN3 and in Unicode
    in one sheet; it knows the Unicode text each cell stands for."""
    records, truth = synthetic.generate_records(7, people=1500, profile="hard")
    fields = list(RAW_FIELDS)
    typed_in_tcvn3 = ["tcvn3" in row.noise for row in truth.rows]
    damaged: list[tuple[str, object]] = []
    mojibake: list[tuple[str, object]] = []
    checked = 0
    for positions in records.groupby(["source_file", "sheet"]).indices.values():
        typed = records.iloc[positions][fields].to_numpy().tolist()
        grid, _ = convert_grid(typed)
        for position, before, after in zip(positions, typed, grid, strict=True):
            for old, new in zip(before, after, strict=True):
                if not isinstance(old, str):
                    continue
                checked += 1
                wanted = to_unicode(old, "tcvn3") if typed_in_tcvn3[position] else old
                if new != wanted:
                    (mojibake if typed_in_tcvn3[position] else damaged).append((old, new))
    assert sum(typed_in_tcvn3) > 50 and checked > 5000
    assert damaged == []
    assert mojibake == []


def test_uppercase_font_cells_come_out_in_capitals() -> None:
    rows: list[list[object]] = [
        ["héi liªn hiÖp phô n÷ viÖt nam"],  # typed in lowercase, shown by .VnTimeH
        ["danh sach"],  # ASCII in the same font is shown in capitals too
        ["Hä vµ tªn"],
        ["NguyÔn ThÞ Lan"],
    ]
    asked: list[tuple[int, int]] = []

    def uppercase_cell(row: int, col: int) -> bool:
        asked.append((row, col))
        return row < 2

    grid, _ = convert_grid(rows, uppercase_cell)
    assert [row[0] for row in grid] == [
        "HỘI LIÊN HIỆP PHỤ NỮ VIỆT NAM",
        "DANH SACH",
        "Họ và tên",
        "Nguyễn Thị Lan",
    ]
    assert sorted(asked) == [(0, 0), (1, 0), (2, 0), (3, 0)]


def test_uppercase_cell_is_not_asked_about_unicode_cells() -> None:
    rows: list[list[object]] = [[name, 1] for name in _names(20, seed=15)]
    asked: list[tuple[int, int]] = []

    def uppercase_cell(row: int, col: int) -> bool:
        asked.append((row, col))
        return True

    grid, conversions = convert_grid(rows, uppercase_cell)
    assert (grid, conversions, asked) == (rows, [], [])


def test_ragged_rows() -> None:
    rows: list[list[object]] = [["Hä vµ tªn", "Ghi chó"], ["NguyÔn ThÞ Lan"], []]
    grid, _ = convert_grid(rows)
    assert grid == [["Họ và tên", "Ghi chú"], ["Nguyễn Thị Lan"], []]


def test_a_200000_row_column_converts_every_legacy_cell() -> None:
    names = _names(500, seed=16)
    unicode_texts = [f"{names[r % 500]} {r}" for r in range(200_000)]
    texts = from_unicode("\n".join(unicode_texts), "tcvn3").split("\n")
    rows: list[list[object]] = [[r, text, None] for r, text in enumerate(texts)]
    legacy_rows = sum(not text.isascii() for text in texts)
    grid, conversions = convert_grid(rows)
    assert conversions[0].cells_changed == legacy_rows > 190_000
    # TCVN3 keeps no toned capitals ("Ánh" comes back "ánh"), hence lower().
    assert str(grid[199_999][1]).lower() == unicode_texts[199_999].lower()


def test_legacy_text_far_down_a_long_sheet_is_found() -> None:
    """The sheet's text is searched a block of rows at a time, to the last row."""
    rows: list[list[object]] = [[name, None] for name in _names(5000, seed=17)]
    rows.append([None, from_unicode("Trường Đại học Cần Thơ", "tcvn3")])
    grid, conversions = convert_grid(rows)
    assert grid[-1][1] == "Trường Đại học Cần Thơ"
    assert [(c.column, c.cells_changed) for c in conversions] == [(1, 1)]
