from django.urls import URLPattern, path

from statusdesk.postmortems import views

urlpatterns: list[URLPattern] = [
    path("me/actions/", views.my_actions, name="my_actions"),
    path("incidents/<int:pk>/postmortem/", views.postmortem_edit, name="postmortem_edit"),
    path(
        "incidents/<int:pk>/postmortem/preview/",
        views.postmortem_preview,
        name="postmortem_preview",
    ),
    path(
        "incidents/<int:pk>/postmortem/publish/",
        views.postmortem_publish,
        name="postmortem_publish",
    ),
    path(
        "incidents/<int:pk>/postmortem/export.md",
        views.postmortem_export,
        name="postmortem_export",
    ),
    path("incidents/<int:pk>/postmortem/print/", views.postmortem_print, name="postmortem_print"),
    path(
        "incidents/<int:pk>/postmortem/actions/",
        views.postmortem_action_add,
        name="postmortem_action_add",
    ),
    path(
        "postmortem-actions/<int:action_id>/done/",
        views.postmortem_action_close,
        name="postmortem_action_close",
    ),
]
