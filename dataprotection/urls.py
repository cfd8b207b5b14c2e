from django.urls import path

from dataprotection import views

urlpatterns = [
    path("break-glass/", views.break_glass, name="break-glass"),
    path("audit/break-glass/", views.break_glass_list, name="break-glass-list"),
    path("audit/break-glass/<grant_ref:reference>/", views.break_glass_review, name="break-glass-review"),
    path("data-protection/subject-access/", views.subject_access, name="subject-access"),
    path("data-protection/subject-access/<subject_ref:reference>/", views.subject_access_report,
         name="subject-access-report"),
    path("data-protection/subject-access/<subject_ref:reference>/export.json", views.subject_access_export,
         name="subject-access-export"),
    path("data-protection/erasure-forecast/", views.erasure_forecast, name="erasure-forecast"),
    path("data-protection/erasure-forecast.csv", views.erasure_forecast_export, name="erasure-forecast-export"),
]
