from django.urls import path

from operations import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("ready/", views.ready, name="ready"),
    path("metrics/", views.metrics, name="metrics"),
    # Before Django admin's own URLs under /administration/ (config/urls.py includes this file first).
    path("administration/jobs/", views.job_list, name="job-list"),
]
