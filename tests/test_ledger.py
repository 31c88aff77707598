"""The decision ledger, reading review workbooks, and how `decide` applies decisions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from pipeline.identity import FINGERPRINT, LOOSE_BIRTH, LOOSE_NAME, record_identities
from pipeline.ledger import LEDGER_FILE, REGISTRY_FILE, Ledger, decision_id, read_reviews
from pipeline.models import Severity
from pipeline.stages.cluster import cluster
from pipeline.stages.decide import (
    DECIDED,
    NEEDS_REREVIEW,
    PENDING,
    REVIEW_NOTE,
    DecideResult,
    Decision,
    RecordRef,
    Verdict,
    decide,
)
from pipeline.workbooks import review
from tests.record_builders import SETTINGS, normalized_records

SAME, DIFFERENT, UNSURE = Verdict.SAME, Verdict.DIFFERENT, Verdict.UNSURE


def _row(name: str, organization: str = "doan", **fields: Any) -> dict[str, Any]:
    return {
        "full_name": name,
        "birth_date": "05/09/1995",
        "organization": organization,
        "hamlet": "Ấp 1",
        "commune": "Phước Thiền",
        **fields,
    }


class Store:
    def __init__(self, decisions: Sequence[Decision], registry: Mapping[str, str] | None = None):
        self._decisions = list(decisions)
        self._registry = dict(registry or {})

    def decisions(self) -> Sequence[Decision]:
        return self._decisions

    def person_ids(self) -> Mapping[str, str]:
        return self._registry


class Roster:
    """Hand-built records with the engine's pairs between them."""

    def __init__(self, rows: list[dict[str, Any]], links: list[tuple[int, int, float, str]]):
        self.records = normalized_records(rows)
        self.ids = self.records["record_id"].tolist()
        self.pairs = pd.DataFrame(
            [
                (self.ids[a], self.ids[b], p, outcome, "bằng chứng", "")
                for a, b, p, outcome in links
            ],
            columns=["left", "right", "probability", "outcome", "evidence", "contributions"],
        )
        self.identities = record_identities(self.records)

    def ref(self, index: int, verdict: Verdict) -> RecordRef:
        identity = self.identities.iloc[index]
        record = self.records.iloc[index]
        return RecordRef(
            fingerprint=identity[FINGERPRINT],
            loose_keys=(identity[LOOSE_NAME], identity[LOOSE_BIRTH]),
            verdict=verdict,
            organization=record["organization"],
            source_file=record["source_file"],
            sheet=record["sheet"],
            row=int(record["row"]),
            full_name=record["full_name"],
            birth_date=record["birth_date"],
            citizen_id="",
        )

    def decision(
        self, verdicts: dict[int, Verdict], *, batch: int = 1, keeps: str = "", who: str = "A"
    ) -> Decision:
        refs = tuple(self.ref(index, verdict) for index, verdict in verdicts.items())
        return Decision(
            decision_id=decision_id(refs, keeps, who, "2025-08-01", ""),
            records=refs,
            keeps_core=keeps,
            note="",
            reviewer=who,
            decided_on="2025-08-01",
            group="G1",
            source=f"{who}.xlsx",
            batch=batch,
        )

    def decide(self, decisions: Sequence[Decision]) -> DecideResult:
        clustered = cluster(self.records, self.pairs, SETTINGS)
        return decide(clustered.records, clustered.pairs, Store(decisions), SETTINGS)


def _column(result: DecideResult, column: str) -> list[str]:
    return result.records[column].tolist()


def test_without_decisions_groups_wait_and_core_in_two_organizations_is_pending() -> None:
    roster = Roster(
        [
            _row("An", is_core=True, core="x"),
            _row("An", "phunu", core="x", sex="Nữ"),
            _row("Bình"),
            _row("Bình", birth_date="1996"),
            _row("Cường"),
        ],
        [(0, 1, 0.99, "link"), (2, 3, 0.7, "review")],
    )
    result = roster.decide([])
    assert _column(result, "review_state") == [PENDING, PENDING, PENDING, PENDING, ""]
    assert result.records["review_group"].tolist()[4] == ""
    assert set(_column(result, "core_kept_by")) == {""}
    assert result.applied == 0


def test_same_person_links_records_the_engine_kept_apart() -> None:
    roster = Roster([_row("An"), _row("Ân Nguyễn", birth_date="1995")], [])
    result = roster.decide([roster.decision({0: SAME, 1: SAME})])
    persons = _column(result, "person_id")
    assert persons[0] == persons[1] != ""
    assert _column(result, "review_state") == [DECIDED, DECIDED]
    assert _column(result, REVIEW_NOTE) == ["Cùng một người; A, 01/08/2025"] * 2
    assert result.applied == 1


def test_different_person_splits_a_chain_of_engine_links() -> None:
    roster = Roster(
        [_row("An"), _row("An", birth_date="1995"), _row("An", hamlet="Ấp 2")],
        [(0, 1, 0.99, "link"), (1, 2, 0.95, "link")],
    )
    assert len(set(_column(roster.decide([]), "person_id"))) == 1
    result = roster.decide([roster.decision({0: DIFFERENT, 2: DIFFERENT})])
    persons = _column(result, "person_id")
    assert persons[0] == persons[1] != persons[2]
    groups = _column(result, "review_group")
    assert groups[0] == groups[2] != ""  # shown together, as decided
    assert _column(result, "review_state") == [DECIDED] * 3


def test_the_organization_chosen_keeps_the_person_as_core() -> None:
    roster = Roster(
        [_row("An", core="x"), _row("An", "phunu", core="x", sex="Nữ"), _row("")],
        [(0, 1, 0.99, "link")],
    )
    result = roster.decide([roster.decision({0: SAME, 1: SAME}, keeps="phunu")])
    assert _column(result, "core_kept_by") == ["phunu", "phunu", ""]
    assert _column(result, "review_state") == [DECIDED, DECIDED, ""]
    assert "giữ nòng cốt: Hội Liên hiệp Phụ nữ" in _column(result, REVIEW_NOTE)[0]


def test_not_sure_leaves_the_group_pending_with_the_note() -> None:
    roster = Roster([_row("An"), _row("An", birth_date="1995")], [(0, 1, 0.7, "review")])
    result = roster.decide([roster.decision({0: UNSURE, 1: UNSURE})])
    assert _column(result, "review_state") == [PENDING] * 2
    assert _column(result, REVIEW_NOTE) == ["Chưa rõ; A, 01/08/2025"] * 2
    assert len(set(_column(result, "person_id"))) == 2


def test_a_later_decision_supersedes_an_earlier_one() -> None:
    roster = Roster([_row("An"), _row("An", birth_date="1995")], [(0, 1, 0.7, "review")])
    earlier = roster.decision({0: SAME, 1: SAME}, batch=1)
    later = roster.decision({0: DIFFERENT, 1: DIFFERENT}, batch=2, who="B")
    persons = _column(roster.decide([earlier, later]), "person_id")
    assert persons[0] != persons[1]
    persons = _column(roster.decide([later, earlier]), "person_id")  # ledger order does not matter
    assert persons[0] != persons[1]


def test_disagreeing_decisions_of_one_batch_are_shown_not_settled() -> None:
    roster = Roster([_row("An"), _row("An", birth_date="1995")], [(0, 1, 0.99, "link")])
    result = roster.decide(
        [
            roster.decision({0: DIFFERENT, 1: DIFFERENT}, who="A"),
            roster.decision({0: SAME, 1: SAME}, who="B"),
        ]
    )
    assert _column(result, "review_state") == [NEEDS_REREVIEW] * 2
    persons = _column(result, "person_id")
    assert persons[0] == persons[1]  # the engine's link stands meanwhile
    assert "Hai quyết định ghi khác nhau" in _column(result, REVIEW_NOTE)[0]
    assert len(result.rereview) == 1 and result.applied == 0


def test_a_chain_of_same_against_a_different_is_a_conflict_until_decided_again() -> None:
    roster = Roster([_row("An"), _row("An", birth_date="1995"), _row("An", hamlet="Ấp 2")], [])
    conflicting = [
        roster.decision({0: SAME, 1: SAME}),
        roster.decision({1: SAME, 2: SAME}),
        roster.decision({0: DIFFERENT, 2: DIFFERENT}),
    ]
    result = roster.decide(conflicting)
    assert _column(result, "review_state") == [NEEDS_REREVIEW] * 3
    assert len(set(_column(result, "person_id"))) == 3
    assert "Các quyết định mâu thuẫn nhau" in _column(result, REVIEW_NOTE)[0]

    settled = roster.decision({0: SAME, 1: SAME, 2: DIFFERENT}, batch=2, who="B")
    result = roster.decide([*conflicting, settled])
    persons = _column(result, "person_id")
    assert persons[0] == persons[1] != persons[2]
    assert _column(result, "review_state") == [DECIDED] * 3


def test_a_decision_on_a_changed_record_is_flagged_until_decided_again() -> None:
    before = Roster([_row("An"), _row("Ân Nguyễn", birth_date="1995")], [])
    decision = before.decision({0: SAME, 1: SAME})
    after = Roster([_row("An"), _row("Bình Nguyễn", birth_date="1995")], [])
    result = after.decide([decision])
    assert _column(result, "review_state") == [NEEDS_REREVIEW] * 2
    persons = _column(result, "person_id")
    assert persons[0] != persons[1]  # not silently applied
    note = _column(result, REVIEW_NOTE)[1]
    assert "họ tên đã sửa từ “Ân Nguyễn” thành “Bình Nguyễn”" in note
    assert note.endswith("Quyết định trước: Cùng một người; A, 01/08/2025.")

    again = after.decision({0: SAME, 1: SAME}, batch=2)
    result = after.decide([decision, again])
    assert _column(result, "review_state") == [DECIDED] * 2


def test_a_decision_whose_record_disappeared_flags_the_one_left() -> None:
    before = Roster([_row("An"), _row("Bình")], [])
    after = Roster([_row("An")], [])
    result = after.decide([before.decision({0: DIFFERENT, 1: DIFFERENT})])
    assert _column(result, "review_state") == [NEEDS_REREVIEW]
    assert _column(result, "review_group")[0] != ""
    assert "“Bình” (Đoàn TNCS Hồ Chí Minh, test.xlsx, dòng 6) không còn" in result.rereview[0]


def test_person_ids_come_from_the_registry() -> None:
    roster = Roster([_row("An"), _row("Bình")], [])
    clustered = cluster(roster.records, roster.pairs, SETTINGS)
    fingerprints = roster.identities[FINGERPRINT].tolist()
    registry = {fingerprints[0]: "P-old"}
    result = decide(clustered.records, clustered.pairs, Store([], registry), SETTINGS)
    assert _column(result, "person_id")[0] == "P-old"
    assert result.person_ids[fingerprints[0]] == "P-old"
    assert set(result.person_ids) == set(fingerprints)


# --- The ledger file ------------------------------------------------------------


def _decisions(count: int) -> list[Decision]:
    roster = Roster([_row(f"Người {n}") for n in range(count + 1)], [])
    return [roster.decision({n: SAME, n + 1: SAME}) for n in range(count)]


def test_the_ledger_only_ever_appends(tmp_path: Path) -> None:
    first, second = _decisions(2)
    ledger = Ledger(tmp_path)
    assert ledger.append(ledger.unseen([first, first])) and len(ledger.decisions()) == 1
    written = (tmp_path / LEDGER_FILE).read_bytes()
    ledger.append(ledger.unseen([first, second]))
    after = (tmp_path / LEDGER_FILE).read_bytes()
    assert after.startswith(written)
    reread = Ledger(tmp_path)
    assert [d.decision_id for d in reread.decisions()] == [first.decision_id, second.decision_id]
    assert [d.batch for d in reread.decisions()] == [1, 2]
    entry = json.loads(after.splitlines()[0])
    assert entry["reviewer"] == "A" and entry["decided_on"] == "2025-08-01"
    assert entry["records"][0]["full_name"] == "Người 0"


def test_a_preview_does_not_write(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.append(_decisions(1), persist=False)
    assert len(ledger.decisions()) == 1
    assert not (tmp_path / LEDGER_FILE).exists()


def test_a_damaged_line_is_reported_and_the_rest_kept(tmp_path: Path) -> None:
    first, second = _decisions(2)
    Ledger(tmp_path).append([first])
    with (tmp_path / LEDGER_FILE).open("ab") as handle:
        handle.write(b'{"id": "cut short by a crash')
    ledger = Ledger(tmp_path)
    assert [d.decision_id for d in ledger.decisions()] == [first.decision_id]
    (problem,) = ledger.problems
    assert problem.row == 2 and problem.severity is Severity.NOTE
    assert "Dòng 2 của sổ quyết định" in problem.message
    ledger.append([second])  # starts on a line of its own
    assert [d.decision_id for d in Ledger(tmp_path).decisions()] == [
        first.decision_id,
        second.decision_id,
    ]


def test_the_registry_grows_and_an_unreadable_one_is_left_alone(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.save_person_ids({"R1": "P1"})
    ledger.save_person_ids({"R2": "P2"})
    assert Ledger(tmp_path).person_ids() == {"R1": "P1", "R2": "P2"}
    (tmp_path / REGISTRY_FILE).write_text("hỏng\n", encoding="utf-8")
    ledger = Ledger(tmp_path)
    assert ledger.person_ids() == {} and ledger.problems
    ledger.save_person_ids({"R3": "P3"})
    assert (tmp_path / REGISTRY_FILE).read_text(encoding="utf-8") == "hỏng\n"


# --- Reading review workbooks -----------------------------------------------------


def _review_workbook(path: Path, rows: list[dict[str, Any]]) -> None:
    """A review sheet as a reviewer leaves it (only the columns read back)."""
    headers = [
        review.ORGANIZATION_HEADER,
        review.FILE_HEADER,
        review.ROW_HEADER,
        review.NAME_HEADER,
        review.DECISION_HEADER,
        review.KEEPS_HEADER,
        review.NOTE_HEADER,
        review.REVIEWER_HEADER,
        review.DATE_HEADER,
        review.GROUP_KEY_HEADER,
        review.RECORD_KEY_HEADER,
    ]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Đổi tên trang cũng được"
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header) for header in headers])
    workbook.save(path)


def _line(group: str, fingerprint: str, organization: str, **cells: Any) -> dict[str, Any]:
    return {
        review.GROUP_KEY_HEADER: group,
        review.RECORD_KEY_HEADER: f"{fingerprint} N1 B1",
        review.ORGANIZATION_HEADER: organization,
        review.FILE_HEADER: "a.xlsx",
        review.ROW_HEADER: 5,
        review.NAME_HEADER: "An",
        **cells,
    }


def test_a_decision_on_one_row_counts_for_the_group(tmp_path: Path) -> None:
    path = tmp_path / "bất kỳ tên nào.xlsx"
    _review_workbook(
        path,
        [
            _line(
                "G1",
                "R1",
                "Đoàn TNCS Hồ Chí Minh",
                **{
                    review.DECISION_HEADER: "Cùng một người",
                    review.KEEPS_HEADER: "Hội Liên hiệp Phụ nữ",
                    review.REVIEWER_HEADER: "Chị Hoa",
                    review.DATE_HEADER: "02/08/2025",
                },
            ),
            _line("G1", "R2", "Hội Liên hiệp Phụ nữ"),
            _line("G2", "R3", "Hội Nông dân", **{review.DECISION_HEADER: "Khác người"}),
            _line("G2", "R4", "Hội Nông dân", **{review.DECISION_HEADER: "Cùng một người"}),
            _line("G2", "R5", "Hội Nông dân"),
            _line("G3", "R6", "Hội Nông dân"),
        ],
    )
    harvest = read_reviews([path], SETTINGS)
    first, second = harvest.decisions
    assert [(r.fingerprint, r.verdict) for r in first.records] == [("R1", SAME), ("R2", SAME)]
    assert (first.keeps_core, first.reviewer, first.decided_on) == (
        "phunu",
        "Chị Hoa",
        "2025-08-01"[:8] + "02",
    )
    assert first.records[0].organization == "doan" and first.records[0].loose_keys == ("N1", "B1")
    # Mixed decisions: a row left empty is not decided.
    assert [(r.fingerprint, r.verdict) for r in second.records] == [("R3", DIFFERENT), ("R4", SAME)]
    assert harvest.workbooks == [path]
    assert [p.rule for p in harvest.problems] == ["REVIEW_NO_REVIEWER"]


@pytest.mark.parametrize(
    ("cells", "rule", "words"),
    [
        ({review.KEEPS_HEADER: "Hội Nông dân"}, "REVIEW_INCOMPLETE", "chưa chọn “Quyết định”"),
        ({review.DECISION_HEADER: "Có lẽ"}, "REVIEW_UNCLEAR", "không hiểu quyết định “Có lẽ”"),
        (
            {review.DECISION_HEADER: "Khác người", review.KEEPS_HEADER: "Hội Nông dân"},
            "REVIEW_KEEPS_INVALID",
            "không có dòng nào là “Cùng một người”",
        ),
        (
            {review.DECISION_HEADER: "Cùng một người", review.KEEPS_HEADER: "Công đoàn"},
            "REVIEW_KEEPS_INVALID",
            "không phải tổ chức của một dòng",
        ),
    ],
)
def test_a_half_filled_group_is_reported_and_skipped(
    tmp_path: Path, cells: dict[str, str], rule: str, words: str
) -> None:
    path = tmp_path / "ra_soat.xlsx"
    _review_workbook(
        path,
        [
            _line("G1", "R1", "Hội Nông dân", **{**cells, review.REVIEWER_HEADER: "B"}),
            _line("G1", "R2", "Hội Nông dân"),
        ],
    )
    harvest = read_reviews([path], SETTINGS)
    assert harvest.decisions == []
    (problem,) = harvest.problems
    assert problem.rule == rule and words in problem.message
    assert problem.sheet == "Đổi tên trang cũng được" and problem.row == 2


def test_unreadable_and_unrelated_workbooks(tmp_path: Path) -> None:
    broken = tmp_path / review.FILE_NAME
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    unrelated = tmp_path / "other.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Họ và tên", "Ngày sinh"])
    workbook.save(unrelated)
    harvest = read_reviews([broken, unrelated], SETTINGS)
    assert harvest.decisions == [] and harvest.workbooks == []
    (problem,) = harvest.problems
    assert problem.rule == "REVIEW_UNREADABLE" and problem.severity is Severity.FILE
    assert "vẫn được giữ nguyên" in problem.message
