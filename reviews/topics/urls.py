"""Topics (点题述职): the public proposal link and the staff pages, under /topics/."""

from django.urls import path

from reviews.topics import views

app_name = "topics"

urlpatterns = [
    # Public: no login, reached from the poster's QR code.
    path("p/<str:token>/", views.propose, name="propose"),
    path("p/<str:token>/thanks/", views.thanks, name="thanks"),
    # Staff
    path("<int:session_id>/", views.session_page, name="session"),
    path("<int:session_id>/open/", views.call_open, name="open"),
    path("<int:session_id>/close/", views.call_close, name="close"),
    path("<int:session_id>/poster.pdf", views.poster, name="poster"),
    path("<int:session_id>/suggestions/new/", views.suggestion_enter, name="enter"),
    path("<int:session_id>/classify/", views.classify, name="classify"),
    path("<int:session_id>/merge/", views.merge, name="merge"),
    path("report/<int:report_id>/topic/", views.topic_assign, name="assign"),
    path("categories/", views.categories, name="categories"),
    path("categories/<int:category_id>/delete/", views.category_delete, name="category_delete"),
]
