from django.contrib.auth.decorators import login_not_required
from django.urls import path

from agencies import views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", login_not_required(views.SignInView.as_view()), name="login"),
    path("sign-out/", views.SignOutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
]
