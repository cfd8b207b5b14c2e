"""URLs of the association map: references only, matched by strict converters."""

from django.urls import path

from risk.map import views as map_views

urlpatterns = [
    path("subjects/<subject_ref:reference>/map/", map_views.subject_map, name="map-subject"),
    path("map/people/<associate_ref:reference>/", map_views.associate_detail, name="map-associate"),
    path("map/places/<place_ref:reference>/", map_views.place_detail, name="map-place"),
    path("map/groups/<group_ref:reference>/", map_views.group_detail, name="map-group"),
    path("map/contexts/", map_views.contexts, name="contexts"),
    path("map/<node_ref:reference>/links/new/", map_views.link_add, name="map-link-add"),
    path("map/links/<link_ref:reference>/confirm/", map_views.link_confirm, name="map-link-confirm"),
    path("map/links/<link_ref:reference>/remove/", map_views.link_remove, name="map-link-remove"),
]
