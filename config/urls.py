from django.contrib import admin
from django.urls import include, path, register_converter, reverse_lazy
from django.views.generic import RedirectView

from referrals.references import CONVERTERS

# Registered once, here, before any app's URLs are read: the apps' url modules only use the names.
for name, converter in CONVERTERS.items():
    register_converter(converter, name)

urlpatterns = [
    path("", include("agencies.urls")),
    path("", include("audit.urls")),
    path("", include("referrals.urls")),
    path("", include("risk.urls")),
    path("", include("risk.map.urls")),
    path("", include("dataprotection.urls")),
    path("", include("drafts.urls")),
    path("", include("operations.urls")),
    # Case work after the decision: strategy discussions, MACE, plans and actions, outcomes.
    path("", include("casework.urls")),
    path("", include("notifications.urls")),
    # The API for agency systems, and its administration pages (before Django admin's catch-all).
    path("", include("api.urls")),
    path("", include("partnership.urls")),  # partnership statistics
    # Administration signs in through the service's own sign-in page, which checks memberships and
    # throttles failures; the admin's own login form is never offered.
    path(
        "administration/login/",
        RedirectView.as_view(url=reverse_lazy("login"), query_string=True),
        name="admin_login_redirect",
    ),
    path("administration/", admin.site.urls),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
