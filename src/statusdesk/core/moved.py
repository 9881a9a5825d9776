"""The console's old addresses, from before it moved under /manage/ (the public status page took
the site's root). They redirect for a while, so that bookmarks and open tabs keep working:

- GET and HEAD: 302 Found (temporary: the old address will stop answering one day), query string
  kept;
- any other method: 307 Temporary Redirect, which a browser follows with the same method and body,
  so a form posted from a page opened before the move still reaches its step. The CSRF check is
  the new address's job: this view changes nothing, so it does not check it twice.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt

MANAGE_PREFIX = "/manage/"


class TemporaryRedirectSameMethod(HttpResponseRedirect):
    status_code = 307


@csrf_exempt
def moved_to_manage(request: HttpRequest, old: str) -> HttpResponse:
    """`/reports/3/?x=1` → `/manage/reports/3/?x=1`."""
    target = MANAGE_PREFIX + old
    query = request.META.get("QUERY_STRING", "")
    if query:
        target = f"{target}?{query}"
    if request.method in ("GET", "HEAD"):
        return HttpResponseRedirect(target)
    return TemporaryRedirectSameMethod(target)
