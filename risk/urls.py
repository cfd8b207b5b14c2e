from django.urls import path

from risk import views, views_decisions

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/export.csv", views.register_export, name="register-export"),
    path("register/<subject_ref:reference>/", views.register_entry, name="register-entry"),
    path("subjects/<subject_ref:reference>/risk/", views.subject_risk, name="subject-risk"),
    # The MASH's decisions about her risk, and protective factors (scoring model v3).
    path("subjects/<subject_ref:reference>/risk/explain-sign/", views_decisions.explain_sign,
         name="risk-explain-sign"),
    path("subjects/<subject_ref:reference>/risk/review/", views_decisions.review_level, name="risk-review-level"),
    path("subjects/<subject_ref:reference>/protective-factors/new/", views_decisions.protective_factor_create,
         name="protective-factor-create"),
    path("risk/model/", views.scoring_model, name="scoring-model"),
    path("risk/pathways/", views.pathway_catalogue, name="pathway-catalogue"),
]
