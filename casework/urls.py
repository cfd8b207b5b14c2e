from django.urls import path

from casework import views

# The <..._ref:...> converters are registered once by config.urls (see referrals.references).
urlpatterns = [
    path("subjects/<subject_ref:reference>/casework/", views.subject_casework, name="casework-subject"),
    path("subjects/<subject_ref:reference>/strategy-discussion/", views.strategy_discussion_create,
         name="strategy-discussion-create"),
    path("strategy-discussions/<discussion_ref:reference>/", views.strategy_discussion_detail,
         name="strategy-discussion-detail"),
    path("subjects/<subject_ref:reference>/actions/new/", views.action_create, name="action-create"),
    path("subjects/<subject_ref:reference>/outcomes/new/", views.outcome_create, name="outcome-create"),
    path("actions/", views.action_list, name="action-list"),
    path("actions/<action_ref:reference>/", views.action_detail, name="action-detail"),
    path("mace/", views.mace_list, name="mace-list"),
    path("mace/<meeting_ref:reference>/", views.mace_detail, name="mace-detail"),
    path("mace/<meeting_ref:reference>/discuss/<node_ref:item>/", views.mace_discuss, name="mace-discuss"),
    path("mace/<meeting_ref:reference>/minutes/", views.mace_minutes, name="mace-minutes"),
]
