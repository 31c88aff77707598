"""Record fingerprints survive roster edits that do not touch who the member is;
person ids survive runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.identity import FINGERPRINT, LOOSE_BIRTH, LOOSE_NAME, person_ids, record_identities
from tests.record_builders import normalized_records

LAN = {
    "full_name": "Nguyễn Thị Lan",
    "birth_date": "05/09/1985",
    "citizen_id": "075185000123",
    "hamlet": "Ấp 3",
    "branch": "Chi hội Ấp 3",
    "position": "Hội viên",
    "organization": "phunu",
}
HOA = {**LAN, "full_name": "Trần Thị Hoa", "birth_date": "01/02/1990", "citizen_id": None}


def _identities(rows: list[dict[str, Any]]) -> pd.DataFrame:
    records = normalized_records(rows)
    return record_identities(records).set_index(records["record_id"])


def _fingerprints(rows: list[dict[str, Any]]) -> list[str]:
    return _identities(rows)[FINGERPRINT].tolist()


def test_fingerprint_ignores_row_order_and_unrelated_columns() -> None:
    lan, hoa = _fingerprints([LAN, HOA])
    # Re-sorted (other rows numbers), another position, address, phone, core mark.
    edited = {**LAN, "position": "Chi hội trưởng", "address": "Tổ 5", "phone": "0912345678"}
    assert _fingerprints([HOA, {**HOA, "full_name": "Lê Thị Mai"}, edited]) == [
        hoa,
        _fingerprints([{**HOA, "full_name": "Lê Thị Mai"}])[0],
        lan,
    ]
    # Case, diacritics and Unicode form are not changes of identity.
    assert _fingerprints([{**LAN, "full_name": "NGUYEN THI LAN"}]) == [lan]
    assert _fingerprints([{**LAN, "full_name": "Nguyễn Thị Lân"}]) == [lan]


def test_fingerprint_changes_with_name_birth_date_citizen_id_or_organization() -> None:
    (lan,) = _fingerprints([LAN])
    for change in (
        {"full_name": "Nguyễn Thị Lam"},
        {"birth_date": "1985"},
        {"citizen_id": "075185000124"},
        {"organization": "nongdan", "sex": "Nữ"},
    ):
        assert _fingerprints([{**LAN, **change}]) != [lan], change


def test_a_member_listed_twice_gets_two_fingerprints_that_survive_resorting() -> None:
    first = {**LAN, "branch": "Chi hội Ấp 1"}
    second = {**LAN, "branch": "Chi hội Ấp 3"}
    forward = _fingerprints([first, second])
    backward = _fingerprints([second, first])
    assert len(set(forward)) == 2
    assert backward == forward[::-1]


def test_loose_keys_recognise_a_corrected_name_or_birth_date() -> None:
    original = _identities([LAN]).iloc[0]
    renamed = _identities([{**LAN, "full_name": "Nguyễn Thị Lam"}]).iloc[0]
    redated = _identities([{**LAN, "birth_date": "06/09/1985"}]).iloc[0]
    assert renamed[LOOSE_BIRTH] == original[LOOSE_BIRTH]
    assert renamed[LOOSE_NAME] != original[LOOSE_NAME]
    assert redated[LOOSE_NAME] == original[LOOSE_NAME]
    moved = _identities([{**LAN, "source_file": "other.xlsx"}]).iloc[0]
    assert moved[FINGERPRINT] == original[FINGERPRINT]
    assert moved[LOOSE_NAME] != original[LOOSE_NAME]


def test_rejected_records_have_no_identity() -> None:
    identities = _identities([{**LAN, "full_name": ""}])
    assert identities.iloc[0].tolist() == ["", "", ""]


def assign_person_ids(
    persons: list[list[str]], registry: dict[str, str] | None = None
) -> list[str]:
    """One id per person, a person given by their records' fingerprints."""
    labels = np.repeat(np.arange(len(persons)), [len(person) for person in persons])
    fingerprints = np.array([fp for person in persons for fp in person], dtype=object)
    ids = person_ids(labels, fingerprints, registry)
    firsts = np.cumsum([0, *(len(person) for person in persons[:-1])])
    return ids[firsts].tolist()


def test_new_person_ids_depend_on_records_only() -> None:
    persons = [["R1", "R2"], ["R3"]]
    ids = assign_person_ids(persons)
    assert ids == assign_person_ids(persons[::-1])[::-1]
    assert len(set(ids)) == 2
    assert all(pid.startswith("P") for pid in ids)


def test_a_person_keeps_their_id_while_any_record_remains() -> None:
    registry = {"R1": "P-old", "R2": "P-old"}
    assert assign_person_ids([["R2", "R9"]], registry) == ["P-old"]


def test_merged_persons_keep_the_smaller_id() -> None:
    registry = {"R1": "P-b", "R2": "P-a", "R3": "P-c"}
    ids = assign_person_ids([["R1", "R2"], ["R3"]], registry)
    assert ids == ["P-a", "P-c"]


def test_the_larger_part_of_a_split_keeps_the_id_and_ties_go_to_the_smallest_fingerprint() -> None:
    registry = {fp: "P-old" for fp in ("R1", "R2", "R3", "R4", "R5")}
    ids = assign_person_ids([["R1"], ["R2", "R3"], ["R4", "R5"]], registry)
    assert ids[1] == "P-old"
    assert len(set(ids)) == 3
    # The smaller part whose fingerprint would give the kept id gets another one.
    first = assign_person_ids([["R1"]])[0]
    ids = assign_person_ids([["R1"], ["R2", "R3"]], {"R1": first, "R2": first, "R3": first})
    assert ids[1] == first and ids[0] != first


def test_an_id_set_free_by_a_merge_is_not_given_to_a_newcomer() -> None:
    taken = assign_person_ids([["R7"]])[0]
    registry = {"R1": "P-a", "R7": taken}
    assert assign_person_ids([["R1", "R7"], ["R7x"]], registry)[0] == min("P-a", taken)
    assert taken not in assign_person_ids([["R1", "R7"], ["R0"]], registry)[1:]


def test_fingerprints_carried_by_the_records_are_used_as_they_are() -> None:
    records = normalized_records([LAN, HOA])
    computed = record_identities(records)[FINGERPRINT].tolist()
    # After cluster the records carry their fingerprints; they are not hashed again.
    carried = record_identities(records.assign(**{FINGERPRINT: ["F-lan", "F-hoa"]}))
    assert carried[FINGERPRINT].tolist() == ["F-lan", "F-hoa"] != computed
    # A column without every fingerprint (records built by hand) is recomputed.
    partial = record_identities(records.assign(**{FINGERPRINT: ["F-lan", None]}))
    assert partial[FINGERPRINT].tolist() == computed
