"""The decision ledger: reviewers' decisions kept from run to run.

Reviewers write decisions into the review workbook (pipeline.workbooks.review).
Each run first reads every review workbook it can find — the one in the output
folder, filled in place, and any copy saved, under any name, in the review
folder — and appends the decisions it has not seen before to the ledger, so
that the workbook can be overwritten, renamed or lost without losing one.

The ledger folder (next to the input folder by default) holds the
Commission's data, not the program's: it is never inside the output folder,
and git keeps only its instructions.
- `so_quyet_dinh.jsonl`: one JSON object per decision, appended with flush and
  fsync and never rewritten; a later decision on the same records supersedes
  an earlier one but both stay. Each line names its records by fingerprint
  (pipeline.identity) and keeps them as the reviewer saw them, says who
  decided and when, and which run collected it (`batch`).
- `ma_nguoi.csv`: the person-id registry (fingerprint -> person id), rewritten
  atomically after each run; it only ever grows.

A review workbook is recognised by its hidden machine columns, not by its
name; files that cannot be read, and groups filled only halfway, become
problems and are skipped: the ledger keeps everything recorded before.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline import readers, safety
from pipeline.atomic import atomic_write
from pipeline.models import Problem, Severity
from pipeline.readers import Cell, Row, UnreadableFileError
from pipeline.settings import Settings
from pipeline.stages import report
from pipeline.stages.decide import VERDICT_LABELS, Decision, RecordRef, Verdict
from pipeline.text import display_value, fold
from pipeline.values import UnreadableDate, parse_date
from pipeline.workbooks import review

LEDGER_FOLDER = "quyet_dinh"
REVIEW_FOLDER = "ra_soat"
LEDGER_FILE = "so_quyet_dinh.jsonl"
REGISTRY_FILE = "ma_nguoi.csv"
FORMAT_VERSION = 1
REVIEW_SUFFIXES = (".xlsx", ".xlsm", ".ods")

# Folded decision text -> verdict. Besides the dropdown's values, the ways
# people type them when a value is pasted or typed past the dropdown.
_VERDICT_WORDS = {fold(label): verdict for verdict, label in VERDICT_LABELS.items()} | {
    "cung 1 nguoi": Verdict.SAME,
    "cung nguoi": Verdict.SAME,
    "khac": Verdict.DIFFERENT,
    "khac nhau": Verdict.DIFFERENT,
}
_REGISTRY_HEADER = ("fingerprint", "person_id")


class LedgerError(Exception):
    """The ledger folder cannot be read or written: the run stops rather than
    go on without the decisions."""


def default_folders(input_dir: Path) -> tuple[Path, Path]:
    """(ledger folder, review folder): next to the input folder."""
    parent = input_dir.absolute().parent
    return parent / LEDGER_FOLDER, parent / REVIEW_FOLDER


# --- The ledger file ----------------------------------------------------------


class Ledger:
    """The decisions recorded so far and the person-id registry (a DecisionStore)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LEDGER_FILE
        self.registry_path = folder / REGISTRY_FILE
        self.problems: list[Problem] = []
        self._decisions: list[Decision] = []
        self._batches: dict[str, int] = {}
        self._registry_readable = True
        try:
            self._read()
            self._registry = self._read_registry()
        except OSError as exc:
            raise LedgerError(
                f"không đọc được sổ quyết định trong '{folder}' ({exc.strerror or exc}); hãy "
                "kiểm tra quyền đọc thư mục rồi chạy lại"
            ) from exc

    def decisions(self) -> Sequence[Decision]:
        return self._decisions

    def person_ids(self) -> Mapping[str, str]:
        return self._registry

    def unseen(self, decisions: Iterable[Decision]) -> list[Decision]:
        """The decisions not in the ledger yet (a workbook read again adds nothing)."""
        known = {decision.decision_id for decision in self._decisions}
        fresh = []
        for decision in decisions:
            if decision.decision_id not in known:
                known.add(decision.decision_id)
                fresh.append(decision)
        return fresh

    def append(self, decisions: Sequence[Decision], *, persist: bool = True) -> list[Decision]:
        """Add decisions as one new batch; write them to the file unless `persist`
        is False (a preview that must leave the ledger as it is)."""
        if not decisions:
            return []
        label = f"{_now()}#{secrets.token_hex(3)}"
        self._batches[label] = batch = len(self._batches) + 1
        added = [replace(decision, batch=batch) for decision in decisions]
        if persist:
            lines = "".join(
                json.dumps(_entry(decision, label), ensure_ascii=False) + "\n" for decision in added
            )
            try:
                self._append(lines.encode("utf-8"))
            except OSError as exc:
                raise LedgerError(
                    f"không ghi được vào sổ quyết định '{self.path}' ({exc.strerror or exc}); các "
                    "quyết định vẫn còn trong tệp rà soát, hãy kiểm tra quyền ghi rồi chạy lại"
                ) from exc
        self._decisions.extend(added)
        return added

    def _append(self, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as handle:
            # A line cut short by a crash must not swallow the next one.
            handle.seek(0, os.SEEK_END)
            if handle.tell():
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def save_person_ids(self, current: Mapping[str, str]) -> None:
        """Merge this run's ids into the registry; fingerprints not seen this run
        keep theirs, so a roster missing for one run comes back under the same ids."""
        # An unreadable registry is left for someone to restore, not overwritten.
        if not self._registry_readable:
            return
        merged = {**self._registry, **current}
        if merged == self._registry and self.registry_path.exists():
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with (
                atomic_write(self.registry_path) as temp,
                temp.open("w", newline="", encoding="utf-8") as handle,
            ):
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(_REGISTRY_HEADER)
                writer.writerows(sorted(merged.items()))
        except OSError as exc:
            raise LedgerError(
                f"không ghi được sổ mã người '{self.registry_path}' ({exc.strerror or exc}); kết "
                "quả đã ghi xong nhưng lần chạy sau mã người có thể đổi. Hãy kiểm tra quyền ghi "
                "rồi chạy lại"
            ) from exc
        self._registry = merged

    def _read(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    entry = json.loads(raw.decode("utf-8"))
                    label = str(entry["batch"])
                    batch = self._batches.setdefault(label, len(self._batches) + 1)
                    self._decisions.append(_decision(entry, batch))
                except (ValueError, KeyError, TypeError) as exc:
                    self.problems.append(
                        _problem(
                            self.path,
                            "",
                            number,
                            "LEDGER_LINE_UNREADABLE",
                            f"Dòng {number} của sổ quyết định '{self.path}' bị hỏng nên không "
                            "đọc được; các dòng khác vẫn được dùng. Đừng sửa sổ bằng tay; nếu "
                            f"dòng này do sửa tay, hãy khôi phục từ bản sao lưu. ({exc})",
                            raw.decode("utf-8", "replace")[:200],
                        )
                    )

    def _read_registry(self) -> dict[str, str]:
        if not self.registry_path.exists():
            return {}
        try:
            with self.registry_path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.reader(handle))
        except (UnicodeDecodeError, csv.Error) as exc:
            reason: object = exc
        else:
            if rows and tuple(rows[0]) == _REGISTRY_HEADER:
                return {row[0]: row[1] for row in rows[1:] if len(row) == 2}
            reason = "thiếu dòng tên cột"
        self.problems.append(_registry_problem(self.registry_path, reason))
        self._registry_readable = False
        return {}


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def _entry(decision: Decision, batch: str) -> dict[str, Any]:
    return {
        "v": FORMAT_VERSION,
        "id": decision.decision_id,
        "batch": batch,
        "recorded_at": _now(),
        "source": decision.source,
        "group": decision.group,
        "reviewer": decision.reviewer,
        "decided_on": decision.decided_on,
        "keeps_core": decision.keeps_core,
        "note": decision.note,
        "records": [
            {
                "fingerprint": ref.fingerprint,
                "loose_keys": list(ref.loose_keys),
                "verdict": ref.verdict.value,
                "organization": ref.organization,
                "source_file": ref.source_file,
                "sheet": ref.sheet,
                "row": ref.row,
                "full_name": ref.full_name,
                "birth_date": ref.birth_date,
                "citizen_id": ref.citizen_id,
            }
            for ref in decision.records
        ],
    }


def _decision(entry: dict[str, Any], batch: int) -> Decision:
    records = tuple(
        RecordRef(
            fingerprint=str(ref["fingerprint"]),
            loose_keys=tuple(str(key) for key in ref["loose_keys"]),
            verdict=Verdict(ref["verdict"]),
            organization=str(ref["organization"]),
            source_file=str(ref["source_file"]),
            sheet=str(ref["sheet"]),
            row=None if ref["row"] is None else int(ref["row"]),
            full_name=str(ref["full_name"]),
            birth_date=str(ref["birth_date"]),
            citizen_id=str(ref["citizen_id"]),
        )
        for ref in entry["records"]
    )
    if not records:
        raise ValueError("quyết định không có dòng nào")
    return Decision(
        decision_id=str(entry["id"]),
        records=records,
        keeps_core=str(entry["keeps_core"]),
        note=str(entry["note"]),
        reviewer=str(entry["reviewer"]),
        decided_on=str(entry["decided_on"]),
        group=str(entry["group"]),
        source=str(entry["source"]),
        batch=batch,
    )


def decision_id(
    records: Sequence[RecordRef], keeps_core: str, reviewer: str, decided_on: str, note: str
) -> str:
    """Content hash: the same decision read from two copies of a workbook is one."""
    content = json.dumps(
        [
            sorted((ref.fingerprint, ref.verdict.value) for ref in records),
            keeps_core,
            reviewer,
            decided_on,
            note,
        ],
        ensure_ascii=False,
    )
    return "D" + hashlib.sha1(content.encode("utf-8")).hexdigest()[:16].upper()


# --- Reading review workbooks -------------------------------------------------


@dataclass
class Harvest:
    """What the review workbooks hold."""

    decisions: list[Decision] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    workbooks: list[Path] = field(default_factory=list)  # review workbooks read


def review_files(output_dir: Path, review_dir: Path) -> list[Path]:
    """Where filled review workbooks are looked for: the output folder (the
    other outputs excepted) and, with its subfolders, the review folder."""
    others = set(report.OUTPUT_NAMES) - {review.FILE_NAME}
    found = [p for p in _workbooks(output_dir.glob("*")) if p.name not in others]
    return found + _workbooks(review_dir.rglob("*"))


def _workbooks(paths: Iterable[Path]) -> list[Path]:
    # "~$…" is the lock file Excel keeps beside an open workbook, ".…" hidden
    # and temporary files (pipeline.atomic).
    return sorted(
        path
        for path in paths
        if path.suffix.lower() in REVIEW_SUFFIXES
        and not path.name.startswith(("~$", "."))
        and path.is_file()
    )


def read_reviews(paths: Sequence[Path], settings: Settings) -> Harvest:
    harvest = Harvest()
    codes = _organization_codes(settings)
    for path in paths:
        try:
            safety.inspect_file(path)
            sheets = [
                (sheet.name, sheet.rows)
                for sheet in readers.read_roster(path)
                if sheet.rows and _is_review_header(sheet.rows[0])
            ]
        except UnreadableFileError as exc:
            harvest.problems.append(_unreadable(path, str(exc)))
            continue
        except Exception as exc:  # a reviewer's file must never stop the run
            harvest.problems.append(_unreadable(path, f"{type(exc).__name__}: {exc}"))
            continue
        if not sheets:
            continue
        harvest.workbooks.append(path)
        _Workbook(path, codes, harvest).read(sheets)
    return harvest


def _is_review_header(row: Row) -> bool:
    headers = {cell for cell in row if isinstance(cell, str)}
    return review.GROUP_KEY_HEADER in headers and review.RECORD_KEY_HEADER in headers


def _organization_codes(settings: Settings) -> dict[str, str]:
    """Folded organization name, alias or code -> code."""
    codes: dict[str, str] = {}
    for org in settings.organizations:
        for name in (org.code, org.name, *org.aliases):
            codes.setdefault(fold(name), org.code)
    return codes


@dataclass
class _Line:
    """One record's row of a review sheet."""

    sheet: str
    row: int  # Excel row
    group: str
    ref: RecordRef  # with the verdict as written, or UNSURE while unparsed
    verdict: str  # as written
    keeps: str
    note: str
    reviewer: str
    date: Cell | None


class _Workbook:
    def __init__(self, path: Path, codes: Mapping[str, str], harvest: Harvest) -> None:
        self.path = path
        self.codes = codes
        self.harvest = harvest
        self.unsigned = 0  # groups decided without a reviewer's name

    def read(self, sheets: Sequence[tuple[str, list[Row]]]) -> None:
        groups: dict[str, list[_Line]] = {}
        for name, rows in sheets:
            for line in self._lines(name, rows):
                groups.setdefault(line.group, []).append(line)
        for group, lines in groups.items():
            decision = self._decision(group, lines)
            if decision is not None:
                self.harvest.decisions.append(decision)
        if self.unsigned:
            self._note(
                "",
                None,
                "REVIEW_NO_REVIEWER",
                f"{self.unsigned} nhóm có quyết định nhưng chưa ghi “{review.REVIEWER_HEADER}”. "
                "Quyết định vẫn được ghi nhận; lần sau hãy ghi tên người rà soát để biết ai đã "
                "quyết định.",
            )

    def _lines(self, sheet: str, rows: list[Row]) -> Iterable[_Line]:
        header = {cell: index for index, cell in enumerate(rows[0]) if isinstance(cell, str)}

        def text(row: Row, name: str) -> str:
            index = header.get(name)
            value = row[index] if index is not None and index < len(row) else None
            return display_value(value)

        def raw(row: Row, name: str) -> Cell | None:
            index = header.get(name)
            return row[index] if index is not None and index < len(row) else None

        for number, row in enumerate(rows[1:], start=2):
            key = text(row, review.RECORD_KEY_HEADER).split()
            group = text(row, review.GROUP_KEY_HEADER)
            if not key and not group:
                continue  # a blank row
            if len(key) != 3 or not group:
                self._note(
                    sheet,
                    number,
                    "REVIEW_ROW_DAMAGED",
                    f"Dòng {number} của trang '{sheet}' mất mã máy đọc (cột ẩn) nên không biết là "
                    "dòng nào; quyết định ở dòng này (nếu có) không được ghi nhận. Hãy ghi lại "
                    "trên tệp rà soát mới nhất.",
                )
                continue
            organization = text(row, review.ORGANIZATION_HEADER)
            line_number = raw(row, review.ROW_HEADER)
            yield _Line(
                sheet=sheet,
                row=number,
                group=group,
                ref=RecordRef(
                    fingerprint=key[0],
                    loose_keys=tuple(key[1:]),
                    verdict=Verdict.UNSURE,
                    organization=self.codes.get(fold(organization), organization),
                    source_file=text(row, review.FILE_HEADER),
                    sheet=text(row, review.SHEET_HEADER),
                    row=line_number if isinstance(line_number, int) else None,
                    full_name=text(row, review.NAME_HEADER),
                    birth_date=text(row, review.BIRTH_HEADER),
                    citizen_id=text(row, review.CITIZEN_ID_HEADER),
                ),
                verdict=text(row, review.DECISION_HEADER),
                keeps=text(row, review.KEEPS_HEADER),
                note=text(row, review.NOTE_HEADER),
                reviewer=text(row, review.REVIEWER_HEADER),
                date=raw(row, review.DATE_HEADER),
            )

    def _decision(self, group: str, lines: list[_Line]) -> Decision | None:
        """The group's decision, or None (with a problem when it is half filled)."""
        first = lines[0]
        written = [line for line in lines if line.verdict]
        if not written:
            if any(line.keeps or line.note for line in lines):
                self._note(
                    first.sheet,
                    first.row,
                    "REVIEW_INCOMPLETE",
                    f"Nhóm {group} (trang '{first.sheet}', dòng {first.row}) có ghi “Tổ chức giữ "
                    f"nòng cốt” hoặc “Ghi chú” nhưng chưa chọn “{review.DECISION_HEADER}”, nên "
                    "chưa được ghi nhận. Hãy chọn quyết định rồi chạy lại.",
                )
            return None
        verdicts: dict[int, Verdict] = {}
        for line in written:
            verdict = _VERDICT_WORDS.get(fold(line.verdict))
            if verdict is None:
                self._note(
                    line.sheet,
                    line.row,
                    "REVIEW_UNCLEAR",
                    f"Nhóm {group}: không hiểu quyết định “{line.verdict}” (trang '{line.sheet}', "
                    f"dòng {line.row}); chỉ dùng “Cùng một người”, “Khác người” hoặc “Chưa rõ”. "
                    "Nhóm này chưa được ghi nhận.",
                )
                return None
            verdicts[id(line)] = verdict
        # One decision written on some rows only is the whole group's decision.
        if len(set(verdicts.values())) == 1:
            (only,) = set(verdicts.values())
            verdicts = {id(line): only for line in lines}
        refs = tuple(
            replace(line.ref, verdict=verdicts[id(line)]) for line in lines if id(line) in verdicts
        )
        keeps = self._keeps(group, lines, refs)
        if keeps is None:
            return None
        reviewer = next((line.reviewer for line in lines if line.reviewer), "")
        if not reviewer:
            self.unsigned += 1
        decided_on = next((iso for line in lines if (iso := _iso_date(line.date))), "")
        note = " ".join(dict.fromkeys(line.note for line in lines if line.note))
        return Decision(
            decision_id=decision_id(refs, keeps, reviewer, decided_on, note),
            records=refs,
            keeps_core=keeps,
            note=note,
            reviewer=reviewer,
            decided_on=decided_on,
            group=group,
            source=f"{self.path.name}, trang '{first.sheet}'",
        )

    def _keeps(self, group: str, lines: list[_Line], refs: Sequence[RecordRef]) -> str | None:
        """The organization code kept as core ("" for none), None if unusable."""
        first = lines[0]
        chosen = {line.keeps for line in lines if line.keeps}
        if not chosen:
            return ""
        if len(chosen) > 1:
            problem = f"chọn nhiều tổ chức giữ nòng cốt ({', '.join(sorted(chosen))})"
        else:
            (name,) = chosen
            code = self.codes.get(fold(name))
            same = {ref.organization for ref in refs if ref.verdict is Verdict.SAME}
            if code is not None and code in same:
                return code
            if not same:
                problem = f"chọn “{name}” giữ nòng cốt nhưng không có dòng nào là “Cùng một người”"
            else:
                problem = f"chọn “{name}”, không phải tổ chức của một dòng “Cùng một người”"
        self._note(
            first.sheet,
            first.row,
            "REVIEW_KEEPS_INVALID",
            f"Nhóm {group} (trang '{first.sheet}', dòng {first.row}): {problem}. Nhóm này chưa "
            "được ghi nhận; hãy sửa rồi chạy lại.",
        )
        return None

    def _note(self, sheet: str, row: int | None, rule: str, message: str) -> None:
        self.harvest.problems.append(_problem(self.path, sheet, row, rule, message))


def _iso_date(value: Cell | None) -> str:
    try:
        parsed = parse_date(value)
    except UnreadableDate:
        return ""
    return parsed.iso if parsed is not None else ""


def _problem(
    path: Path, sheet: str, row: int | None, rule: str, message: str, value: str = ""
) -> Problem:
    return Problem(
        source_file=str(path),
        sheet=sheet,
        row=row,
        column="",
        value=value,
        rule=rule,
        message=message,
        severity=Severity.NOTE,
    )


def _unreadable(path: Path, reason: str) -> Problem:
    return Problem(
        source_file=str(path),
        sheet="",
        row=None,
        column="",
        value="",
        rule="REVIEW_UNREADABLE",
        message=(
            f"Không đọc được tệp rà soát '{path}': {reason}. Các quyết định trong tệp này chưa "
            "được ghi nhận; các quyết định đã ghi trong sổ quyết định vẫn được giữ nguyên."
        ),
        severity=Severity.FILE,
    )


def _registry_problem(path: Path, reason: object) -> Problem:
    return _problem(
        path,
        "",
        None,
        "REGISTRY_UNREADABLE",
        f"Không đọc được sổ mã người '{path}' ({reason}); lần chạy này cấp mã người như chưa "
        "có sổ, nên mã của một số người có thể đổi. Hãy khôi phục tệp từ bản sao lưu.",
    )
