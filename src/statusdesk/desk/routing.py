from django.urls import path

from statusdesk.desk.consumers import ThreadConsumer

websocket_urlpatterns = [
    path("ws/desk/incidents/<int:incident_id>/", ThreadConsumer.as_asgi()),
]
