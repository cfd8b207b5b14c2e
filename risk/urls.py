from django.urls import path

from risk import views

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/export.csv", views.register_export, name="register-export"),
    path("register/<subject_ref:reference>/", views.register_entry, name="register-entry"),
    path("subjects/<subject_ref:reference>/risk/", views.subject_risk, name="subject-risk"),
    path("risk/model/", views.scoring_model, name="scoring-model"),
]
