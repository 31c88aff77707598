"""Command-line interface: parse options, call the core, turn errors into messages."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from tqdm import tqdm

from pipeline import __version__
from pipeline.ledger import LEDGER_FOLDER, REVIEW_FOLDER, LedgerError
from pipeline.models import Problem
from pipeline.run import (
    InputFolderError,
    ReviewStatus,
    RunReport,
    review_status,
    run_pipeline,
)
from pipeline.settings import EXAMPLES_DIR, SettingsError, load_settings
from pipeline.stages.decide import DECIDED, NEEDS_REREVIEW, PENDING
from pipeline.synthetic import generate_rosters
from pipeline.workbooks import review
from pipeline.workbooks.display import REVIEW_STATES, organization_names

# Exit codes, documented in the README.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_FILES_SKIPPED = 3

EXPECTED_ERRORS = (InputFolderError, SettingsError, LedgerError)
# Groups needing re-review listed one by one in the summary; the rest are counted.
REREVIEW_LINES = 10


def vi_number(value: float, decimals: int = 0) -> str:
    """12345.6 -> '12.345,6' (Vietnamese separators)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


class TerminalProgress:
    """tqdm bars on stderr, shown only for work lasting over a second."""

    def __init__(self) -> None:
        self._bar: tqdm | None = None

    def start(self, label: str, total: int) -> None:
        # disable=None: no bar when stderr is not a terminal (logs, CI).
        self._bar = tqdm(
            total=total, desc=label, delay=1.0, leave=False, file=sys.stderr, disable=None
        )

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(steps)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def stage_done(self, label: str, seconds: float) -> None:
        click.echo(f"  ✓ {label}: {vi_number(seconds, 1)} giây")


def _fail(error: Exception) -> NoReturn:
    """One Vietnamese line on stderr instead of a traceback, then exit."""
    if isinstance(error, EXPECTED_ERRORS):
        message = str(error)
    elif isinstance(error, PermissionError):
        # On Windows a workbook left open in Excel cannot be replaced.
        message = (
            f"không ghi được '{error.filename}'. Nếu tệp đang mở trong Excel,"
            " hãy đóng tệp rồi chạy lại."
        )
    else:
        message = (
            f"có sự cố ngoài dự kiến ({type(error).__name__}: {error})."
            " Chạy lại với --debug và gửi nội dung hiện ra cho nhóm phát triển."
        )
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _summary(report: RunReport) -> str:
    lines = [
        "",
        "Tóm tắt:",
        f"  Tệp đã đọc: {vi_number(len(report.files_read))}"
        f" (bỏ qua {vi_number(len(report.files_skipped))} tệp không đọc được).",
        f"  Dòng dữ liệu: {vi_number(report.rows_in)},"
        f" trong đó {vi_number(report.accepted)} hợp lệ,"
        f" {vi_number(report.rejected)} bị loại, {vi_number(report.set_aside)}"
        " không phải dòng danh sách (dòng tổng cộng, chữ ký...).",
        "  Người được tính là nòng cốt ở từ hai tổ chức trở lên:"
        f" {vi_number(report.multi_org_core_people)}.",
        f"  Nhóm chờ rà soát: {vi_number(report.pending_review_groups)}.",
        f"  Kết quả ở thư mục {report.output_dir}/:",
    ]
    lines += [f"    - {path.relative_to(report.output_dir).as_posix()}" for path in report.outputs]
    if report.files_skipped:
        lines.append("  Các tệp bị bỏ qua (xem lý do trong 'Lỗi dữ liệu.xlsx'):")
        lines += [f"    - {name}" for name in report.files_skipped]
    lines.append(
        f"  Quyết định rà soát: {vi_number(report.decisions_recorded)} quyết định mới được ghi"
        f" vào sổ '{report.ledger_path}' (từ {vi_number(len(report.review_workbooks))} tệp rà"
        f" soát); {vi_number(report.decisions_applied)} quyết định đang được áp dụng."
    )
    lines += _rereview_lines(report.rereview)
    lines += _problem_lines(report.review_problems)
    return "\n".join(lines)


def _rereview_lines(rereview: list[str]) -> list[str]:
    if not rereview:
        return []
    lines = [
        f"  Nhóm cần xem lại: {vi_number(len(rereview))} (xem cột “{review.PREVIOUS_HEADER}”"
        f" trong '{review.FILE_NAME}'):"
    ]
    lines += [f"    - {line}" for line in rereview[:REREVIEW_LINES]]
    if len(rereview) > REREVIEW_LINES:
        lines.append(f"    ... và {vi_number(len(rereview) - REREVIEW_LINES)} nhóm khác.")
    return lines


def _problem_lines(problems: list[Problem]) -> list[str]:
    return [f"  Cảnh báo: {problem.message}" for problem in problems]


class _VietnameseHelp(click.Command):
    """Help screens with Vietnamese headings (click's own are English)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[TÙY CHỌN]")
        super().__init__(*args, **kwargs)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = " ".join(self.collect_usage_pieces(ctx))
        formatter.write_usage(ctx.command_path, pieces, prefix="Cách dùng: ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        records = [record for p in self.get_params(ctx) if (record := p.get_help_record(ctx))]
        if records:
            with formatter.section("Tùy chọn"):
                formatter.write_dl(records)


def _usage_problem(error: click.UsageError) -> str:
    """click's (English) account of a mistyped command line, in Vietnamese."""
    if isinstance(error, click.NoSuchOption):
        return f"không có tùy chọn {error.option_name}"
    if isinstance(error, click.MissingParameter) and error.param is not None:
        return f"thiếu {error.param.get_error_hint(error.ctx) if error.ctx else error.param.name}"
    if isinstance(error, click.BadParameter):
        hint = error.param.get_error_hint(error.ctx) if error.param and error.ctx else ""
        return f"giá trị không hợp lệ cho {hint}".rstrip()
    if command := re.match(r"No such command '(.+)'", error.message):
        return f"không có lệnh '{command.group(1)}'"
    return error.message


class _VietnameseGroup(_VietnameseHelp, click.Group):
    command_class = _VietnameseHelp

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "LỆNH [THAM SỐ]...")
        super().__init__(*args, **kwargs)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """As click's, but a mistyped command line gets a Vietnamese line."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            return super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as error:
            path = error.ctx.command_path if error.ctx else "python -m pipeline"
            click.echo(
                f"Lỗi: lệnh gọi chưa đúng: {_usage_problem(error)}. Xem: {path} --help", err=True
            )
            sys.exit(EXIT_USAGE)
        except click.Abort:
            click.echo("Đã dừng.", err=True)
            sys.exit(EXIT_ERROR)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        with formatter.section("Lệnh"):
            formatter.write_dl(rows)


HELP_OPTION = click.help_option("-h", "--help", help="Hiện hướng dẫn này rồi thoát.")


@click.group(
    cls=_VietnameseGroup,
    help="Đối soát danh sách đoàn viên, hội viên nòng cốt giữa các tổ chức chính trị - xã hội.",
)
@click.version_option(__version__, message="%(version)s", help="Hiện phiên bản rồi thoát.")
@HELP_OPTION
def main() -> None:
    pass


INPUT_OPTION = click.option(
    "--input",
    "input_dir",
    default="input",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="THƯ_MỤC",
    help="Thư mục chứa các tệp danh sách (Excel, ODS, CSV), kể cả thư mục con. Mặc định: input.",
)
OUTPUT_OPTION = click.option(
    "--output",
    "output_dir",
    default="output",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="THƯ_MỤC",
    help="Thư mục ghi kết quả (tự tạo nếu chưa có). Mặc định: output.",
)
NO_EXAMPLES_OPTION = click.option(
    "--no-examples",
    is_flag=True,
    help="Không chạy trên danh sách mẫu khi thư mục đầu vào chưa có danh sách nào.",
)
DECISIONS_OPTION = click.option(
    "--decisions",
    "decisions_dir",
    default=None,
    type=click.Path(path_type=Path, file_okay=False),
    metavar="THƯ_MỤC",
    help="Thư mục sổ quyết định rà soát và sổ mã người (tự tạo nếu chưa có)."
    f" Mặc định: {LEDGER_FOLDER}, cạnh thư mục đầu vào.",
)
REVIEW_DIR_OPTION = click.option(
    "--review-dir",
    "review_dir",
    default=None,
    type=click.Path(path_type=Path, file_okay=False),
    metavar="THƯ_MỤC",
    help="Thư mục để lưu các tệp rà soát đã điền (đổi tên cũng được); tệp rà soát trong thư mục"
    f" kết quả cũng được đọc. Mặc định: {REVIEW_FOLDER}, cạnh thư mục đầu vào.",
)
DEBUG_OPTION = click.option(
    "--debug", is_flag=True, help="Hiện đầy đủ chi tiết lỗi để gửi cho nhóm phát triển."
)


@main.command(
    "run",
    help="Đọc các danh sách trong thư mục đầu vào, kiểm tra, đối soát trùng lặp và ghi kết quả."
    " Trước hết ghi các quyết định trong tệp rà soát đã điền vào sổ quyết định.",
)
@INPUT_OPTION
@OUTPUT_OPTION
@NO_EXAMPLES_OPTION
@DECISIONS_OPTION
@REVIEW_DIR_OPTION
@DEBUG_OPTION
@HELP_OPTION
def run_command(
    input_dir: Path,
    output_dir: Path,
    no_examples: bool,
    decisions_dir: Path | None,
    review_dir: Path | None,
    debug: bool,
) -> None:
    def announce_examples(examples_dir: Path) -> None:
        click.echo(
            f"Thư mục '{input_dir}' chưa có danh sách nào: chạy thử trên các danh sách mẫu"
            f" trong '{examples_dir}'. Hãy chép danh sách thật vào '{input_dir}' rồi chạy lại."
        )

    try:
        settings = load_settings()
        click.echo(f"Đang đối soát các danh sách trong '{input_dir}'...")
        report = run_pipeline(
            input_dir,
            output_dir,
            settings,
            progress=TerminalProgress(),
            examples_dir=None if no_examples else EXAMPLES_DIR,
            on_examples=announce_examples,
            decisions_dir=decisions_dir,
            review_dir=review_dir,
        )
    except Exception as error:
        if debug:
            raise
        _fail(error)
    click.echo(_summary(report))
    sys.exit(EXIT_FILES_SKIPPED if report.files_skipped else EXIT_OK)


@main.group("review", cls=_VietnameseGroup, help="Theo dõi việc rà soát trùng lặp.")
@HELP_OPTION
def review_group() -> None:
    pass


RESULTS_OPTION = click.option(
    "--output",
    "output_dir",
    default="output",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="THƯ_MỤC",
    help="Thư mục kết quả của lần chạy trước (để đọc tệp rà soát đã điền trong đó)."
    " Mặc định: output.",
)


@review_group.command(
    "status",
    help="Tóm tắt việc rà soát: số nhóm đã quyết định, đang chờ, cần xem lại, theo tổ chức và"
    " theo xã, phường. Tính cả các quyết định đã điền nhưng chưa ghi vào sổ; không ghi tệp nào.",
)
@INPUT_OPTION
@RESULTS_OPTION
@NO_EXAMPLES_OPTION
@DECISIONS_OPTION
@REVIEW_DIR_OPTION
@DEBUG_OPTION
@HELP_OPTION
def status_command(
    input_dir: Path,
    output_dir: Path,
    no_examples: bool,
    decisions_dir: Path | None,
    review_dir: Path | None,
    debug: bool,
) -> None:
    try:
        settings = load_settings()
        status = review_status(
            input_dir,
            output_dir,
            settings,
            examples_dir=None if no_examples else EXAMPLES_DIR,
            decisions_dir=decisions_dir,
            review_dir=review_dir,
        )
    except Exception as error:
        if debug:
            raise
        _fail(error)
    click.echo(_status_text(status, organization_names(settings)))


STATE_COLUMNS = tuple((state, REVIEW_STATES[state]) for state in (DECIDED, PENDING, NEEDS_REREVIEW))


def _status_text(status: ReviewStatus, names: dict[str, str]) -> str:
    lines = [
        *(
            ["Thư mục đầu vào chưa có danh sách nào: tính trên các danh sách mẫu."]
            if status.used_examples
            else []
        ),
        f"Sổ quyết định '{status.ledger_path}': {vi_number(status.decisions)} quyết định đã ghi"
        + (
            f"; {vi_number(status.unrecorded)} quyết định mới trong tệp rà soát sẽ được ghi ở"
            " lần chạy tới."
            if status.unrecorded
            else "."
        ),
        "",
        "Số nhóm rà soát:",
        *(f"  {label}: {vi_number(status.totals[state])}" for state, label in STATE_COLUMNS),
    ]
    tables = (
        (
            "Theo tổ chức",
            [(names.get(code, code), counts) for code, counts in status.by_organization],
            "(Một nhóm gồm nhiều tổ chức được tính ở mỗi tổ chức đó.)",
        ),
        ("Theo xã, phường", status.by_commune, ""),
    )
    for title, rows, footnote in tables:
        if not rows:
            continue
        width = max(len(title), *(len(name) for name, _ in rows))
        lines += ["", title.ljust(width) + "".join(f"  {label:>14}" for _, label in STATE_COLUMNS)]
        lines += [
            name.ljust(width)
            + "".join(f"  {vi_number(counts[state]):>14}" for state, _ in STATE_COLUMNS)
            for name, counts in rows
        ]
        if footnote:
            lines.append(footnote)
    lines += ["", *_rereview_lines(status.rereview), *_problem_lines(status.problems)]
    return "\n".join(lines).rstrip()


@main.command("examples", help="Tạo lại các danh sách mẫu (dữ liệu giả, có thể tái lập).")
@click.option(
    "--output",
    "output_dir",
    default=str(EXAMPLES_DIR),
    type=click.Path(path_type=Path, file_okay=False),
    metavar="THƯ_MỤC",
    help="Thư mục ghi các danh sách mẫu. Mặc định: examples của chương trình.",
)
@click.option("--seed", default=2018, metavar="SỐ", help="Hạt giống ngẫu nhiên (mặc định 2018).")
@HELP_OPTION
def examples_command(output_dir: Path, seed: int) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    truth = generate_rosters(output_dir, seed=seed)
    click.echo(f"Đã tạo {vi_number(len(truth.rows))} dòng danh sách mẫu trong '{output_dir}'.")
