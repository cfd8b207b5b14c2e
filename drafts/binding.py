"""The draft binding token: what lets a form posted after the session ended be kept for its author.

When the session has ended the server no longer knows whose form it is. Every page of a form that keeps
drafts therefore carries, beside Django's CSRF token, a signed and expiring token (``django.core.signing``,
salted) naming the user, the form (its URL name), the page it posts to, and a keyed digest of this
browser's CSRF secret. A post that arrives without a session is kept as that user's draft only if:

- Django's CSRF check passed first (``CsrfViewMiddleware`` runs before the draft middleware; CSRF is
  cookie-based here, ``CSRF_USE_SESSIONS`` is off, so it still holds after the session ends), so another
  site cannot make a browser post one;
- the token's signature is good and it is younger than ``DRAFT_BINDING_HOURS``, so it cannot be forged or
  changed to name someone else, another form or another page;
- it names this very form and page, and the CSRF secret of the browser that posts it, so a token copied
  out of a page (or a log) is no use from another browser.

A token that fails any check is refused: nothing is kept and the visitor is sent to sign in as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, QueryDict
from django.middleware.csrf import get_token
from django.utils.crypto import constant_time_compare, salted_hmac

FIELD = "draft_binding"
# A form shown again from a draft carries the draft's id, so that sending it ends the draft.
RESUMED_FIELD = "draft_id"
SALT = "drafts.binding"
CSRF_SALT = "drafts.binding.csrf"

# What is never kept: Django's token, the binding itself, and anything that is a secret of the user.
SECRET_MARKERS = ("password", "otp", "token", "csrf", "secret", "recovery")
MAX_FIELDS = 200
MAX_VALUE_CHARS = 20_000
MAX_TOTAL_CHARS = 100_000


class BindingRefused(Exception):
    """The token is missing, forged, expired or not for this form, page or browser."""


@dataclass(frozen=True)
class Binding:
    user_id: int
    form: str
    path: str


def _csrf_digest(request: HttpRequest) -> str:
    secret = request.META.get("CSRF_COOKIE") or ""
    if not secret:
        return ""
    return salted_hmac(CSRF_SALT, secret, algorithm="sha256").hexdigest()[:32]


def make_token(request: HttpRequest, *, form: str) -> str:
    """The binding token for the signed-in user's form on this page."""
    get_token(request)  # makes sure this browser has a CSRF secret to bind to
    return signing.dumps({"u": request.user.pk, "f": form, "p": request.path, "c": _csrf_digest(request)},
                         salt=SALT, compress=False)


def verify(request: HttpRequest, *, form: str) -> Binding:
    """The binding of a post that arrived without a session, or ``BindingRefused``."""
    token = request.POST.get(FIELD, "")
    if not token or len(token) > 1000:
        raise BindingRefused("no token")
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.DRAFT_BINDING_HOURS * 3600)
    except signing.BadSignature as error:  # SignatureExpired is a BadSignature
        raise BindingRefused("bad or expired signature") from error
    if not isinstance(payload, dict):
        raise BindingRefused("not a binding")
    user_id, token_form, path, digest = payload.get("u"), payload.get("f"), payload.get("p"), payload.get("c")
    if not isinstance(user_id, int) or token_form != form or path != request.path:
        raise BindingRefused("another form or page")
    expected = _csrf_digest(request)
    if not expected or not isinstance(digest, str) or not constant_time_compare(digest, expected):
        raise BindingRefused("another browser")
    return Binding(user_id=user_id, form=form, path=path)


def is_secret_field(name: str) -> bool:
    lowered = name.lower()
    return name in {FIELD, RESUMED_FIELD} or any(marker in lowered for marker in SECRET_MARKERS)


def keepable(post: QueryDict) -> dict[str, list[str]] | None:
    """The posted fields worth keeping (as lists of strings), or None when the form is too large to keep."""
    kept: dict[str, list[str]] = {}
    total = 0
    for name, values in post.lists():
        if is_secret_field(name):
            continue
        if len(kept) >= MAX_FIELDS or len(name) > 100:
            return None
        for value in values:
            if len(value) > MAX_VALUE_CHARS:
                return None
            total += len(name) + len(value)
        kept[name] = list(values)
    if total > MAX_TOTAL_CHARS:
        return None
    return kept


def as_query_dict(data: Any) -> QueryDict:
    """A draft's data as the form's ``data`` argument (a ``QueryDict`` like the one that was posted)."""
    query = QueryDict(mutable=True)
    if isinstance(data, dict):
        for name, values in data.items():
            if isinstance(name, str) and isinstance(values, list):
                query.setlist(name, [str(value) for value in values])
    query._mutable = False
    return query
