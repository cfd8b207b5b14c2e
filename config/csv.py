"""The one CSV writer of every export (register, access trail, erasure forecast, and any later one).

Every cell is escaped against spreadsheet formula injection as OWASP recommends: a cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so that a
name such as ``=HYPERLINK(...)`` typed by a user stays text when the file is opened in a spreadsheet.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_TRIGGERS = frozenset({"=", "+", "-", "@", "\t", "\r"})


def csv_cell(value: Any) -> str:
    """One cell as safe text: None is empty; a leading formula trigger is neutralised with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_TRIGGERS else text


class _Writable(Protocol):
    def write(self, value: str, /) -> Any: ...


class SafeWriter:
    """``csv.writer`` whose rows are escaped cell by cell; ``writerow`` returns what was written."""

    def __init__(self, target: _Writable) -> None:
        self._writer = csv.writer(target)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_cell(value) for value in row])


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe_writer(target: _Writable | None = None) -> SafeWriter:
    """A safe CSV writer into ``target`` (an HttpResponse), or, with none, one whose ``writerow``
    returns each line (for a StreamingHttpResponse)."""
    return SafeWriter(target if target is not None else _Echo())
