from django.urls import URLPattern, path

from statusdesk.notifications import views

urlpatterns: list[URLPattern] = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscriptions/confirm/<str:token>/", views.confirm, name="subscription_confirm"),
    path("subscriptions/manage/<str:token>/", views.manage, name="subscription_manage"),
    path(
        "subscriptions/unsubscribe/<str:token>/", views.unsubscribe, name="subscription_unsubscribe"
    ),
]
