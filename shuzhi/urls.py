from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from reviews.cycles import views as cycle_views

admin.site.site_header = admin.site.site_title = "述职评议"

handler400 = "shuzhi.errors.bad_request"


class FaviconRedirect(RedirectView):
    """/favicon.ico → the vendored SVG, resolved per request (its hashed name exists after collectstatic)."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("img/favicon.svg")


urlpatterns = [
    path("", cycle_views.home, name="home"),
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (PDFs, downloads).
    path("favicon.ico", FaviconRedirect.as_view()),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("vote/", include("scoring.ballots.urls")),
    path("manage/scoring/", include("scoring.urls")),
    path("manage/meeting/", include("scoring.meeting.urls")),
    path("screen/", include("scoring.meeting.screen_urls")),
    path("manage/clerk/", include("reviews.meeting.urls")),
    path("topics/", include("reviews.topics.urls")),
    path("reports/", include("reviews.drafts.urls")),
    path("findings/", include("reviews.findings.urls")),
    path("organisations/", include("reviews.orgs.urls")),
    path("manage/paper/", include("scoring.paper.urls")),
    path("handover/", include("reviews.handover.urls")),
    path("rectification/", include("reviews.rectification.urls")),
    path("dashboard/", include("scoring.dashboard.urls")),
    path("jobs/", include("reviews.jobs.urls")),
]
