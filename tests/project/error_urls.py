"""The project's URLs plus one view that fails, for the 500 page's tests: the production URLs
keep no page that fails on purpose."""

from django.urls import path

from scoreboard import urls as project

SECRET_IN_THE_ERROR = "connection to db-primary.internal:5432 refused for user scoreboard_rw"


def fails(request):
    raise RuntimeError(SECRET_IN_THE_ERROR)


urlpatterns = [path("fails/", fails), *project.urlpatterns]
handler500 = project.handler500
