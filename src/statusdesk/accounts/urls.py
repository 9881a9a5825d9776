from django.urls import URLPattern, path

from statusdesk.accounts import views

urlpatterns: list[URLPattern] = [
    path("login/", views.ConsoleLoginView.as_view(), name="login"),
    path("logout/", views.ConsoleLogoutView.as_view(), name="logout"),
]
