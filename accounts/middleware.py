import time
from urllib.parse import urlencode

from allauth.usersessions import app_settings as usersessions_settings
from allauth.usersessions.models import UserSession

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpResponseRedirect
from django.urls import reverse

from .mfa import staff_mfa_step

# Signing out must always work, even for staff who have not set up MFA yet.
_MFA_EXEMPT_PATHS = ("/admin/logout/", "/django-admin/logout/", "/admin/login/", "/django-admin/login/")


class StaffMFAMiddleware:
    """Staff reach an admin only from a session that passed 2-step verification.

    Staff without an authenticator are sent to set one up; staff whose session did not
    pass a 2-step check (signed in by password alone, or made staff while signed in) are
    asked for a code ("confirm it's you" with their authenticator) before the admin opens.
    Only requests for the admins are checked, so the set-up pages (under /accounts/ and
    /my-account/) can never redirect to themselves, and no other page pays for the check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if path.startswith(settings.ADMIN_PATH_PREFIXES) and not path.startswith(_MFA_EXEMPT_PATHS):
            step = staff_mfa_step(request)
            if step is not None:
                target = "account_mfa_required" if step == "set_up" else "mfa_reauthenticate"
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse(target)}?{query}")
        return self.get_response(request)


class UserSessionActivityMiddleware:
    """Keep allauth.usersessions' "last seen" up to date without a write on every request.

    allauth's own middleware updates the row on each signed-in request; here it is
    refreshed at most once per ``INTERVAL`` seconds per session, and the check itself
    costs no query (it reads the already loaded session).
    """

    INTERVAL = 300
    _SEEN_KEY = "portal.usersession_seen_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if usersessions_settings.TRACK_ACTIVITY:
            self._touch(request)
        return self.get_response(request)

    def _touch(self, request) -> None:
        session = getattr(request, "session", None)
        if session is None or not session.session_key or SESSION_KEY not in session:
            return
        now = time.time()
        if now - session.get(self._SEEN_KEY, 0) < self.INTERVAL:
            return
        if not request.user.is_authenticated:
            return

        UserSession.objects.create_from_request(request)
        session[self._SEEN_KEY] = now
