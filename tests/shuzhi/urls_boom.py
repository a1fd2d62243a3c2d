"""The project's URLs plus one view that fails, for the 500 page test."""

from django.urls import path

from shuzhi.urls import handler400  # noqa: F401
from shuzhi.urls import urlpatterns as project_urlpatterns


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom), *project_urlpatterns]
