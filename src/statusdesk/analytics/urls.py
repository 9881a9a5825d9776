from django.urls import URLPattern, path

from statusdesk.analytics import views

urlpatterns: list[URLPattern] = [
    path("analytics", views.analytics_page, name="analytics"),
    path("analytics.csv", views.analytics_csv, name="analytics_csv"),
]
