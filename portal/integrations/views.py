"""Public views of the integrations app that are not an API: a submission's file by signed link."""

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .files import upload_for_token


@never_cache
@require_GET
def file_download(request: HttpRequest, token: str) -> FileResponse:
    """A submission's file, to whoever holds a link a delivery gave (404 once expired or forged)."""
    upload = upload_for_token(token)
    if upload is None:
        raise Http404("This link has expired or is not valid")
    try:
        handle = upload.file.open("rb")
    except OSError:
        raise Http404("No such file") from None
    response = FileResponse(
        handle, as_attachment=True, filename=upload.original_name, content_type=upload.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
