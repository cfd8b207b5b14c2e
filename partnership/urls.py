from django.urls import path

from partnership import views

urlpatterns = [
    path("statistics/", views.statistics, name="statistics"),
    path("statistics/<slug:area>/", views.statistics_area, name="statistics-area"),
    path("statistics/<slug:area>/statistics.csv", views.statistics_csv, name="statistics-csv"),
    path("statistics/<slug:area>/statistics.ods", views.statistics_ods, name="statistics-ods"),
]
