from django.urls import URLPattern, path, re_path

from statusdesk.statuspage import views

app_name = "statuspage"

urlpatterns: list[URLPattern] = [
    # The pages. No trailing slash: /incidents/ and /incidents/<id>/ are the console's old
    # addresses, which redirect to /manage/ (statusdesk/urls.py).
    path("", views.status_page, name="status_page"),
    path("incidents", views.incident_history, name="incidents"),
    path("incidents/<int:pk>", views.incident_page, name="incident"),
    # The data.
    re_path(
        r"^api/v2/(?P<name>summary|status|components|incidents|incidents/unresolved"
        r"|scheduled-maintenances|scheduled-maintenances/upcoming"
        r"|scheduled-maintenances/active)\.json$",
        views.api_file,
        name="api",
    ),
    # Anything else under /api/v2/: a 404 naming the files there are.
    re_path(r"^api/v2/", views.api_unknown, name="api_unknown"),
    path("history.atom", views.history_atom, name="atom"),
    path("history.rss", views.history_rss, name="rss"),
    path("badge.svg", views.badge, name="badge"),
]
