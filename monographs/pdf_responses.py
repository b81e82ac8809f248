"""A stored PDF (leaflet, print product) as an HTTP response that a browser can revalidate."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date


def stored_pdf(
    request: HttpRequest, file, *, name: str, tag: str, filename: str, max_age: int
) -> HttpResponse:
    """``file``, the open stored file ``name``, as a public PDF response.

    Its ETag is ``tag`` (what the file was made from) with the file's time; a
    request that already has it gets 304 Not Modified and the file is closed.
    """
    modified = default_storage.get_modified_time(name)
    etag = f'"{tag}-{int(modified.timestamp())}"'
    not_modified = get_conditional_response(
        request, etag=etag, last_modified=int(modified.timestamp())
    )
    if not_modified is not None:
        file.close()
        response = not_modified
    else:
        response = FileResponse(file, filename=filename)
        response["Last-Modified"] = http_date(modified.timestamp())
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=max_age)
    return response
