from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

admin.site.site_header = "AI scoreboard administration"
admin.site.site_title = "AI scoreboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]
