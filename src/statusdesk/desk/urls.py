from django.urls import URLPattern, path

from statusdesk.desk import views

urlpatterns: list[URLPattern] = [
    path("desk/", views.desk_page, name="desk"),
    path("desk/members/", views.members_page, name="desk_members"),
    path("desk/mirror/", views.mirror_page, name="desk_mirror"),
    path("incidents/<int:pk>/thread/", views.thread_page, name="desk_thread"),
    path("incidents/<int:pk>/thread/messages/", views.thread_messages, name="desk_thread_messages"),
]
