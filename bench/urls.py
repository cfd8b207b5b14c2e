"""The real URLs plus the baseline the record-a-concern path is compared with (used only by the bench)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as real_urlpatterns


@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    """One INSERT and a redirect: the least a request that records something can do."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_baseline (payload) VALUES (%s)", [request.POST.get("narrative", "")])
    return HttpResponse(status=302, headers={"Location": "/"})


urlpatterns = [*real_urlpatterns, path("__bench/insert/", bare_insert, name="bench-bare-insert")]
