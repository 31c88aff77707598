"""validate: parse each row into the canonical member record and check it.

Parsing (dates, tick marks, IDs, phones) happens here, once per distinct cell
value, because the checks need typed values; the pandera models in
`schemas/member.py` do the checking, lazily, so all problems of all rows are
collected in one call. `RULES` says, for every rule code of every stage, how a
problem is explained in `Lỗi dữ liệu.xlsx`; for this stage's own rules it also
gives the severity: a blocking problem rejects the row, a warning keeps it.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline.models import Organization, Problem, Severity
from pipeline.settings import Settings, SettingsError
from pipeline.values import (
    CITIZEN_ID_PATTERN,
    PHONE_PATTERN,
    display_text,
    map_distinct,
    map_distinct_text,
    mentions_away,
    normalize_citizen_id,
    normalize_phone,
    parse_dates,
    parse_mark,
    parse_sex,
    year_in_title,
)
from schemas.member import (
    RULE_MODELS,
    MemberSchema,
    age_at_joining,
    age_in_roster_year,
    citizen_id_birth_year,
    citizen_id_sex,
)


@dataclass(frozen=True)
class Rule:
    """How a problem is explained to the organization that has to fix it."""

    title: str  # Vietnamese: the rule broken, in plain words
    fix: str = ""  # Vietnamese: what to do; "" when the problem's own message says it
    # Set for this stage's rules only; the other stages decide their problems' severity.
    severity: Severity | None = None
    # Vietnamese message of one problem; {name} fields are filled in per row
    # (see _MESSAGE_VALUES).
    message: str = ""
    # Raw fields the problem points at; the first one the row has a value in is
    # shown (a core member away is marked in the "away" column or in a note).
    fields: tuple[str, ...] = ()


_CHECK_BIRTH = "Kiểm tra lại ngày sinh (thường do gõ nhầm năm)."
_CHECK_CARD = "Kiểm tra lại số CCCD và thông tin của người này theo thẻ căn cước."
_CHECK_JOIN = "Kiểm tra lại ngày vào tổ chức và ngày sinh."

# Rule(title, fix, severity, message, fields); the order is the order problems
# of one row are listed in.
RULES: dict[str, Rule] = {
    # --- validate: the row is rejected -------------------------------------
    "name_missing": Rule(
        "Thiếu họ và tên",
        "Bổ sung họ và tên; nếu dòng này không phải một người trong danh sách, hãy xóa dòng.",
        Severity.BLOCKING,
        "Dòng có thông tin nhưng không có họ và tên nên không thể đối chiếu.",
        ("full_name",),
    ),
    "birth_unreadable": Rule(
        "Không đọc được ngày sinh",
        "Ghi ngày sinh theo dạng ngày/tháng/năm (ví dụ 05/09/1985) hoặc chỉ ghi năm sinh.",
        Severity.BLOCKING,
        "Ngày sinh không phải một ngày có thật hoặc một năm.",
        ("birth_date",),
    ),
    "birth_in_future": Rule(
        "Ngày sinh ở tương lai",
        _CHECK_BIRTH,
        Severity.BLOCKING,
        "Ngày sinh sau ngày hôm nay.",
        ("birth_date",),
    ),
    "birth_before_1900": Rule(
        "Năm sinh trước 1900",
        _CHECK_BIRTH,
        Severity.BLOCKING,
        "Năm sinh {birth_year} trước năm 1900.",
        ("birth_date",),
    ),
    "no_birth_year_no_id": Rule(
        "Thiếu cả năm sinh và số CCCD/CMND",
        "Bổ sung ngày sinh (ít nhất là năm sinh) hoặc số CCCD/CMND.",
        Severity.BLOCKING,
        "Không có năm sinh và không có số CCCD/CMND nên không thể đối chiếu người này với "
        "các danh sách khác.",
        ("birth_date", "citizen_id"),
    ),
    # --- validate: the row is used, the organization should fix it ---------
    "birth_year_only": Rule(
        "Chỉ có năm sinh",
        "Bổ sung ngày, tháng sinh để đối chiếu chính xác hơn.",
        Severity.WARNING,
        "Chỉ ghi năm sinh, không có ngày và tháng sinh.",
        ("birth_date",),
    ),
    "core_without_address": Rule(
        "Nòng cốt chưa có địa chỉ",
        "Bổ sung địa chỉ (ấp/khu phố, xã/phường); theo chỉ đạo, nòng cốt phải có địa chỉ.",
        Severity.WARNING,
        "Là nòng cốt nhưng chưa có địa chỉ.",
        ("address",),
    ),
    "core_without_position": Rule(
        "Nòng cốt chưa có chức vụ, vị trí",
        "Bổ sung chức vụ hoặc vị trí trong tổ chức (ví dụ Chi hội trưởng, Tổ trưởng, Ủy viên); "
        "theo chỉ đạo, nòng cốt phải có vị trí trong tổ chức.",
        Severity.WARNING,
        "Là nòng cốt nhưng chưa có chức vụ hoặc vị trí trong tổ chức.",
        ("position",),
    ),
    "core_away": Rule(
        "Nòng cốt đi làm ăn xa",
        "Xem xét lại việc công nhận là nòng cốt: nòng cốt cần có mặt ở địa phương để tham gia "
        "sinh hoạt và nhận nhiệm vụ.",
        Severity.WARNING,
        "Là nòng cốt nhưng được ghi là đi làm ăn xa hoặc tạm vắng.",
        ("away", "note"),
    ),
    "age_out_of_range": Rule(
        "Tuổi ngoài độ tuổi của tổ chức",
        "Kiểm tra lại năm sinh; nếu đúng, xem lại việc người này còn trong danh sách.",
        Severity.WARNING,
        "{age} tuổi trong năm {year}, trong khi {org} gồm {member_word} {age_range}.",
        ("birth_date",),
    ),
    "veteran_too_young": Rule(
        "Chưa đủ tuổi để từng phục vụ trong quân đội",
        "Kiểm tra lại năm sinh; hội viên phải là người đã phục vụ trong quân đội.",
        Severity.WARNING,
        "{age} tuổi trong năm {year}, chưa đủ {service_age} tuổi nên chưa thể đã nhập ngũ và "
        "phục vụ trong quân đội.",
        ("birth_date",),
    ),
    "sex_unreadable": Rule(
        "Không đọc được giới tính",
        "Ghi giới tính là 'Nam' hoặc 'Nữ'.",
        Severity.WARNING,
        "Giới tính không phải 'Nam' hay 'Nữ'.",
        ("sex",),
    ),
    "sex_not_accepted": Rule(
        "Giới tính không phù hợp với tổ chức",
        "Kiểm tra lại giới tính; nếu đúng, người này không thuộc danh sách của tổ chức.",
        Severity.WARNING,
        "Giới tính ghi là {sex}, trong khi {org} chỉ gồm {member_word} {accepted_sex}.",
        ("sex",),
    ),
    "sex_conflict": Rule(
        "Giới tính không khớp cột ngày sinh Nam/Nữ",
        "Sửa cột giới tính, hoặc chuyển ngày sinh sang đúng cột Nam hay Nữ.",
        Severity.WARNING,
        "Cột giới tính ghi {sex}, nhưng ngày sinh được ghi ở cột {column_sex}.",
        ("sex",),
    ),
    "citizen_id_malformed": Rule(
        "Số CCCD/CMND không đúng dạng",
        "Ghi đủ 12 chữ số của CCCD (hoặc 9 chữ số của CMND cũ), dưới dạng văn bản để không mất "
        "số 0 ở đầu.",
        Severity.WARNING,
        "Số CCCD phải có 12 chữ số, chữ số thứ tư là 0, 1, 2 hoặc 3; số CMND có 9 chữ số. Số "
        "này không đúng dạng đó nên không được dùng để đối chiếu.",
        ("citizen_id",),
    ),
    "citizen_id_province": Rule(
        "Mã tỉnh trong số CCCD không có thật",
        _CHECK_CARD,
        Severity.WARNING,
        "Ba chữ số đầu của số CCCD ({province_code}) không phải mã tỉnh, thành phố nào.",
        ("citizen_id",),
    ),
    "citizen_id_birth_year": Rule(
        "Số CCCD không khớp năm sinh",
        _CHECK_CARD + " Chữ số thứ tư cho biết thế kỷ, chữ số thứ năm và sáu là hai số cuối của "
        "năm sinh.",
        Severity.WARNING,
        "Số CCCD cho biết năm sinh {id_year}, nhưng danh sách ghi năm sinh {birth_year}.",
        ("citizen_id",),
    ),
    "citizen_id_sex": Rule(
        "Số CCCD không khớp giới tính",
        _CHECK_CARD + " Chữ số thứ tư chẵn là nam, lẻ là nữ.",
        Severity.WARNING,
        "Số CCCD cho biết giới tính {id_sex}, nhưng danh sách ghi {sex}.",
        ("citizen_id",),
    ),
    "citizen_id_shared": Rule(
        "Một số CCCD/CMND ghi cho nhiều người",
        "Kiểm tra lại số CCCD/CMND của từng người theo thẻ căn cước.",
        Severity.WARNING,
        "Cùng số này, trong cùng tệp, còn được ghi cho {others}.",
        ("citizen_id",),
    ),
    "phone_invalid": Rule(
        "Số điện thoại không đúng dạng",
        "Kiểm tra lại số điện thoại; ghi dưới dạng văn bản để không mất số 0 ở đầu.",
        Severity.WARNING,
        "Không phải số điện thoại Việt Nam: số di động có 10 chữ số, bắt đầu bằng 03, 05, 07, "
        "08 hoặc 09; số cố định có 11 chữ số, bắt đầu bằng 02.",
        ("phone",),
    ),
    "join_date_unreadable": Rule(
        "Không đọc được ngày vào tổ chức",
        "Ghi theo dạng ngày/tháng/năm (ví dụ 26/03/2015) hoặc chỉ ghi năm.",
        Severity.WARNING,
        "Ngày vào tổ chức không phải một ngày có thật hoặc một năm.",
        ("join_date",),
    ),
    "join_in_future": Rule(
        "Ngày vào tổ chức ở tương lai",
        _CHECK_JOIN,
        Severity.WARNING,
        "Ngày vào tổ chức sau ngày hôm nay.",
        ("join_date",),
    ),
    "join_before_birth": Rule(
        "Ngày vào tổ chức trước ngày sinh",
        _CHECK_JOIN,
        Severity.WARNING,
        "Ngày vào tổ chức trước ngày sinh.",
        ("join_date",),
    ),
    "join_too_young": Rule(
        "Vào tổ chức khi chưa đủ tuổi",
        _CHECK_JOIN,
        Severity.WARNING,
        "Vào tổ chức khi {join_age} tuổi, trong khi {org} nhận {member_word} từ {min_age} tuổi.",
        ("join_date",),
    ),
    # --- discover and load: their messages say what to do ------------------
    "DISCOVER_NO_INPUT_DIR": Rule("Không có thư mục đầu vào"),
    "DISCOVER_HIDDEN": Rule("Tệp hoặc thư mục ẩn, đã bỏ qua"),
    "DISCOVER_LOCK_FILE": Rule("Tệp khóa của Excel, đã bỏ qua"),
    "DISCOVER_NOT_ROSTER": Rule("Không phải tệp danh sách, đã bỏ qua"),
    "DISCOVER_MAPPING_INVALID": Rule("Tệp to_chuc.toml viết sai"),
    "DISCOVER_MAPPING_UNKNOWN_CODE": Rule("Mã tổ chức sai trong to_chuc.toml"),
    "DISCOVER_ORG_DISAGREE": Rule("Tên tệp nêu tổ chức khác"),
    "LOAD_UNREADABLE": Rule("Không đọc được tệp"),
    "LOAD_FAILED": Rule("Lỗi không lường trước khi đọc tệp"),
    "LOAD_NO_TABLE": Rule("Tệp không có bảng danh sách"),
    "LOAD_EMPTY_SHEET": Rule("Trang tính trống"),
    "LOAD_NO_HEADER": Rule("Không tìm thấy dòng tên cột"),
    "LOAD_ORG_UNKNOWN": Rule("Không xác định được tổ chức của tệp"),
    "LOAD_ORG_FROM_TITLE": Rule("Tổ chức xác định theo tiêu đề"),
    "LOAD_ORG_DISAGREE": Rule("Tiêu đề nêu tổ chức khác"),
    "LOAD_UNKNOWN_COLUMN": Rule("Cột không nhận ra"),
    "LOAD_DUPLICATE_COLUMN": Rule("Nhiều cột cùng một loại thông tin"),
    "LOAD_BIRTH_IN_BOTH_SEXES": Rule("Ngày sinh ở cả cột Nam và cột Nữ"),
    "LOAD_SUBTOTAL": Rule("Dòng tổng cộng"),
    "LOAD_COLUMN_NUMBERS": Rule("Dòng đánh số cột"),
    "LOAD_REPEATED_HEADER": Rule("Dòng lặp lại tên cột"),
    "LOAD_SECTION_HEADING": Rule("Dòng tiêu đề nhóm trong bảng"),
    "LOAD_HIDDEN_SHEET": Rule("Trang tính bị ẩn"),
    "LOAD_FOOTER": Rule("Phần chữ ký cuối danh sách"),
    "LOAD_AFTER_FOOTER": Rule("Dòng sau phần chữ ký"),
    "LOAD_LEGACY_ENCODING": Rule("Chữ gõ bằng bảng mã cũ, đã chuyển sang Unicode"),
    # --- normalize and the review loop: their messages say what to do -------
    "ADDRESS_UNPLACED": Rule("Không xác định chắc chắn được xã, phường"),
    "REVIEW_UNREADABLE": Rule("Không đọc được sổ rà soát"),
    "REVIEW_ROW_DAMAGED": Rule("Dòng của sổ rà soát bị sửa hỏng"),
    "REVIEW_INCOMPLETE": Rule("Nhóm rà soát điền chưa đủ"),
    "REVIEW_UNCLEAR": Rule("Quyết định rà soát không rõ"),
    "REVIEW_KEEPS_INVALID": Rule("Tổ chức giữ nòng cốt không thuộc nhóm"),
    "REVIEW_NO_REVIEWER": Rule("Quyết định chưa ghi người rà soát"),
    "LEDGER_LINE_UNREADABLE": Rule("Dòng sổ quyết định bị hỏng"),
    "REGISTRY_UNREADABLE": Rule("Không đọc được bảng mã người"),
}
VALIDATE_RULES = {code: rule for code, rule in RULES.items() if rule.severity is not None}
RULE_ORDER = {code: rank for rank, code in enumerate(RULES)}


def rule_for(code: str) -> Rule:
    """The rule of a problem's code; "LOAD_FAILED_ValueError" falls back to
    "LOAD_FAILED", and an unknown code is its own title."""
    parts = code.split("_")
    for end in range(len(parts), 0, -1):
        rule = RULES.get("_".join(parts[:end]))
        if rule is not None:
            return rule
    return Rule(code)


@dataclass(frozen=True)
class ValidateResult:
    records: pd.DataFrame
    problems: list[Problem]


_SEX_WORDS = {"M": "nam", "F": "nữ"}
_TEXT_FIELDS = (
    "full_name",
    "house_number",
    "address",
    "hamlet",
    "commune",
    "district",
    "province",
    "position",
    "branch",
    "ethnicity",
    "religion",
    "note",
)
# Loader column holding "Nam" or "Nữ" when a row's birth date came from the
# roster's "Nam" or "Nữ" birth-date column (None otherwise), so that an explicit
# sex column can be checked against it; without it the check passes.
BIRTH_COLUMN_SEX = "birth_column_sex"
_MODEL_COLUMNS = {model: list(model.to_schema().columns) for model in RULE_MODELS}


def validate(records: pd.DataFrame, settings: Settings) -> ValidateResult:
    """Records with VALIDATE_COLUMNS added, and one Problem per broken rule."""
    _check_switches(settings)
    members = member_frame(records, settings)
    failures = _failures(members, settings)
    table = _problem_table(failures, records, members, settings)
    blocking = table[table["severity"] == Severity.BLOCKING]
    reasons = np.full(len(records), "", dtype=object)
    joined = blocking.groupby("position", sort=False)["message"].agg(" ".join)
    reasons[joined.index.to_numpy(dtype=np.int64)] = joined.to_numpy()
    # Text stays in pandas' string type: a Python object per cell would take
    # several times the memory for the rest of the run.
    typed = {
        "status": pd.Series(np.where(reasons != "", "rejected", "accepted"), dtype="str"),
        "reason": pd.Series(reasons, dtype="str"),
        **{name: members[column] for name, column in _TYPED_COLUMNS.items()},
    }
    typed_records = records.assign(
        **{name: values.set_axis(records.index) for name, values in typed.items()}
    )
    problems = [
        Problem(*values)
        for values in zip(*(table[name].tolist() for name in _PROBLEM_FIELDS), strict=True)
    ]
    return ValidateResult(records=typed_records, problems=problems)


def _check_switches(settings: Settings) -> None:
    """Refuse a `disabled` entry that names no warning rule: a typo there would
    leave on a rule the analyst meant to switch off."""
    switchable = sorted(code for code, rule in RULES.items() if rule.severity is Severity.WARNING)
    for org in settings.organizations:
        unknown = sorted(org.disabled_rules - set(switchable))
        if unknown:
            raise SettingsError(
                f"Tổ chức '{org.code}' trong schemas/organizations.toml tắt quy tắc "
                f"{', '.join(unknown)}, nhưng không có quy tắc cảnh báo nào mang mã đó. Các mã "
                f"tắt được: {', '.join(switchable)}."
            )


# --- the canonical record -------------------------------------------------

# VALIDATE_COLUMNS taken from the member frame: record column -> member column.
_TYPED_COLUMNS = {
    "sex_code": "sex",
    "birth_year": "birth_year",
    "birth_iso": "birth_iso",
    "birth_precision": "birth_precision",
    "citizen_id_norm": "citizen_id",
    "citizen_id_province": "citizen_id_province",
    "phone_norm": "phone",
    "join_iso": "join_iso",
    "roster_year": "roster_year",
    "is_core": "is_core",
    "is_regular": "is_regular",
    "is_away": "is_away",
}


def _by_organization(
    organizations: pd.Series,
    settings: Settings,
    value: Callable[[Organization], int | str],
    default: int | str,
) -> pd.Series:
    """Each row's organization's `value`; `default` for an organization not in settings."""
    table = {org.code: value(org) for org in settings.organizations}
    return organizations.map(table).fillna(default)


def _kept_if(values: pd.Series, pattern: str) -> pd.Series:
    """`values` where they match `pattern` in full, else ""."""
    return values.where(values.str.fullmatch(pattern), "")


def member_frame(records: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The canonical record (MemberSchema) of every row, with the rules' inputs;
    indexed by position in `records`.

    Text columns are pandas' string type, built from each column's distinct
    values: the checks then compare and match whole columns at once.
    """
    today = datetime.date.today()
    rows = records.reset_index(drop=True)
    births = parse_dates(rows["birth_date"], pivot_year=today.year)
    joins = parse_dates(rows["join_date"], pivot_year=today.year)
    id_digits = map_distinct_text(rows["citizen_id"], normalize_citizen_id)
    citizen_id = _kept_if(id_digits, CITIZEN_ID_PATTERN)
    provinces = map_distinct_text(
        citizen_id.str[:3], lambda code: settings.citizen_id_provinces.get(str(code), "")
    )
    phone_digits = map_distinct_text(rows["phone"], normalize_phone)
    title_years = pd.Series(map_distinct(rows["sheet_title"], _title_year), dtype=object)
    birth_column_sex = (
        map_distinct_text(rows[BIRTH_COLUMN_SEX], parse_sex)
        if BIRTH_COLUMN_SEX in rows.columns
        else pd.Series("", index=rows.index, dtype="str")
    )
    organizations = rows["organization"]
    members = pd.DataFrame(
        {
            **{field: map_distinct_text(rows[field]) for field in _TEXT_FIELDS},
            "sex": map_distinct_text(rows["sex"], parse_sex),
            "sex_text": map_distinct_text(rows["sex"]),
            "birth_column_sex": birth_column_sex,
            "birth_iso": births["iso"],
            "birth_year": births["year"],
            "birth_ymd": births["ymd"],
            "birth_precision": births["precision"],
            "birth_unreadable": births["unreadable"],
            "citizen_id_digits": id_digits,
            "citizen_id": citizen_id,
            "citizen_id_province": provinces,
            "phone_digits": phone_digits,
            "phone": _kept_if(phone_digits, PHONE_PATTERN),
            "join_iso": joins["iso"],
            "join_year": joins["year"],
            "join_ymd": joins["ymd"],
            "join_unreadable": joins["unreadable"],
            # A core-only roster has no core column: all its rows are core.
            "is_core": map_distinct(rows["core"], parse_mark).astype(bool)
            | ~rows["core_column_present"].to_numpy(dtype=bool),
            "is_regular": map_distinct(rows["regular"], parse_mark).astype(bool),
            "is_away": map_distinct(rows["away"], parse_mark).astype(bool)
            | map_distinct(rows["note"], _away).astype(bool),
            "roster_year": title_years.fillna(settings.roster_year or today.year).astype(np.int64),
            "min_age": _by_organization(organizations, settings, lambda o: o.min_age or 0, 0),
            "max_age": _by_organization(organizations, settings, lambda o: o.max_age or 0, 0),
            "min_service_age": _by_organization(
                organizations, settings, lambda o: o.min_service_age or 0, 0
            ),
            "accepted_sex": _by_organization(organizations, settings, lambda o: o.sex, ""),
            "organization": map_distinct_text(organizations),
            "source_file": map_distinct_text(rows["source_file"]),
        },
        index=rows.index,
    )
    members = members.astype(
        {
            "min_age": np.int64,
            "max_age": np.int64,
            "min_service_age": np.int64,
            "accepted_sex": "str",
        }
    )
    # Any failure here is a parsing bug, not a roster problem: let it raise.
    MemberSchema.validate(members)
    return members


def _title_year(title: object) -> int | None:
    return year_in_title(title) if isinstance(title, str) else None


def _away(note: object) -> bool:
    return mentions_away(note)


# --- checking ---------------------------------------------------------------


def _failures(members: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """(position, rule) of every failed rule, once each, without the rules an
    organization switched off."""
    found = [pd.DataFrame({"position": np.array([], dtype=np.int64), "rule": []})]
    for model, columns in _MODEL_COLUMNS.items():
        try:
            model.validate(members[columns], lazy=True)
        except pa.errors.SchemaErrors as errors:
            cases = errors.failure_cases
            if not cases["check"].isin(VALIDATE_RULES).all():
                raise  # a type or schema failure: a bug in member_frame
            found.append(
                pd.DataFrame(
                    {
                        "position": cases["index"].to_numpy(dtype=np.int64),
                        "rule": cases["check"].to_numpy(dtype=object),
                    }
                )
            )
    failures = pd.concat(found, ignore_index=True).drop_duplicates(ignore_index=True)
    organizations = members["organization"].to_numpy()[failures["position"].to_numpy()]
    switched_off = np.zeros(len(failures), dtype=bool)
    for org in settings.organizations:
        if org.disabled_rules:
            switched_off |= (organizations == org.code) & failures["rule"].isin(
                org.disabled_rules
            ).to_numpy()
    return failures[~switched_off]


# --- problems -----------------------------------------------------------------

_PROBLEM_FIELDS = tuple(field.name for field in dataclasses.fields(Problem))
_TEMPLATE_FIELD = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class _Context:
    records: pd.DataFrame
    members: pd.DataFrame
    organizations: dict[str, Organization]


def _organization_text(
    rows: pd.DataFrame, ctx: _Context, text: Callable[[Organization], str]
) -> pd.Series:
    return rows["organization"].map({code: text(org) for code, org in ctx.organizations.items()})


def _age_range(org: Organization) -> str:
    if org.min_age and org.max_age:
        return f"từ {org.min_age} đến {org.max_age} tuổi"
    if org.min_age:
        return f"từ {org.min_age} tuổi trở lên"
    if org.max_age:
        return f"đến {org.max_age} tuổi"
    return "ở mọi độ tuổi"


def _sharers(rows: pd.DataFrame, ctx: _Context) -> list[str]:
    """For each row, the other rows of its file written with the same citizen ID."""
    keys = list(zip(rows["source_file"], rows["citizen_id"], strict=True))
    groups: dict[tuple[str, str], list[int]] = {}
    for position, key in zip(rows.index, keys, strict=True):
        groups.setdefault(key, []).append(position)
    names = ctx.members["full_name"].to_numpy(dtype=object)
    sheets = ctx.records["sheet"].to_numpy(dtype=object)
    row_numbers = ctx.records["row"].to_numpy(dtype=object)

    def shown(position: int) -> str:
        name = names[position] or "(không có tên)"
        return f"{name} (trang tính '{sheets[position]}', dòng {row_numbers[position]})"

    return [
        "; ".join(shown(other) for other in groups[key] if other != position)
        for position, key in zip(rows.index, keys, strict=True)
    ]


# Values of the {name} fields in RULES messages, for the failing rows.
_MESSAGE_VALUES: dict[str, Callable[[pd.DataFrame, _Context], Iterable[object]]] = {
    "age": lambda rows, _: age_in_roster_year(rows),
    "year": lambda rows, _: rows["roster_year"],
    "birth_year": lambda rows, _: rows["birth_year"],
    "org": lambda rows, ctx: _organization_text(rows, ctx, lambda org: org.name),
    "member_word": lambda rows, ctx: _organization_text(rows, ctx, lambda org: org.member_word),
    "age_range": lambda rows, ctx: _organization_text(rows, ctx, _age_range),
    "min_age": lambda rows, _: rows["min_age"],
    "service_age": lambda rows, _: rows["min_service_age"],
    "sex": lambda rows, _: rows["sex"].map(_SEX_WORDS),
    "accepted_sex": lambda rows, _: rows["accepted_sex"].map(_SEX_WORDS),
    "column_sex": lambda rows, _: rows["birth_column_sex"].map({"M": "Nam", "F": "Nữ"}),
    "id_year": lambda rows, _: citizen_id_birth_year(rows["citizen_id"]),
    "id_sex": lambda rows, _: citizen_id_sex(rows["citizen_id"]).map(_SEX_WORDS),
    "province_code": lambda rows, _: rows["citizen_id"].str[:3],
    "join_age": lambda rows, _: age_at_joining(rows),
    "others": _sharers,
}


def _messages(rule: Rule, positions: np.ndarray, ctx: _Context) -> list[str]:
    names = sorted(set(_TEMPLATE_FIELD.findall(rule.message)))
    if not names:
        return [rule.message] * len(positions)
    rows = ctx.members.iloc[positions]
    columns = [list(_MESSAGE_VALUES[name](rows, ctx)) for name in names]
    return [
        rule.message.format(**dict(zip(names, values, strict=True)))
        for values in zip(*columns, strict=True)
    ]


def _pointed_cells(
    records: pd.DataFrame, positions: np.ndarray, fields: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """(field, value as displayed) of the cell each problem points at: the first
    of `fields` holding a value, else the first field (an empty cell)."""
    columns = np.full(len(positions), fields[0], dtype=object)
    values = np.full(len(positions), "", dtype=object)
    for field in reversed(fields):
        shown = map_distinct(records[field].iloc[positions], display_text)
        present = shown != ""
        columns[present] = field
        values[present] = shown[present]
    return columns, values


def _problem_table(
    failures: pd.DataFrame, records: pd.DataFrame, members: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """One row per problem (the Problem fields and the record's position), in
    file, sheet, row and rule order."""
    ctx = _Context(records, members, {org.code: org for org in settings.organizations})
    located = {
        name: records[name].to_numpy(dtype=object)
        for name in ("source_file", "sheet", "row", "organization")
    }
    parts: dict[str, list[np.ndarray]] = {
        name: [np.array([], dtype=np.int64 if name in ("position", "rank") else object)]
        for name in ("position", *_PROBLEM_FIELDS, "rank")
    }
    for code, failing in failures.groupby("rule", sort=False):
        rule = VALIDATE_RULES[str(code)]
        positions = np.sort(failing["position"].to_numpy(dtype=np.int64))
        columns, values = _pointed_cells(records, positions, rule.fields)
        part = {
            "position": positions,
            **{name: array[positions] for name, array in located.items()},
            "column": columns,
            "value": values,
            "rule": np.full(len(positions), code, dtype=object),
            "message": np.array(_messages(rule, positions, ctx), dtype=object),
            "severity": np.full(len(positions), rule.severity, dtype=object),
            "rank": np.full(len(positions), RULE_ORDER[str(code)], dtype=np.int64),
        }
        for name, array in part.items():
            parts[name].append(array)
    # Built from whole columns, typed explicitly: pandas would otherwise infer
    # its string type for text, a copy of every value.
    table = pd.DataFrame(
        {
            name: pd.Series(np.concatenate(arrays), dtype=arrays[0].dtype)
            for name, arrays in parts.items()
        }
    )
    return table.sort_values(["source_file", "sheet", "row", "rank"], kind="stable")
