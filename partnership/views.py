"""The partnership's statistics pages and downloads (partnership analysts only; everyone else 404).

They read only the summary tables (``partnership.queries``): the newest run and one area's cells, so a page
costs the same few queries whatever the number of girls on record. Every request is recorded."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agencies import capabilities
from agencies.http import CaseRequest
from audit.api import audited_view
from audit.choices import Action
from config.csv import safe_writer
from partnership import exports, queries
from partnership.measures import NOT_YET_MEASURED

BY_CHOICES = {queries.QUARTERS: "By quarter", queries.MONTHS: "By month"}


def _area(request: CaseRequest, slug: str | None) -> queries.Area:
    # 404, never 403: the pages' existence is not disclosed to those who cannot use them.
    if not capabilities.can_see_statistics(request.user):
        raise Http404
    area = queries.default_area(request.user) if slug is None else queries.area_named(request.user, slug)
    if area is None:
        raise Http404
    request.audit_detail = {"area": area.slug}
    return area


def _page(request: CaseRequest, area: queries.Area) -> HttpResponse:
    by = request.GET.get("by", queries.QUARTERS)
    error = ""
    if by not in BY_CHOICES:
        error, by = "Choose to see the figures by quarter or by month.", queries.QUARTERS
    run = queries.latest_run()
    cells = queries.area_cells(run, area) if run is not None else {}
    context = {
        "area": area, "areas": queries.areas_for(request.user), "run": run, "by": by, "by_choices": BY_CHOICES,
        "error": error, "measures": queries.measure_views(cells, by) if run is not None else [],
        "not_yet_measured": NOT_YET_MEASURED, "suppressed_mark": queries.SUPPRESSED,
    }
    response = render(request, "partnership/statistics.html", context, status=400 if error else 200)
    return response


@require_GET
@audited_view(Action.VIEW, object_type="statistics")
def statistics(request: CaseRequest) -> HttpResponse:
    """The analyst's own area: London at MOPAC, the borough at a borough's safeguarding partnership."""
    return _page(request, _area(request, None))


@require_GET
@audited_view(Action.VIEW, object_type="statistics")
def statistics_area(request: CaseRequest, area: str) -> HttpResponse:
    """London, or one borough the analyst may see."""
    return _page(request, _area(request, area))


def _download_rows(request: CaseRequest, slug: str) -> tuple[queries.Area, list[list[object]], list[str]]:
    area = _area(request, slug)
    run = queries.latest_run()
    if run is None:
        raise Http404
    request.audit_detail = {"area": area.slug, "run": run.pk}
    return area, exports.rows(run, area, queries.area_cells(run, area)), exports.notes(run)


@require_GET
@audited_view(Action.EXPORT, object_type="statistics")
def statistics_csv(request: CaseRequest, area: str) -> HttpResponse:
    """The area's published cells as CSV (the same suppressed, rounded figures as the page)."""
    found, rows, notes = _download_rows(request, area)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statistics-{found.slug}.csv"'
    writer = safe_writer(response)
    writer.writerow(exports.HEADER)
    for row in rows:
        writer.writerow(row)
    for note in notes:
        writer.writerow(["note", note])
    return response


@require_GET
@audited_view(Action.EXPORT, object_type="statistics")
def statistics_ods(request: CaseRequest, area: str) -> HttpResponse:
    """The area's published cells as an OpenDocument spreadsheet, with a sheet of notes."""
    found, rows, notes = _download_rows(request, area)
    header: list[object] = list(exports.HEADER)
    body = exports.ods_bytes([("Statistics", [header, *rows]), ("Notes", [[note] for note in notes])])
    response = HttpResponse(body, content_type="application/vnd.oasis.opendocument.spreadsheet")
    response["Content-Disposition"] = f'attachment; filename="statistics-{found.slug}.ods"'
    return response
