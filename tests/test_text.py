"""Vietnamese text helpers: the fast folding path agrees with the decomposing one."""

from __future__ import annotations

import pytest

from pipeline.text import _MARKLESS, _SPACES, _strip_marks_slowly, fold, strip_marks

TEXTS = (
    "Nguyễn Thị Thuỷ",
    "ĐỖ VĂN ĐỨC",
    "Ðặng (eth for Đ)",
    "Nguye\u0302\u0303n",  # NFD input
    "  Trần\tThị \n Bình  ",
    "Lê\u00a0Văn\u2003Tám",
    "Σίσυφος ς",
    "İstanbul",
    "ǅ ß æ",
    "soft\u00adhyphen",
    "",
)


@pytest.mark.parametrize("text", [*TEXTS, *(f"A{chr(code)}b c" for code in _MARKLESS)], ids=repr)
def test_fast_path_gives_what_decomposing_gives(text: str) -> None:
    assert strip_marks(text) == _strip_marks_slowly(text)
    assert fold(text) == _SPACES.sub(" ", _strip_marks_slowly(text).lower()).strip()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nguyễn Thị Thuỷ", "Nguyen Thi Thuy"),  # case kept
        ("Đỗ Đức", "Do Duc"),  # đ is a letter of its own, written d
        ("Ðặng", "Dang"),  # eth typed for Đ
    ],
)
def test_strip_marks(text: str, expected: str) -> None:
    assert strip_marks(text) == expected
