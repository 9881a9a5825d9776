from django.contrib import admin
from django.urls import include, path

from statusdesk.api import api
from statusdesk.core.views import healthz, rules_page

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("rules/", rules_page, name="rules"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("statusdesk.accounts.urls")),
    path("", include("statusdesk.incidents.urls")),
    path("", include("statusdesk.notifications.urls")),
]
