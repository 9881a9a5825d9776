"""The site's addresses: the public status page owns the root, the console lives under /manage/.

- `/`, `/incidents`, `/incidents/<id>`: the public status page, Incidents Page and incident page
  (`statuspage`), no login; published data only.
- `/manage/…`: the console (dashboard, reports, incidents, sign-in), login required.
- `/api/v1/`, `/admin/`, `/rules/`, `/healthz`, `/i18n/setlang/` (the language switcher).
- `/metrics`: Prometheus figures, off unless a token or allowed networks are set
  (`core/metrics.py`, docs/deploy.md).
- The console's old addresses (`/reports/…`, `/incidents/`, `/incidents/<id>/…`, `/login/`,
  `/logout/`) answer a temporary redirect to their place under /manage/ (see
  `core/moved.py`), so bookmarks keep working for a while.
"""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from statusdesk.api import api
from statusdesk.core.metrics import metrics
from statusdesk.core.moved import moved_to_manage
from statusdesk.core.views import healthz, rules_page

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("rules/", rules_page, name="rules"),
    path("api/v1/", api.urls),
    # The public side: the status page, the Incidents Page and incident pages, Statuspage's
    # /api/v2/ files, the history feeds, the badge.
    path("", include("statusdesk.statuspage.urls")),
    path("admin/", admin.site.urls),
    # The public pages' language switcher: a cookie only, so no CSRF token (the pages are cached).
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("manage/", include("statusdesk.accounts.urls")),
    path("manage/", include("statusdesk.incidents.urls")),
    path("manage/", include("statusdesk.postmortems.urls")),
    path("manage/", include("statusdesk.analytics.urls")),
    path("manage/", include("statusdesk.desk.urls")),
    # The console's old addresses, always with their trailing slash; the public pages have none.
    re_path(
        r"^(?P<old>(?:reports/.*|incidents/|incidents/\d+/.*|login/|logout/))$", moved_to_manage
    ),
    # Subscribing, confirming, preferences and unsubscribing (public), failed deliveries (console).
    path("", include("statusdesk.notifications.urls")),
    path("manage/", include("statusdesk.notifications.console_urls")),
]
