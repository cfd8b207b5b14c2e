"""The real URLs plus the baseline the record-a-concern path is compared with (used only by the bench)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as real_urlpatterns


@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    """One INSERT and a redirect: the least a request that records something can do."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_baseline (payload) VALUES (%s)", [request.POST.get("narrative", "")])
    return HttpResponse(status=302, headers={"Location": "/"})


@require_GET
def bare_page(request: HttpRequest) -> HttpResponse:
    """One trivial query and a small page: the least a signed-in page does (the load test's baseline, G11).
    It still passes through every middleware: session, user, membership, second factor, CSP."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("<!doctype html><title>bare</title><p>ok</p>")


urlpatterns = [*real_urlpatterns, path("__bench/insert/", bare_insert, name="bench-bare-insert"),
               path("__bench/page/", bare_page, name="bench-bare-page")]
