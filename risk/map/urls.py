"""URLs of the association map: references only, matched by strict converters."""

from django.urls import path, register_converter

from referrals.references import ALPHABET, reference_pattern
from referrals.urls import _Reference
from risk.map import views as map_views


class AssociateReference(_Reference):
    regex = reference_pattern("A")


class PlaceReference(_Reference):
    regex = reference_pattern("P")


class GroupReference(_Reference):
    regex = reference_pattern("G")


class LinkReference(_Reference):
    regex = reference_pattern("L")


class NodeReference(_Reference):
    """A young person, person, place or group: where a link can start."""

    regex = rf"[SAPG]-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}"


register_converter(AssociateReference, "associate_ref")
register_converter(PlaceReference, "place_ref")
register_converter(GroupReference, "group_ref")
register_converter(LinkReference, "link_ref")
register_converter(NodeReference, "node_ref")

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
