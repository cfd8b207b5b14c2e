"""The downloads: the same published (suppressed, rounded) cells as the page, as CSV or as an OpenDocument
spreadsheet written with the standard library (a zip of XML parts: ODF 1.2, OASIS), so no dependency is
added for it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from partnership.choices import TOTAL
from partnership.measures import SPECS
from partnership.models import StatisticsRun
from partnership.queries import SUPPRESSED, Area, period_label

HEADER = ["area", "measure", "measure_title", "period", "period_label", "category", "category_label", "value"]


def rows(run: StatisticsRun, area: Area, cells: dict[tuple[str, str, str], Decimal | None]) -> list[list[object]]:
    """One row per published cell, in the order of the measures; a suppressed value is ``[c]``."""
    out: list[list[object]] = []
    for spec in SPECS.values():
        order = {code: n for n, (code, _label) in enumerate(spec.shown_categories)}
        mine = sorted(((period, category, value) for (measure, period, category), value in cells.items()
                       if measure == spec.code),
                      key=lambda item: ("Q" in item[0], item[0], order.get(item[1], len(order)), item[1]))
        for period, category, value in mine:
            out.append([area.name, spec.code, spec.title, period, period_label(period), category or "total",
                        "Total" if category == TOTAL else spec.label_of(category),
                        SUPPRESSED if value is None else value])
    return out


def notes(run: StatisticsRun) -> list[str]:
    """What a reader of the file needs to read it: when, and under which rules."""
    return [
        f"Computed {run.finished_at:%Y-%m-%d %H:%M} UTC, counting {run.first_period} to {run.last_day}.",
        f"Counts from 1 to {run.threshold - 1} are suppressed ({SUPPRESSED}), with further cells suppressed so "
        f"that none can be worked out from totals; other counts are rounded to the nearest {run.rounding_base}.",
        f"Medians and 90th percentiles only from groups of at least {run.threshold}.",
    ]


def _cell(value: object) -> str:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def _row(values: Iterable[object]) -> str:
    return "<table:table-row>" + "".join(_cell(v) for v in values) + "</table:table-row>"


def ods_bytes(sheets: list[tuple[str, list[list[object]]]]) -> bytes:
    """An OpenDocument spreadsheet (``.ods``) with one table per (name, rows)."""
    tables = "".join(
        f"<table:table table:name={quoteattr(name[:31])}>" + "".join(_row(r) for r in body) + "</table:table>"
        for name, body in sheets)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # The media type comes first and uncompressed, so a reader can recognise the file (ODF 1.2 §3.3).
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
