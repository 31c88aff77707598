"""Legacy Vietnamese encodings: detect TCVN3 (ABC) and VNI text and convert it.

Offices still type rosters in the legacy fonts ".VnTime"/".VnArial" (TCVN3)
and "VNI-Times" (VNI). Those fonts draw Vietnamese letters at single-byte
codes, so a workbook opened as Unicode holds the cp1252 reading of the bytes
("NguyÔn ThÞ Lan", "Nguyeãn Thò Lan" for "Nguyễn Thị Lan"). Every code either
encoding uses lies in 0xA1-0xFE, where cp1252 and Latin-1 agree, so the byte
value of such a character is its code point.

Detection is per column (or per sheet): a short name such as "Hé" is "Hé" in
Unicode and "Hộ" in TCVN3 alike. What decides is the share of cells that read
as broken Vietnamese in Unicode yet as well-formed syllables once converted,
against cells that can only be Unicode (letters such as ă ư ạ that the legacy
fonts never produce). The conversion itself is decided per cell, as one sheet
may hold rows typed in TCVN3 and rows typed in Unicode: a cell of known words
("Tân Phong") stays as typed, a cell that is known words only once converted
("Êp 1", "N÷") is converted, and a cell plausible both ways follows its
column, its sheet or its row (see convert_grid).
"""

from __future__ import annotations

import codecs
import itertools
import operator
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum
from functools import lru_cache
from typing import Literal, TypeVar, cast

from pipeline.admin_units import accent_key, unit_names
from pipeline.settings import HEADERS_FILE, SCHEMAS_DIR

Encoding = Literal["tcvn3", "vni"]
ENCODINGS: tuple[Encoding, ...] = ("tcvn3", "vni")

# --- Tables -----------------------------------------------------------------

# The five tone marks in the order both tables list them: huyền (grave), hỏi
# (hook above), ngã (tilde), sắc (acute), nặng (dot below).
_TONES = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
_VOWELS = "aăâeêioôơuưy"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _forms(vowel: str) -> list[str]:
    """The vowel without tone, then with each tone of _TONES (NFC)."""
    return [vowel] + [_nfc(vowel + tone) for tone in _TONES]


# The 67 lowercase letters beyond ASCII (66 toned or modified vowels, and đ);
# with their capitals, the 134 letters both tables must cover.
_LETTERS: tuple[str, ...] = (
    *(letter for vowel in _VOWELS for letter in _forms(vowel) if not letter.isascii()),
    "đ",
)

# TCVN 5712:1993, code table VN3: the 8-bit set of the ABC ".Vn" fonts, which
# is what "TCVN3" means in practice (checked against the TCVN table of the
# xvnkb keyboard driver, tcvn.h). Per vowel, the bytes of its grave, hook,
# tilde, acute and dot-below forms.
_TCVN3_TONED = {
    "a": b"\xb5\xb6\xb7\xb8\xb9",
    "ă": b"\xbb\xbc\xbd\xbe\xc6",
    "â": b"\xc7\xc8\xc9\xca\xcb",
    "e": b"\xcc\xce\xcf\xd0\xd1",
    "ê": b"\xd2\xd3\xd4\xd5\xd6",
    "i": b"\xd7\xd8\xdc\xdd\xde",
    "o": b"\xdf\xe1\xe2\xe3\xe4",
    "ô": b"\xe5\xe6\xe7\xe8\xe9",
    "ơ": b"\xea\xeb\xec\xed\xee",
    "u": b"\xef\xf1\xf2\xf3\xf4",
    "ư": b"\xf5\xf6\xf7\xf8\xf9",
    "y": b"\xfa\xfb\xfc\xfd\xfe",
}
# Untoned letters: 0xA1-0xA7 are the only capitals VN3 has, 0xA8-0xAE their
# lowercase forms (0xAD, the ư, is cp1252's soft hyphen).
_TCVN3_PLAIN = ("ĂÂÊÔƠƯĐăâêôơưđ", bytes(range(0xA1, 0xAF)))

# VNI-Windows (VNI Software Co., fonts "VNI-Times" etc.; checked against the
# VNI table of xvnkb, vni.h). A toned or modified vowel is its base letter
# followed by one mark byte; capitals use the capital base and the mark byte
# minus 0x20, which is what str.upper() gives for these Latin-1 letters.
_VNI_TONE_MARKS = b"\xf8\xfb\xf5\xf9\xef"  # ø û õ ù ï
_VNI_CIRCUMFLEX = b"\xe2\xe0\xe5\xe3\xe1\xe4"  # â, then à å ã á ä: circumflex and a tone
_VNI_BREVE = b"\xea\xe8\xfa\xfc\xe9\xeb"  # ê, then è ú ü é ë: breve and a tone
# Letters that are one byte: the horned vowels (which then take a tone mark
# like a base letter), đ, every i (its dot leaves no room for a mark) and ỵ.
_VNI_HORN = {"ơ": b"\xf4", "ư": b"\xf6"}  # ô ö
_VNI_I = b"i\xec\xe6\xf3\xed\xf2"  # i, ì æ ó í ò
_VNI_Y_DOT = b"\xee"  # î
_VNI_D = b"\xf1"  # ñ


def _latin1(codes: bytes) -> str:
    return codes.decode("latin-1")


def _vni_lower(vowel: str, tone: int) -> str:
    """VNI form of `vowel` with tone number `tone` (0 none, 1-5 as in _TONES)."""
    if vowel == "i":
        return _latin1(_VNI_I)[tone]
    if vowel == "y" and tone == 5:
        return _latin1(_VNI_Y_DOT)
    if vowel in "âêô":
        return {"â": "a", "ê": "e", "ô": "o"}[vowel] + _latin1(_VNI_CIRCUMFLEX)[tone]
    if vowel == "ă":
        return "a" + _latin1(_VNI_BREVE)[tone]
    base = _latin1(_VNI_HORN[vowel]) if vowel in _VNI_HORN else vowel
    return base + (_latin1(_VNI_TONE_MARKS)[tone - 1] if tone else "")


def _tcvn3_tables() -> tuple[dict[str, str], dict[int, str]]:
    """(legacy character -> letter, letter code point -> legacy character)."""
    decode: dict[str, str] = {}
    encode: dict[int, str] = {}
    for vowel, codes in _TCVN3_TONED.items():
        for letter, code in zip(_forms(vowel)[1:], _latin1(codes), strict=True):
            decode[code] = letter
            # No toned capitals in VN3: the uppercase ".VnTimeH" fonts draw the
            # lowercase code as a capital.
            encode[ord(letter)] = encode[ord(letter.upper())] = code
    for letter, code in zip(_TCVN3_PLAIN[0], _latin1(_TCVN3_PLAIN[1]), strict=True):
        decode[code] = letter
        encode[ord(letter)] = code
    return decode, encode


def _vni_tables() -> tuple[dict[str, str], dict[int, str]]:
    """(legacy character -> letter or combining marks, letter code point -> legacy text)."""
    encode: dict[int, str] = {}
    for vowel in _VOWELS:
        for tone, letter in enumerate(_forms(vowel)):
            if not letter.isascii():
                encode[ord(letter)] = _vni_lower(vowel, tone)
                encode[ord(letter.upper())] = _vni_lower(vowel, tone).upper()
    encode[ord("đ")], encode[ord("Đ")] = _latin1(_VNI_D), _latin1(_VNI_D).upper()

    # Decoding turns each mark byte into combining marks and lets NFC compose
    # them with the letter before: no pair matching, all in C.
    decode = {
        **dict(zip(_latin1(_VNI_TONE_MARKS), _TONES, strict=True)),
        **dict(zip(_latin1(_VNI_CIRCUMFLEX), ["\u0302" + t for t in ("", *_TONES)], strict=True)),
        **dict(zip(_latin1(_VNI_BREVE), ["\u0306" + t for t in ("", *_TONES)], strict=True)),
        **dict(zip(_latin1(_VNI_I), _forms("i"), strict=True)),
        _latin1(_VNI_HORN["ơ"]): "ơ",
        _latin1(_VNI_HORN["ư"]): "ư",
        _latin1(_VNI_D): "đ",
        _latin1(_VNI_Y_DOT): "ỵ",
    }
    decode |= {code.upper(): text.upper() for code, text in decode.items()}
    return {code: text for code, text in decode.items() if code != text}, encode


_TCVN3_DECODE, _TCVN3_ENCODE = _tcvn3_tables()
_VNI_DECODE, _VNI_ENCODE = _vni_tables()
_ENCODE = {"tcvn3": _TCVN3_ENCODE, "vni": _VNI_ENCODE}
# Every character that stands for a letter or a mark in each encoding.
_CODES = {
    "tcvn3": frozenset(_TCVN3_DECODE),
    "vni": frozenset(ch for text in _VNI_ENCODE.values() for ch in text if not ch.isascii()),
}


def _byte_table(decode: dict[str, str]) -> dict[int, str]:
    """Byte -> text for codecs.charmap_decode of the cp1252 bytes of a text.

    Encoding to cp1252 and decoding through such a table beats str.translate
    several times over (thirtyfold with TCVN3's one-character str table); the
    five bytes cp1252 leaves undefined never come out of the encoder, so they
    need no entry.
    """
    table: dict[int, str] = {}
    for byte in range(256):
        try:
            char = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue
        table[byte] = decode.get(char, char)
    return table


_BYTE_TABLES = {"tcvn3": _byte_table(_TCVN3_DECODE), "vni": _byte_table(_VNI_DECODE)}
# A str table is charmap_decode's fastest form; it needs one character per byte.
_TCVN3_BYTE_STRING = "".join(_BYTE_TABLES["tcvn3"].get(b, "\ufffe") for b in range(256))
# For the texts cp1252 cannot encode.
_TRANSLATE = {
    encoding: str.maketrans(decode)
    for encoding, decode in (("tcvn3", _TCVN3_DECODE), ("vni", _VNI_DECODE))
}


def _decode(text: str, encoding: Encoding) -> str:
    try:
        data = text.encode("cp1252")
    except UnicodeEncodeError:
        return _nfc(text.translate(_TRANSLATE[encoding]))
    table = _TCVN3_BYTE_STRING if encoding == "tcvn3" else _BYTE_TABLES["vni"]
    return _nfc(codecs.charmap_decode(data, "strict", table)[0])


# --- Conversion -------------------------------------------------------------

# A TCVN3 text in a normal (not "H") font whose ASCII letters are all capitals
# was meant as capitals: the lowercase codes are all VN3 has for toned letters.
# One capitalised word ("Lª", "Vâ") is not enough, so a word with two
# capitals is required ("NGUYÔN", "HéI").
_ASCII_LOWER = re.compile("[a-z]")
_TCVN3_CAPITAL = "A-Z" + re.escape(_latin1(_TCVN3_PLAIN[1][:7]))
_TCVN3_WORD_CHAR = _TCVN3_CAPITAL + re.escape("".join(sorted(_CODES["tcvn3"])))
_TCVN3_CAPS_WORD = re.compile(f"[{_TCVN3_CAPITAL}][{_TCVN3_WORD_CHAR}]*[{_TCVN3_CAPITAL}]")


def _typed_in_capitals(text: str) -> bool:
    return not _ASCII_LOWER.search(text) and _TCVN3_CAPS_WORD.search(text) is not None


def to_unicode(text: str, encoding: Encoding, uppercase: bool = False) -> str:
    """Convert legacy text to NFC Unicode.

    `uppercase` is for text set in an uppercase TCVN3 font (".VnTimeH"): the
    same codes as lowercase text, drawn as capitals. TCVN3 text typed in
    capitals throughout ("NGUYÔN V¡N AN") is upper-cased without it.
    """
    converted = _decode(text, encoding)
    if uppercase or (encoding == "tcvn3" and _typed_in_capitals(text)):
        return converted.upper()
    return converted


_SEPARATOR = "\x00"


def _to_unicode_all(texts: list[str], encoding: Encoding) -> list[str]:
    """to_unicode of each text, converting them joined: one C-level pass
    instead of one call per cell."""
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) != len(texts) - 1:
        return [to_unicode(text, encoding) for text in texts]
    converted = _decode(joined, encoding).split(_SEPARATOR)
    if encoding == "tcvn3":
        no_lowercase = map(operator.not_, map(_ASCII_LOWER.search, texts))
        for i in itertools.compress(itertools.count(), no_lowercase):
            if _TCVN3_CAPS_WORD.search(texts[i]):
                converted[i] = converted[i].upper()
    return converted


def from_unicode(text: str, encoding: Encoding) -> str:
    """The legacy form of `text`, as a workbook typed in that encoding holds it.

    TCVN3 has no toned capitals: they become the lowercase codes an uppercase
    ".VnTimeH" font shows as capitals, so converting back needs
    `uppercase=True` (or text in capitals throughout).
    """
    return _nfc(text).translate(_ENCODE[encoding])


def uppercase_font(font_name: str | None) -> bool:
    """Whether a font is an uppercase TCVN3 font (".VnTimeH", ".VnArialH"…)."""
    if not font_name:
        return False
    name = font_name.strip()
    return len(name) > 2 and name.startswith(".") and name.endswith("H")


# --- Reading words as Vietnamese ---------------------------------------------

# Spelling rules make more legacy words fail as Unicode: k, gh, ngh only before
# e ê i (y); "qu" already holds the glide, so no o or u follows it, and c
# never takes one ("Quoác" is VNI for Quốc, not a Unicode word).
_ONSET = (
    "(?:ngh(?=[eêi])|ng|nh|ch|gh(?=[eêi])|gi|kh|ph|th|tr|qu(?![ou])"
    "|k(?=[eêiy])|c(?!o[aăe]|u[âêyơ])|[bdđghlmnprstvx])?"
)
_OPEN_RIMES = (
    "a", "ai", "ao", "au", "ay", "âu", "ây", "e", "eo", "ê", "êu", "i", "ia", "iu", "iêu",
    "o", "oa", "oai", "oao", "oay", "oe", "oeo", "oi", "ô", "ôi", "ơ", "ơi", "u", "ua", "uây",
    "uê", "ui", "uôi", "uơ", "uy", "uya", "uyu", "ư", "ưa", "ưi", "ưu", "ươi", "ươu", "y", "yêu",
)  # fmt: skip
_CLOSED_NUCLEI = (
    "a", "ă", "â", "e", "ê", "i", "o", "oo", "ô", "ơ", "u", "ư", "iê", "yê", "uô", "ươ", "oa",
    "oă", "oe", "uâ", "uê", "uy", "uyê",
)  # fmt: skip
_PALATAL_NUCLEI = ("a", "ê", "i", "oa", "uê", "uy")  # the only ones before -ch and -nh
_RIMES = (
    *_OPEN_RIMES,
    *(n + c for n in _CLOSED_NUCLEI for c in ("c", "m", "n", "ng", "p", "t")),
    *(n + c for n in _PALATAL_NUCLEI for c in ("ch", "nh")),
)
_SYLLABLE = re.compile(_ONSET + "(?:" + "|".join(sorted(_RIMES, key=len, reverse=True)) + ")")
_TONE_MARK = re.compile("[" + "".join(_TONES) + "]")
_STOP_TONES = ("\u0301", "\u0323")  # a syllable ending in c, ch, p, t takes sắc or nặng
_CONSONANTS = re.compile("[bcdđfghjklmnpqrstvwxz]+")


class _Reading(Enum):
    VALID = "valid"  # a well-formed Vietnamese syllable
    INVALID = "invalid"
    ABBREVIATION = "abbreviation"  # consonants only: "ĐTN", "HĐND"


@lru_cache(maxsize=1 << 16)
def _read(word: str) -> _Reading:
    decomposed = unicodedata.normalize("NFD", word.lower().replace("ð", "đ"))
    tones = _TONE_MARK.findall(decomposed)
    base = _nfc(_TONE_MARK.sub("", decomposed))
    if _CONSONANTS.fullmatch(base):
        # A tone mark sits on a vowel: "Ḥng" (VNI's reading of TCVN3 "Hïng") is
        # no abbreviation.
        return _Reading.INVALID if tones else _Reading.ABBREVIATION
    if len(tones) > 1 or not _SYLLABLE.fullmatch(base):
        return _Reading.INVALID
    if base.endswith(("c", "ch", "p", "t")) and (not tones or tones[0] not in _STOP_TONES):
        return _Reading.INVALID
    return _Reading.VALID


class _Word(Enum):
    LEGACY = "legacy"  # broken as Unicode, a syllable once converted
    AGAINST = "against"  # a syllable only as Unicode, or in neither reading
    NEUTRAL = "neutral"  # a syllable both ways, or an abbreviation


@lru_cache(maxsize=1 << 16)
def _word(word: str, encoding: Encoding) -> _Word:
    converted = _read(to_unicode(word, encoding))
    if converted is _Reading.ABBREVIATION:
        return _Word.NEUTRAL
    if converted is _Reading.INVALID:
        return _Word.AGAINST
    return _Word.NEUTRAL if _read(word) is _Reading.VALID else _Word.LEGACY


# Legacy text read through cp1252 holds nothing beyond U+00FF but cp1252's
# punctuation; a Vietnamese letter beyond U+00FF, a combining mark, or a
# Latin-1 Vietnamese letter the encoding never uses (à in TCVN3, ý in VNI)
# shows a cell is Unicode already.
_VIETNAMESE = frozenset(_LETTERS) | {letter.upper() for letter in _LETTERS}


def _char_class(chars: Iterable[str]) -> re.Pattern[str]:
    return re.compile("[\u0300-\u036f" + re.escape("".join(sorted(chars))) + "]")


_UNICODE_VIETNAMESE = _char_class(ch for ch in _VIETNAMESE if ord(ch) > 0xFF)
_UNICODE_ONLY = {
    encoding: _char_class(ch for ch in _VIETNAMESE if ord(ch) > 0xFF or ch not in _CODES[encoding])
    for encoding in ENCODINGS
}
# Latin-1 characters no Vietnamese word holds (ð stands in for đ at times):
# a word with one reads as no Vietnamese as typed.
_NOT_VIETNAMESE = re.compile(
    "["
    + re.escape("".join(sorted(set(map(chr, range(0xA1, 0x100))) - _VIETNAMESE - {"ð", "Ð"})))
    + "]"
)
# Words: letters of any Latin script, combining marks and every Latin-1
# symbol (TCVN3 letters include ¨ ª « ¬ § µ · ¸ ¹ × ÷ and the soft hyphen).
_TOKEN = re.compile("[A-Za-z\u00a1-\u024f\u0300-\u036f\u1e00-\u1eff]+")


class _Cell(Enum):
    LEGACY = "legacy"
    AGAINST = "against"
    NONE = "none"  # ASCII, or nothing either way


def _cell(text: str, encoding: Encoding) -> tuple[_Cell, int]:
    """How a cell reads under `encoding`, and how many of its words are legacy."""
    if text.isascii():
        return _Cell.NONE, 0
    if _UNICODE_ONLY[encoding].search(text):
        return _Cell.AGAINST, 0
    legacy = against = 0
    for token in _TOKEN.findall(text):
        if not token.isascii():
            kind = _word(token, encoding)
            legacy += kind is _Word.LEGACY
            against += kind is _Word.AGAINST
    if against:
        return _Cell.AGAINST, legacy
    return (_Cell.LEGACY if legacy else _Cell.NONE), legacy


# --- Known words --------------------------------------------------------------

# Syllable shape alone cannot tell "Tân Phong" (Unicode) from "Tõn Phong" (its
# TCVN3 reading), or "Khu phè" from "Khu phố": both read as syllables. Words
# that rosters are known to hold can: place names, personal names, header
# labels and the usual roster words.
WORDS_FILE = "words.toml"
_WORD_LISTS = (WORDS_FILE, "names.toml", HEADERS_FILE)  # every list of strings in each


@lru_cache(maxsize=1)
def _lexicon() -> frozenset[str]:
    """accent_key of every known word: tone placement aside ("hoà" = "hòa")."""
    texts = unit_names()
    for name in _WORD_LISTS:
        with (SCHEMAS_DIR / name).open("rb") as handle:
            tables = tomllib.load(handle).values()
        texts += [
            text
            for table in tables
            if isinstance(table, dict)
            for values in table.values()
            if isinstance(values, list)
            for text in values
        ]
    return frozenset(accent_key(word) for text in texts for word in _TOKEN.findall(text))


class _Level(IntEnum):
    """How plausible one reading of a text is as Vietnamese."""

    INVALID = 0  # a word is no Vietnamese syllable
    VALID = 1  # syllables, not all of them known words
    KNOWN = 2  # known words (or abbreviations) throughout


@lru_cache(maxsize=1 << 16)
def _level(word: str) -> _Level:
    reading = _read(word)
    if reading is _Reading.INVALID:
        return _Level.INVALID
    if reading is _Reading.VALID and accent_key(word) not in _lexicon():
        return _Level.VALID
    return _Level.KNOWN


class _Verdict(Enum):
    KEEP = "keep"  # reads better as typed: Unicode
    CONVERT = "convert"  # proves the encoding on its own
    CONTEXT = "context"  # plausible both ways: the column, sheet or row decides


@lru_cache(maxsize=1 << 16)
def _verdict(text: str, encoding: Encoding) -> _Verdict:
    """Whether a cell is typed in `encoding`, judged from the cell alone.

    A cell proves the encoding when it is no Vietnamese as typed yet known
    words once converted ("Êp 1", "N÷"), or holds two legacy words; it is
    Unicode when it reads better as typed ("Tân Phong" against "Tõn Phong").
    """
    if _UNICODE_ONLY[encoding].search(text):
        return _Verdict.KEEP
    typed = converted = _Level.KNOWN
    legacy_words = 0
    for token in _TOKEN.findall(text):
        if not token.isascii():
            as_typed, once_converted = _level(token), _level(to_unicode(token, encoding))
            typed, converted = min(typed, as_typed), min(converted, once_converted)
            legacy_words += as_typed is _Level.INVALID and once_converted is not _Level.INVALID
    if typed > converted:
        return _Verdict.KEEP
    if typed is _Level.INVALID and (
        converted is _Level.KNOWN
        or (converted is _Level.VALID and legacy_words >= MIN_LEGACY_WORDS)
    ):
        return _Verdict.CONVERT
    return _Verdict.CONTEXT


# --- Detection --------------------------------------------------------------

MIN_SHARE = 0.8  # legacy cells among the cells with evidence either way
MIN_LEGACY_WORDS = 2  # one odd word ("Lü") does not make a column TCVN3
MAX_SAMPLE = 2000  # distinct texts read to decide; plenty for a stable share
_EXAMPLES = 3


@dataclass(frozen=True)
class Detection:
    encoding: Encoding
    confidence: float  # share of the cells with evidence that read as `encoding`
    evidence_examples: tuple[str, ...]  # cells, as typed, that only `encoding` explains


def _detect(counts: dict[str, int]) -> Detection | None:
    """detect() over distinct non-ASCII texts and how often each occurs.

    Cells weigh by occurrence: a sex column holding "N÷" three hundred times
    is as sure as three hundred different names.
    """
    sample = list(counts)
    if len(sample) > MAX_SAMPLE:
        step = len(sample) / MAX_SAMPLE
        sample = [sample[int(i * step)] for i in range(MAX_SAMPLE)]
    found: list[tuple[int, Detection]] = []
    for encoding in ENCODINGS:
        examples: list[str] = []
        legacy = evidence = words = 0
        for text in sample:
            cell, count = _cell(text, encoding)
            weight = counts[text]
            if cell is _Cell.LEGACY:
                examples.append(text)
                legacy += weight
                words += count * weight
            if cell is not _Cell.NONE:
                evidence += weight
        if words >= MIN_LEGACY_WORDS and legacy >= MIN_SHARE * evidence:
            confidence = round(legacy / evidence, 3)
            found.append((legacy, Detection(encoding, confidence, tuple(examples[:_EXAMPLES]))))
    found.sort(key=operator.itemgetter(0), reverse=True)
    # Texts both encodings explain equally well ("Khoâng" is Không in VNI and
    # Khoõng in TCVN3) are left alone rather than guessed.
    if not found or (len(found) > 1 and found[0][0] == found[1][0]):
        return None
    return found[0][1]


def detect(texts: Sequence[str]) -> Detection | None:
    """The legacy encoding of a column's (or a sheet's) texts, or None.

    None when the texts are Unicode, ASCII, or too ambiguous to tell: a
    wrong conversion corrupts good data, a missed one only leaves mojibake.
    """
    return _detect(Counter(itertools.filterfalse(str.isascii, texts)))


# --- Grids ------------------------------------------------------------------


# A sheet's cell type: conversion only replaces str by str.
CellT = TypeVar("CellT")


@dataclass(frozen=True)
class Conversion:
    column: int  # 0-based
    encoding: Encoding
    cells_changed: int
    example_before: str
    example_after: str


def _proven(text: str) -> Encoding | None:
    """The one encoding a cell proves on its own (see _verdict), if any.

    For columns that are not legacy as a whole: a TCVN3 title typed above a
    table typed later in Unicode, or the rows one branch typed in TCVN3 among
    rows typed in Unicode.
    """
    found = [e for e in ENCODINGS if _verdict(text, e) is _Verdict.CONVERT]
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class _Column:
    strings: list[str]  # distinct string values
    candidates: dict[str, int]  # distinct non-ASCII strings and their occurrences
    detection: Detection | None


def _column(values: list[object]) -> _Column:
    # Counter and filterfalse keep the per-cell work in C: a 200,000-row
    # column costs no Python-level call per cell.
    counts = Counter(values)
    strings = [v for v in counts if isinstance(v, str)]
    candidates = {t: counts[t] for t in itertools.filterfalse(str.isascii, strings)}
    return _Column(strings, candidates, _detect(candidates) if candidates else None)


def _agrees(column: _Column, encoding: Encoding) -> bool:
    """Whether no cell of the column reads against `encoding`."""
    if any(map(_UNICODE_ONLY[encoding].search, column.candidates)):
        return False
    return all(_cell(t, encoding)[0] is not _Cell.AGAINST for t in column.candidates)


@dataclass(frozen=True)
class _Plan:
    convert: dict[str, Encoding]  # distinct strings converted wherever they stand
    # Strings plausible both ways ("Khu phè 3": Unicode, or TCVN3 for Khu phố 3),
    # converted only in rows another cell proves typed in one of these encodings.
    in_legacy_rows: dict[str, tuple[Encoding, ...]]


def _plan(column: _Column, sheet: Encoding | None, with_ascii: bool) -> _Plan:
    """How to convert each distinct string of a column.

    A detected column converts its cells but those that read better as typed
    ("Tân Phong" amid "T©n Phong"). A column too ambiguous to decide alone
    follows the sheet's other columns, unless one of its cells reads against
    that encoding. Elsewhere a cell is converted when it proves an encoding on
    its own, or when its row does.
    """
    convert: dict[str, Encoding] = {}
    encoding = column.detection.encoding if column.detection else sheet
    if encoding is not None and (column.detection is not None or _agrees(column, encoding)):
        candidates = itertools.filterfalse(_UNICODE_ONLY[encoding].search, column.candidates)
        # A cell holding a character no Vietnamese word has cannot read better
        # as typed: only the others need a verdict, and most legacy cells skip it.
        convert = {
            t: encoding
            for t in candidates
            if _NOT_VIETNAMESE.search(t) or _verdict(t, encoding) is not _Verdict.KEEP
        }
        if with_ascii:
            # An uppercase font shows ASCII text in capitals too.
            convert.update(dict.fromkeys(filter(str.isascii, column.strings), encoding))
        return _Plan(convert, {})
    in_legacy_rows: dict[str, tuple[Encoding, ...]] = {}
    for text in itertools.filterfalse(_UNICODE_VIETNAMESE.search, column.candidates):
        verdicts = [(e, _verdict(text, e)) for e in ENCODINGS]
        proven = tuple(e for e, verdict in verdicts if verdict is _Verdict.CONVERT)
        if len(proven) == 1:
            convert[text] = proven[0]
        # Proving both encodings is as good as proving neither: the row decides.
        elif found := proven or tuple(e for e, v in verdicts if v is _Verdict.CONTEXT):
            in_legacy_rows[text] = found
    return _Plan(convert, in_legacy_rows)


def _row_encoding(row: Sequence[object], col: int) -> Encoding | None:
    """The one encoding the row's other cells prove, if any."""
    found = {
        e
        for c, value in enumerate(row)
        if c != col and type(value) is str and not value.isascii()
        for e in [_proven(value)]
        if e is not None
    }
    return found.pop() if len(found) == 1 else None


def _columns(rows: Sequence[Sequence[object]]) -> list[list[object]]:
    """The grid's columns; short rows read as None past their end."""
    width = max(map(len, rows), default=0)
    if min(map(len, rows), default=0) < width:
        rows = [[*row, *([None] * (width - len(row)))] for row in rows]
    # itemgetter per column is several times faster than zip(*rows).
    return [list(map(operator.itemgetter(col), rows)) for col in range(width)]


# Characters that Unicode Vietnamese never uses but legacy text always does:
# TCVN3 puts ă â ê ô ơ ư đ and most toned vowels at 0xA1–0xBF; VNI writes ư, đ
# and its tone marks as ö, ñ, ø, ï, û, ä … A sheet without any of them holds no
# legacy text, and the costly per-column detection is skipped.
_LEGACY_MARKS = frozenset(map(chr, range(0xA1, 0xC0))) | frozenset(
    "\u00c4\u00c5\u00c6\u00c7\u00cb\u00ce\u00cf\u00d1\u00d6\u00d8\u00db\u00dc\u00de"
    "\u00e4\u00e5\u00e6\u00e7\u00eb\u00ee\u00ef\u00f1\u00f6\u00f8\u00fb\u00fc\u00fe"
)
_NOT_LEGACY_MARKS = bytes(code for code in range(256) if chr(code) not in _LEGACY_MARKS)


_GATE_ROWS = 1024  # rows whose text is searched at once: a few hundred KB


def _may_hold_legacy_text(rows: Sequence[Sequence[object]]) -> bool:
    # Every mark is below U+0100: Latin-1 keeps them (and drops most of a
    # Unicode text), and deleting every other byte leaves some only if a mark
    # is there. Both passes run in C, faster than a regex search of the text;
    # a block of rows at a time reuses memory a whole sheet's text would not.
    for start in range(0, len(rows), _GATE_ROWS):
        block = rows[start : start + _GATE_ROWS]
        text = "\n".join([cell for row in block for cell in row if type(cell) is str])
        if text.encode("latin-1", "ignore").translate(None, _NOT_LEGACY_MARKS):
            return True
    return False


def convert_grid(
    rows: list[list[CellT]],
    uppercase_cell: Callable[[int, int], bool] | None = None,
) -> tuple[list[list[CellT]], list[Conversion]]:
    """Convert the legacy-encoded cells of a sheet grid; the input is not changed.

    Each column is detected from all its string cells, title and header cells
    included; in a detected column every string cell that could be legacy is
    converted, but for cells that read better as typed (known words in Unicode,
    not once converted). A column too ambiguous to decide follows the other
    columns when they agree on one encoding and none of its cells reads against
    it. Elsewhere a cell is converted when it proves an encoding on its own (a
    title typed in TCVN3 above a table typed in Unicode, "Êp 1" among "Ấp 1"),
    or when it reads as well both ways and another cell of its row proves the
    encoding (the rows one branch typed in TCVN3). `uppercase_cell(row, col)`
    tells whether a cell is set in an uppercase TCVN3 font; it is asked about
    the cells to be converted only. Rows without a converted cell are shared
    with the input.
    """
    if not _may_hold_legacy_text(rows):
        return rows, []
    grid = list(rows)
    conversions: list[Conversion] = []
    columns = [(values, _column(values)) for values in _columns(rows)]
    detected = {c.detection.encoding for _, c in columns if c.detection is not None}
    sheet = next(iter(detected)) if len(detected) == 1 else None
    for col, (values, column) in enumerate(columns):
        plan = _plan(column, sheet, with_ascii=uppercase_cell is not None)
        by_row: dict[int, Encoding] = {}  # the row-dependent cells to convert
        if plan.in_legacy_rows:
            options = plan.in_legacy_rows
            for r in itertools.compress(itertools.count(), map(options.__contains__, values)):
                encoding = _row_encoding(rows[r], col)
                if encoding is not None and encoding in options[cast(str, values[r])]:
                    by_row[r] = encoding
        if not plan.convert and not by_row:
            continue
        encodings = set(plan.convert.values())
        converted: dict[object, str] = {}
        for encoding in encodings:
            texts = (
                list(plan.convert)
                if len(encodings) == 1
                else [t for t, e in plan.convert.items() if e == encoding]
            )
            converted.update(zip(texts, _to_unicode_all(texts, encoding), strict=True))
        if uppercase_cell is None:
            new_values = list(map(converted.get, values, values))
        else:
            new_values = list(values)
            for r in itertools.compress(itertools.count(), map(converted.__contains__, values)):
                new = converted[values[r]]
                new_values[r] = new.upper() if uppercase_cell(r, col) else new
        for r, encoding in by_row.items():
            new = to_unicode(str(values[r]), encoding)
            upper = uppercase_cell is not None and uppercase_cell(r, col)
            new_values[r] = new.upper() if upper else new
        changed = [
            r
            for r in itertools.compress(itertools.count(), map(operator.is_not, values, new_values))
            if values[r] != new_values[r]
        ]
        for r in changed:
            row = grid[r]
            if row is rows[r]:
                row = grid[r] = list(row)
            row[col] = cast(CellT, new_values[r])
        rows_by_encoding: dict[Encoding, list[int]] = {}
        if len(encodings) == 1 and not by_row:
            rows_by_encoding[next(iter(encodings))] = changed
        else:
            for r in changed:
                encoding = by_row.get(r) or plan.convert[str(values[r])]
                rows_by_encoding.setdefault(encoding, []).append(r)
        for encoding, encoded_rows in rows_by_encoding.items():
            if encoded_rows:
                first = encoded_rows[0]
                before, after = str(values[first]), str(new_values[first])
                conversions.append(Conversion(col, encoding, len(encoded_rows), before, after))
    return grid, conversions
