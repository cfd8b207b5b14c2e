from django.urls import path

from audit import views

urlpatterns = [
    path("audit/", views.trail, name="audit-log"),
    path("audit/export.csv", views.export, name="audit-export"),
    # Two routes share the name: without arguments it is the look-up form, with them the log itself.
    path("audit/object/", views.object_lookup, name="audit-object"),
    path("audit/object/<str:object_type>/<str:reference>/", views.object_log, name="audit-object"),
    path("audit/anomalies/", views.anomalies, name="audit-anomalies"),
    path("audit/chains/", views.chain_status, name="audit-chain"),
    path("audit/chains/verify/", views.verify_now, name="audit-verify"),
]
