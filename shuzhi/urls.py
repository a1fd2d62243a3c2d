from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from reviews import views as review_views

admin.site.site_header = admin.site.site_title = "述职评议"

handler400 = "shuzhi.errors.bad_request"

urlpatterns = [
    path("", review_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("vote/", include("scoring.urls_delegate")),
    path("manage/scoring/", include("scoring.urls_manage")),
    path("manage/meeting/", include("scoring.urls_meeting")),
    path("screen/", include("scoring.urls_screen")),
    path("manage/clerk/", include("reviews.urls_clerk")),
    path("topics/", include("reviews.urls_topics")),
    path("reports/", include("reviews.urls_drafts")),
    path("findings/", include("reviews.urls_findings")),
    path("manage/paper/", include("scoring.urls_paper")),
    path("handover/", include("reviews.urls_handover")),
    path("rectification/", include("reviews.urls_rectification")),
    path("dashboard/", include("scoring.urls_dashboard")),
]
