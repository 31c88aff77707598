"""Progress reporting seam: the core reports work done, the CLI draws it."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, label: str, total: int) -> None:
        """Begin a unit of work of `total` steps, labelled in Vietnamese."""

    def advance(self, steps: int = 1) -> None: ...

    def finish(self) -> None: ...

    def stage_done(self, label: str, seconds: float) -> None:
        """A pipeline stage ended after `seconds`."""


class NoProgress:
    """Progress that shows nothing (tests, library use)."""

    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass

    def stage_done(self, label: str, seconds: float) -> None:
        pass
