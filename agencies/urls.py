from django.contrib.auth.decorators import login_not_required
from django.urls import path

from agencies import views, views_administration
from agencies import views_two_factor as two_factor_views
from agencies.two_factor import two_factor_exempt

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", login_not_required(views.SignInView.as_view()), name="login"),
    path("sign-in/verify/", two_factor_views.verify, name="two-factor-verify"),
    path("sign-in/set-up/", two_factor_views.setup, name="two-factor-setup"),
    # An unverified session can always sign out.
    path("sign-out/", two_factor_exempt(views.SignOutView.as_view()), name="logout"),
    path("account/security/", two_factor_views.account, name="account-security"),
    path("account/security/recovery-codes/", two_factor_views.recovery_codes, name="account-recovery-codes"),
    path("account/security/turn-off/", two_factor_views.remove, name="account-two-factor-remove"),
    path("account/confirm/", two_factor_views.step_up, name="step-up"),
    path("session/keep-alive/", views.session_keep_alive, name="session-keep-alive"),
    path("set-password/<str:token>/", views.set_password, name="set-password"),
    # Before Django admin's own URLs under /administration/ (config/urls.py includes this file first).
    path("administration/requests/", views_administration.approval_list, name="approval-list"),
    path("administration/requests/<uuid:reference>/approve/", views_administration.approve,
         name="approval-approve"),
    path("administration/requests/<uuid:reference>/refuse/", views_administration.refuse,
         name="approval-refuse"),
]
