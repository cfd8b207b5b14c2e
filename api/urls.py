"""The API under ``/api/``: version 1 of the operations, the OAuth token endpoint, the schema and its docs.
The concern and referral converters are registered once by config.urls."""

from django.urls import path, re_path

from api import views, views_administration

urlpatterns = [
    path("api/oauth/token/", views.TokenView.as_view(), name="api-token"),
    path("api/schema/", views.schema_view, name="api-schema"),
    path("api/docs/", views.docs_view, name="api-docs"),
    path("api/v1/concerns/", views.ConcernsView.as_view(), name="api-concerns"),
    path("api/v1/concerns/<concern_ref:reference>/", views.ConcernDetailView.as_view(), name="api-concern-detail"),
    path("api/v1/referrals/", views.ReferralsView.as_view(), name="api-referrals"),
    path("api/v1/referrals/<referral_ref:reference>/", views.ReferralDetailView.as_view(),
         name="api-referral-detail"),
    path("api/v1/indicators/", views.IndicatorCatalogueView.as_view(), name="api-indicators"),
    path("api/v1/pathways/", views.PathwayCatalogueView.as_view(), name="api-pathways"),
    # Administrators register and revoke agency systems (the second administrator approves on the
    # approvals page, as for any case role).
    path("administration/api-clients/", views_administration.client_list, name="api-client-list"),
    path("administration/api-clients/new/", views_administration.client_register, name="api-client-register"),
    path("administration/api-clients/<str:reference>/revoke/", views_administration.client_revoke,
         name="api-client-revoke"),
    re_path(r"^api/", views.not_found),
]
