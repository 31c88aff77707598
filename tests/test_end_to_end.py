"""The whole pipeline through the CLI, on rosters from the example generator."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from pipeline.cli import EXIT_FILES_SKIPPED, main
from pipeline.settings import EXAMPLES_DIR
from pipeline.synthetic import GroundTruth, generate_rosters


def _run(input_dir: Path, output_dir: Path, *extra: str) -> Result:
    args = ["run", "--input", str(input_dir), "--output", str(output_dir), *extra]
    return CliRunner().invoke(main, args)


def _records(output_dir: Path) -> pd.DataFrame:
    return pd.read_csv(output_dir / "records.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[GroundTruth, Path, Path]:
    input_dir = tmp_path_factory.mktemp("input")
    truth = generate_rosters(input_dir)
    output_dir = tmp_path_factory.mktemp("output")
    result = _run(input_dir, output_dir)
    assert result.exit_code == 0, result.output
    return truth, input_dir, output_dir


def test_every_data_row_appears_exactly_once(example_run: tuple) -> None:
    truth, _, output_dir = example_run
    records = _records(output_dir)
    located = list(
        zip(records["source_file"], records["sheet"], records["row"].astype(int), strict=True)
    )
    assert len(located) == len(set(located)), "a row is listed twice"
    assert set(located) == {(r.source_file, r.sheet, r.row) for r in truth.rows}


def test_title_header_and_signature_rows_are_not_records(example_run: tuple) -> None:
    truth, _, output_dir = example_run
    records = _records(output_dir)
    located = set(
        zip(records["source_file"], records["sheet"], records["row"].astype(int), strict=True)
    )
    assert located.isdisjoint(set(truth.non_data_rows))


def test_records_carry_the_truth_organization_and_core_flag(example_run: tuple) -> None:
    truth, _, output_dir = example_run
    records = _records(output_dir).set_index(["source_file", "sheet", "row"])
    for row in truth.rows:
        record = records.loc[(row.source_file, row.sheet, str(row.row))]
        assert record["organization"] == row.organization
        assert record["is_core"] == ("true" if row.is_core else "false")


def _person_ids(truth: GroundTruth, records: pd.DataFrame, person_key: str) -> set[str]:
    indexed = records.set_index(["source_file", "sheet", "row"])
    return {
        indexed.loc[(r.source_file, r.sheet, str(r.row)), "person_id"]
        for r in truth.rows
        if r.person_key == person_key
    }


def test_planted_cross_organization_core_duplicates_share_a_person_id(example_run: tuple) -> None:
    truth, _, output_dir = example_run
    records = _records(output_dir)
    assert truth.cross_org_core_duplicates
    for person_key in truth.cross_org_core_duplicates:
        ids = _person_ids(truth, records, person_key)
        assert len(ids) == 1 and "" not in ids, person_key


def test_namesakes_keep_different_person_ids(example_run: tuple) -> None:
    truth, _, output_dir = example_run
    records = _records(output_dir)
    assert truth.namesakes
    for first, second in truth.namesakes:
        assert _person_ids(truth, records, first).isdisjoint(_person_ids(truth, records, second)), (
            first,
            second,
        )


def test_outputs_are_written(example_run: tuple) -> None:
    _, _, output_dir = example_run
    names = {path.name for path in output_dir.iterdir()}
    assert {
        "records.csv",
        "indicators.csv",
        "Danh sách đã đối soát.xlsx",
        "Rà soát trùng lặp.xlsx",
        "Lỗi dữ liệu.xlsx",
        "Tổng hợp chỉ tiêu.xlsx",
    } <= names
    assert not [name for name in names if name.startswith(".") or name.endswith(".tmp")]


def test_second_run_gives_byte_identical_exports(example_run: tuple, tmp_path: Path) -> None:
    _, input_dir, output_dir = example_run
    assert _run(input_dir, tmp_path).exit_code == 0
    for name in ("records.csv", "indicators.csv"):
        assert (tmp_path / name).read_bytes() == (output_dir / name).read_bytes(), name


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_input_files_are_never_changed(tmp_path: Path) -> None:
    input_dir = tmp_path / "input"
    generate_rosters(input_dir)
    before = _digests(input_dir)
    assert _run(input_dir, tmp_path / "output").exit_code == 0
    assert _digests(input_dir) == before


def test_empty_input_runs_on_the_bundled_examples_and_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "input"
    empty.mkdir()
    (empty / "HUONG_DAN.txt").write_text("hướng dẫn", encoding="utf-8")
    result = _run(empty, tmp_path / "output")
    assert result.exit_code == 0, result.output
    assert "danh sách mẫu" in result.output
    sources = set(_records(tmp_path / "output")["source_file"])
    assert sources == {path.name for path in EXAMPLES_DIR.glob("*.xlsx")}


def test_empty_input_without_examples_writes_empty_outputs(tmp_path: Path) -> None:
    empty = tmp_path / "input"
    empty.mkdir()
    result = _run(empty, tmp_path / "output", "--no-examples")
    assert result.exit_code == 0, result.output
    assert _records(tmp_path / "output").empty


def test_unreadable_file_is_reported_and_the_rest_still_runs(tmp_path: Path) -> None:
    input_dir = tmp_path / "input"
    truth = generate_rosters(input_dir)
    (input_dir / "hoi_lhpn_hong.xlsx").write_bytes(b"this is not a workbook")
    result = _run(input_dir, tmp_path / "output")
    assert result.exit_code == EXIT_FILES_SKIPPED, result.output
    assert "hoi_lhpn_hong.xlsx" in result.output
    assert "Traceback" not in result.output
    assert len(_records(tmp_path / "output")) == len(truth.rows)


def test_missing_input_folder_is_one_vietnamese_line(tmp_path: Path) -> None:
    result = _run(tmp_path / "khong_co", tmp_path / "output")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Lỗi: Không tìm thấy thư mục đầu vào '{tmp_path / 'khong_co'}'."
    ]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = _run(tmp_path / "khong_co", tmp_path / "output", "--debug")
    assert result.exit_code == 1
    assert result.exception is not None


def test_help_is_in_vietnamese() -> None:
    result = CliRunner().invoke(main, ["run", "--help"])
    assert "Thư mục chứa các tệp danh sách" in result.output
    assert "Thư mục ghi kết quả" in result.output


def test_examples_command_regenerates_the_committed_examples(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["examples", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert _digests(tmp_path) == _digests(EXAMPLES_DIR)


def test_output_that_cannot_be_written_is_one_vietnamese_line(tmp_path: Path) -> None:
    input_dir = tmp_path / "input"
    generate_rosters(input_dir)
    blocked = tmp_path / "output"
    blocked.mkdir()
    (blocked / "records.csv").mkdir()  # stands in for a file locked by Excel
    result = _run(input_dir, blocked)
    assert result.exit_code == 1
    assert result.stderr.startswith("Lỗi: ")
    assert "Traceback" not in result.output


def test_the_optional_tables_folder_is_not_read_as_rosters(tmp_path: Path) -> None:
    input_dir = tmp_path / "input"
    truth = generate_rosters(input_dir)
    tables = input_dir / "bang_so_lieu"
    tables.mkdir()
    (tables / "ghi_chu.csv").write_text("Xã,Dân số\nPhước Thiền,1000\n", encoding="utf-8")
    result = _run(input_dir, tmp_path / "output")
    assert result.exit_code == 0, result.output
    assert len(_records(tmp_path / "output")) == len(truth.rows)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["run", "--khong-co"], "không có tùy chọn --khong-co"),
        (["chay"], "không có lệnh 'chay'"),
        (["examples", "--seed", "abc"], "giá trị không hợp lệ cho '--seed'"),
    ],
)
def test_a_mistyped_command_line_is_one_vietnamese_line(args: list[str], said: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Lỗi: lệnh gọi chưa đúng: ")
    assert said in line
