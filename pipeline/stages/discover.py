"""Stage `discover`: find the roster files and the organization each belongs to.

The organization comes from, in order: the analysts' mapping file
`to_chuc.toml`, the folder names (nearest first), then the file name. A file
still undecided is decided by `load` from its title rows.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path, PurePosixPath

from pipeline.models import Organization, Problem, Severity, SourceFile
from pipeline.settings import ROSTER_SUFFIXES, Settings
from pipeline.text import fold

MAPPING_FILE = "to_chuc.toml"
INSTRUCTIONS_FILE = "HUONG_DAN.txt"
# The optional population and member-totals tables (pipeline.tables), not rosters.
TABLES_FOLDER = "bang_so_lieu"
_TOKEN = re.compile(r"[0-9a-z]+")

Span = tuple[int, int, str]  # first token, end token (exclusive), organization code


@lru_cache(maxsize=8)
def _alias_table(
    organizations: tuple[Organization, ...],
) -> tuple[tuple[tuple[str, ...], str], ...]:
    """Token sequences naming each organization.

    Besides its aliases, an organization is named by its full name and by its
    member word when no other organization shares it: "đoàn viên công đoàn"
    must cover both "đoàn viên" (the Đoàn's alias) and "công đoàn", while
    "hội viên" names no association in particular.
    """
    member_words = [fold(org.member_word) for org in organizations]
    table: set[tuple[tuple[str, ...], str]] = set()
    for org, member_word in zip(organizations, member_words, strict=True):
        phrases = [*org.aliases, org.name]
        if member_words.count(member_word) == 1:
            phrases.append(org.member_word)
        for phrase in phrases:
            tokens = tuple(_TOKEN.findall(fold(phrase)))
            if tokens:
                table.add((tokens, org.code))
    return tuple(sorted(table))


def find_organizations(text: str, organizations: Sequence[Organization]) -> frozenset[str]:
    """Codes of the organizations a text names, by whole-word alias match.

    Text and aliases are folded (no diacritics, đ -> d) and split into words,
    so "doan" never matches inside "doanh". When one match lies inside a
    longer one ("đoàn" inside "công đoàn"), only the longer counts. More than
    one code in the result means the text is ambiguous.
    """
    tokens = _TOKEN.findall(fold(text))
    spans: list[Span] = []
    for alias, code in _alias_table(tuple(organizations)):
        size = len(alias)
        spans.extend(
            (start, start + size, code)
            for start in range(len(tokens) - size + 1)
            if tuple(tokens[start : start + size]) == alias
        )
    kept = {
        code
        for start, end, code in spans
        if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in spans)
    }
    return frozenset(kept)


def organization_names(codes: Iterable[str], settings: Settings) -> str:
    """Vietnamese list of organization names, for messages."""
    return ", ".join(settings.organization(code).name for code in sorted(codes))


def discover(input_dir: Path, settings: Settings) -> tuple[list[SourceFile], list[Problem]]:
    if not input_dir.is_dir():
        return [], [
            _problem(
                str(input_dir),
                "DISCOVER_NO_INPUT_DIR",
                f"Không tìm thấy thư mục đầu vào '{input_dir}'. Hãy tạo thư mục này và "
                "chép các tệp danh sách vào đó.",
                Severity.FILE,
            )
        ]
    problems: list[Problem] = []
    mapping = _read_mapping(input_dir, settings, problems)
    files: list[SourceFile] = []
    for path in _roster_paths(input_dir, problems):
        relative = _relative(path, input_dir)
        code, reason = _decide(relative, mapping, settings, problems)
        files.append(SourceFile(path, relative, code, reason))
    return files, problems


def _relative(path: Path, root: Path) -> str:
    # macOS stores names decomposed (NFD); record ids and messages use NFC.
    return unicodedata.normalize("NFC", path.relative_to(root).as_posix())


def _roster_paths(input_dir: Path, problems: list[Problem]) -> list[Path]:
    paths: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(input_dir):
        folder = Path(dirpath)
        kept_dirs = []
        for name in sorted(dirnames):
            if name.startswith("."):
                problems.append(
                    _note(
                        _relative(folder / name, input_dir),
                        "DISCOVER_HIDDEN",
                        f"Bỏ qua thư mục ẩn '{name}': thư mục có tên bắt đầu bằng dấu chấm "
                        "thường do máy tính tạo ra, không chứa danh sách.",
                    )
                )
            elif not (folder == input_dir and name == TABLES_FOLDER):
                kept_dirs.append(name)
        # os.walk descends into exactly the folders left in dirnames, in order.
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            path = folder / name
            if _skip(path, input_dir, problems):
                continue
            paths.append(path)
    return paths


def _skip(path: Path, input_dir: Path, problems: list[Problem]) -> bool:
    name = path.name
    relative = _relative(path, input_dir)
    if path.parent == input_dir and name in (INSTRUCTIONS_FILE, MAPPING_FILE):
        return True
    if name.startswith("~$"):
        message = (
            f"Bỏ qua tệp khóa của Excel '{name}': tệp này do Excel tạo khi đang mở, "
            "không phải danh sách."
        )
        problems.append(_note(relative, "DISCOVER_LOCK_FILE", message))
        return True
    if name.startswith("."):
        message = (
            f"Bỏ qua tệp ẩn '{name}': tệp có tên bắt đầu bằng dấu chấm thường do máy tính "
            "tạo ra, không phải danh sách."
        )
        problems.append(_note(relative, "DISCOVER_HIDDEN", message))
        return True
    if path.suffix.lower() not in ROSTER_SUFFIXES:
        message = (
            f"Bỏ qua tệp '{name}': không phải tệp danh sách (chỉ đọc các tệp "
            f"{', '.join(ROSTER_SUFFIXES)}). Nếu đây là danh sách, hãy lưu lại dưới dạng .xlsx."
        )
        problems.append(_note(relative, "DISCOVER_NOT_ROSTER", message))
        return True
    return False


def _read_mapping(
    input_dir: Path, settings: Settings, problems: list[Problem]
) -> list[tuple[str, str]]:
    """(pattern, code) pairs from to_chuc.toml; entries that cannot be used are reported."""
    path = input_dir / MAPPING_FILE
    if not path.is_file():
        return []
    example = '[tep]\n"Hoi LHPN/*.xlsx" = "phunu"'
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle).get("tep", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        message = (
            f"Tệp {MAPPING_FILE} viết sai cú pháp ({exc}); đã bỏ qua toàn bộ tệp này. "
            f"Hãy sửa theo mẫu:\n{example}"
        )
        problems.append(_problem(MAPPING_FILE, "DISCOVER_MAPPING_INVALID", message, Severity.FILE))
        return []
    if not isinstance(table, dict):
        message = f"Tệp {MAPPING_FILE} cần một bảng [tep]; đã bỏ qua. Hãy viết theo mẫu:\n{example}"
        problems.append(_problem(MAPPING_FILE, "DISCOVER_MAPPING_INVALID", message, Severity.FILE))
        return []
    codes = settings.organization_codes
    mapping = []
    for pattern, code in table.items():
        if isinstance(code, str) and code in codes:
            mapping.append((pattern, code))
            continue
        message = (
            f"Trong {MAPPING_FILE}, mẫu '{pattern}' gán cho '{code}' không phải mã tổ chức; "
            f"đã bỏ qua dòng này. Các mã hợp lệ: {', '.join(codes)}."
        )
        problems.append(
            _problem(MAPPING_FILE, "DISCOVER_MAPPING_UNKNOWN_CODE", message, Severity.FILE, pattern)
        )
    return mapping


def _decide(
    relative: str,
    mapping: list[tuple[str, str]],
    settings: Settings,
    problems: list[Problem],
) -> tuple[str | None, str]:
    orgs = settings.organizations
    key = relative.casefold()
    mapped = {code for pattern, code in mapping if fnmatch.fnmatchcase(key, pattern.casefold())}
    if mapped:
        if len(mapped) > 1:
            return None, (
                f"tệp {MAPPING_FILE} gán tệp này cho nhiều tổ chức "
                f"({organization_names(mapped, settings)})"
            )
        code = next(iter(mapped))
        _check_file_name(relative, code, f"tệp {MAPPING_FILE}", settings, problems)
        return code, f"theo tệp {MAPPING_FILE}"

    parts = PurePosixPath(relative).parts
    for folder in reversed(parts[:-1]):
        found = find_organizations(folder, orgs)
        if len(found) > 1:
            return None, (
                f"tên thư mục '{folder}' nêu nhiều tổ chức ({organization_names(found, settings)})"
            )
        if found:
            code = next(iter(found))
            _check_file_name(relative, code, f"thư mục '{folder}'", settings, problems)
            return code, f"theo tên thư mục '{folder}'"

    found = find_organizations(_file_words(relative), orgs)
    if len(found) > 1:
        return None, f"tên tệp nêu nhiều tổ chức ({organization_names(found, settings)})"
    if found:
        return next(iter(found)), "theo tên tệp"
    return None, "tên thư mục và tên tệp không cho biết tổ chức"


def _file_words(relative: str) -> str:
    return re.sub(r"[_-]", " ", PurePosixPath(relative).stem)


def _check_file_name(
    relative: str, code: str, source: str, settings: Settings, problems: list[Problem]
) -> None:
    """Note a file name naming another organization than the source that decided."""
    named = find_organizations(_file_words(relative), settings.organizations)
    if named and code not in named:
        message = (
            f"Tên tệp gợi ý {organization_names(named, settings)} nhưng {source} cho biết "
            f"tệp thuộc {settings.organization(code).name}; đã dùng theo {source}. "
            f"Nếu sai, hãy chuyển tệp sang thư mục đúng tổ chức hoặc sửa tệp {MAPPING_FILE}."
        )
        problems.append(_note(relative, "DISCOVER_ORG_DISAGREE", message, code))


def _note(source: str, rule: str, message: str, organization: str | None = None) -> Problem:
    return _problem(source, rule, message, Severity.NOTE, organization=organization)


def _problem(
    source: str,
    rule: str,
    message: str,
    severity: Severity,
    value: str = "",
    organization: str | None = None,
) -> Problem:
    return Problem(
        source_file=source,
        sheet="",
        row=None,
        column="",
        value=value,
        rule=rule,
        message=message,
        severity=severity,
        organization=organization,
    )
