from django.urls import URLPattern, path

from statusdesk.statuspage import views

app_name = "statuspage"

# No trailing slash: /incidents/ and /incidents/<id>/ are the console's old addresses (urls.py).
urlpatterns: list[URLPattern] = [
    path("", views.status_page, name="status_page"),
    path("incidents", views.incident_history, name="incidents"),
    path("incidents/<int:pk>", views.incident_page, name="incident"),
]
