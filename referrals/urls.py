from django.urls import path

from referrals import views
from referrals import views_boroughs as borough_views
from referrals import views_chronology as chronology_views
from referrals import views_referrals as referral_views
from referrals import views_rights as rights_views
from referrals import views_search as search_views
from referrals import views_transfers as transfer_views

# The <..._ref:...> converters are registered once by config.urls (see referrals.references).
urlpatterns = [
    path("concerns/new/", views.concern_create, name="concern-create"),
    path("concerns/<concern_ref:reference>/", views.concern_detail, name="concern-detail"),
    path("subjects/", views.subject_list, name="subject-list"),
    path("subjects/duplicates/", views.duplicate_list, name="duplicate-list"),
    path("subjects/search/", search_views.subject_search, name="subject-search"),
    path("subjects/<subject_ref:reference>/", views.subject_detail, name="subject-detail"),
    path("subjects/<subject_ref:reference>/merge/", views.subject_merge, name="subject-merge"),
    path("subjects/<subject_ref:reference>/rectify/", rights_views.subject_rectify, name="subject-rectify"),
    path("subjects/<subject_ref:reference>/restriction/", rights_views.subject_restriction,
         name="subject-restriction"),
    path("subjects/<subject_ref:reference>/refer/", referral_views.referral_create, name="referral-create"),
    path("referrals/", referral_views.referral_list, name="referral-list"),
    path("referrals/mine/", referral_views.my_referrals, name="my-referrals"),
    path("referrals/<referral_ref:reference>/", referral_views.referral_detail, name="referral-detail"),
    path("referrals/<referral_ref:reference>/decide/", referral_views.referral_decide, name="referral-decide"),
    path("referrals/<referral_ref:reference>/respond/", referral_views.referral_pathway_respond,
         name="referral-pathway-respond"),
    path("subjects/<subject_ref:reference>/transfer/", transfer_views.school_transfer_create,
         name="school-transfer-create"),
    path("transfers/", transfer_views.school_transfer_list, name="school-transfer-list"),
    path("transfers/<transfer_ref:reference>/accept/", transfer_views.school_transfer_accept,
         name="school-transfer-accept"),
    path("transfers/<transfer_ref:reference>/cancel/", transfer_views.school_transfer_cancel,
         name="school-transfer-cancel"),
    path("subjects/<subject_ref:reference>/boroughs/", borough_views.subject_boroughs, name="subject-boroughs"),
    path("borough-transfers/", borough_views.borough_transfer_list, name="borough-transfer-list"),
    path("borough-transfers/<borough_transfer_ref:reference>/", borough_views.borough_transfer_detail,
         name="borough-transfer-detail"),
    path("subjects/<subject_ref:reference>/chronology/", chronology_views.subject_chronology,
         name="subject-chronology"),
]
