from django.urls import path

from risk import views

# The subject_ref converter is registered by referrals.urls, included before this module.
import referrals.urls  # noqa: F401  isort: skip

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/export.csv", views.register_export, name="register-export"),
    path("register/<subject_ref:reference>/", views.register_entry, name="register-entry"),
    path("subjects/<subject_ref:reference>/risk/", views.subject_risk, name="subject-risk"),
    path("risk/model/", views.scoring_model, name="scoring-model"),
]
