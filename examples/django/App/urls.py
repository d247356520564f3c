from django.urls import path

from . import views

app_name = "App"
urlpatterns = [
    path("", views.index, name="index"),
    path("register", views.register, name="register"),
    path("login", views.login, name="login"),
    path("logout", views.logout, name="logout"),
    path("all-videos", views.videos, name="videos"),
    path("enroll", views.enroll, name="enroll"),
    path("verify", views.verify, name="verify"),
    path("verify-email", views.verify_email, name="verify_email"),
    path("activate/<uidb64>/<token>/", views.ActivateAccount.as_view(), name="activate"),
]
