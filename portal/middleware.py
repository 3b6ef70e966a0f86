from django.conf import settings


class AdminContentSecurityPolicyMiddleware:
    """Give the Wagtail and Django admins their own CSP.

    They ship inline scripts that the public site's strict policy would block.
    Listed after Django's CSP middleware, so it marks the response before that
    middleware writes the header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(settings.ADMIN_PATH_PREFIXES):
            response._csp_config = settings.ADMIN_CSP
        return response
