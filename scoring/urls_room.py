"""The meeting room: the host console (staff) and the big screen (its own unguessable address)."""

from django.urls import path

from . import views_room

app_name = "room"

urlpatterns = [
    path("manage/room/<int:session_id>/", views_room.console, name="console"),
    path("manage/room/<int:session_id>/act/", views_room.console_action, name="act"),
    path("room/screen/<str:token>/", views_room.screen, name="screen"),
    path("room/screen/<str:token>/state/", views_room.screen_state, name="screen_state"),
]
