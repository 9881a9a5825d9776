from django.urls import URLPattern, path

from statusdesk.incidents import views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/confirm/", views.report_confirm, name="report_confirm"),
    path("reports/<int:pk>/dismiss/", views.report_dismiss, name="report_dismiss"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/assign/", views.incident_assign, name="incident_assign"),
    path("incidents/<int:pk>/publish/", views.incident_publish, name="incident_publish"),
    path("incidents/<int:pk>/updates/", views.incident_update, name="incident_update"),
    path("incidents/<int:pk>/resolve/", views.incident_resolve, name="incident_resolve"),
]
