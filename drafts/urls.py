from django.urls import path

from drafts import views

# The draft's id (a random UUID) names it in the address: no personal data, and unguessable.
urlpatterns = [
    path("drafts/<uuid:reference>/continue/", views.draft_continue, name="draft-continue"),
    path("drafts/<uuid:reference>/discard/", views.draft_discard, name="draft-discard"),
]
