from django.urls import URLPattern, path

from statusdesk.notifications import views

# Under /manage/, with the rest of the console.
urlpatterns: list[URLPattern] = [
    path("notifications/failed/", views.failed_deliveries, name="failed_deliveries"),
]
