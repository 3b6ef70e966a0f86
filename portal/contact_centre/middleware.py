"""``request.assisted`` for an agent working on a call (``portal.lib.assisted``)."""

from .services import SESSION_CALL, assisted_from, call_for


class AssistedCallMiddleware:
    """Turns the agent's current call (kept in their session) into ``request.assisted``.

    Only for a signed-in member of staff who may help callers, and only for their own open
    call; anyone else gets ``None``. One query, on requests whose session holds a call.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.assisted = None
        call_id = request.session.get(SESSION_CALL) if hasattr(request, "session") else None
        user = getattr(request, "user", None)
        if (
            call_id
            and user is not None
            and user.is_authenticated
            and user.is_staff
            and user.has_perm("contact_centre.help_callers")
        ):
            call = call_for(staff=user, call_id=call_id)
            if call is not None:
                request.assisted = assisted_from(call)
            else:
                request.session.pop(SESSION_CALL, None)
        return self.get_response(request)
