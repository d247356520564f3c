from functools import wraps

import requests

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.models import User
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.generic import View

from .models import UserProfile, Video
from .tokens import account_activation_token
from .typingdnahelper import TypingDNA

tdna = TypingDNA(settings.TYPINGDNA_API_KEY, settings.TYPINGDNA_API_SECRET, settings.KEYCADENCE_URL)


def second_factor_required(view):
    """Signed in and through the second factor (typing or the e-mailed link). The tutorial's
    videos view checks neither, so its second factor could be skipped by opening the page."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect("App:login")
        if not (request.session.get("typingdna_auth") or request.session.get("verify_email")):
            return redirect("App:verify")
        return view(request, *args, **kwargs)

    return checked


class ActivateAccount(View):
    def get(self, request, uidb64, token, *args, **kwargs):
        try:
            user = User.objects.get(pk=int(uidb64))
        except (TypeError, ValueError, OverflowError, User.DoesNotExist):
            user = None
        if user is not None and account_activation_token.check_token(user, token):
            auth.login(request, user)
            request.session["verify_email"] = True
            return redirect("App:videos")
        context = {"message": "The confirmation link was invalid, possibly because it has already been used."}
        return render(request, "confirm.html", context)


def index(request):
    return redirect("App:videos")


def register(request):
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        email = request.POST.get("email", "").strip()
        password = request.POST.get("password", "")
        if not username or not password or User.objects.filter(username=username).exists():
            return render(request, "register.html", {"message": "Choose another username (and a password)"})
        user = User.objects.create_user(username=username, email=email, password=password)
        user.save()
        userprofile = UserProfile.objects.create(user=user)
        userprofile.save()
        auth.login(request, user)
        request.session["reg_user"] = {"username": username}
        return redirect("App:enroll")
    return render(request, "register.html")


def login(request):
    if request.method == "POST":
        username = request.POST.get("username")
        password = request.POST.get("password")
        user = auth.authenticate(username=username, password=password)
        if user is not None:
            auth.login(request, user)
            if request.session.get("typingdna_auth"):
                return redirect("App:videos")
            return redirect("App:verify")
        return render(request, "login.html", {"message": "Invalid login credentials"})
    return render(request, "login.html")


def logout(request):
    auth.logout(request)
    return redirect("App:login")


@second_factor_required
def videos(request):
    paginator = Paginator(Video.objects.filter(user=request.user).order_by("pk"), 2)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(request, "videos.html", {"page_obj": page_obj})


def auto(request, username):
    """Sends the form's patterns (`tp`) to /auto for `username`, as the tutorial's views do.
    Returns the API's answer, or None once its error is shown (an answer that is not the API's
    JSON, such as a proxy's error page, is shown as such instead of failing the view)."""
    try:
        r = tdna.auto(tdna.hash_text(username), request.POST.get("tp", ""))
    except requests.RequestException:
        messages.add_message(request, messages.INFO, "The typing API cannot be reached, please try again", "danger")
        return None
    try:
        answer = r.json()
    except ValueError:
        answer = {"message": f"The typing API answered HTTP {r.status_code}"}
    if r.status_code == 200:
        return answer
    messages.add_message(request, messages.INFO, answer.get("message", "The typing API failed"), "danger")
    return None


def enroll(request):
    if "reg_user" not in request.session:
        return redirect("App:login")
    if request.method == "POST":
        username = request.session["reg_user"]["username"]
        if auto(request, username) is None:
            return redirect("App:enroll")
        user = UserProfile.objects.get(user=User.objects.get(username=username))
        user.typingdna_secured = True
        user.save()
        request.session["typingdna_auth"] = True
        messages.add_message(request, messages.INFO, "You have successfully registered TypingDNA 2FA", "success")
        return redirect("App:videos")
    return render(request, "enroll.html")


def verify(request):
    if not request.user.is_authenticated:
        return redirect("App:login")
    if request.method == "POST":
        answer = auto(request, request.user.username)
        if answer is not None and answer.get("result") == 1:
            request.session["typingdna_auth"] = True
            return redirect("App:videos")
        if answer is not None:
            messages.add_message(request, messages.INFO, "You failed the TypingDNA verification check, please try again", "danger")
        return redirect("App:verify")
    return render(request, "verify.html")


def verify_email(request):
    if not request.user.is_authenticated:
        return redirect("App:login")
    if request.method == "POST":
        if request.POST.get("verify_email") == "true":
            message = render_to_string("activation.html", {
                "user": request.user,
                "domain": get_current_site(request).domain,
                "uid": request.user.pk,
                "token": account_activation_token.make_token(request.user),
            })
            # The tutorial prints the link to the console; here it is e-mailed, over SMTP.
            send_mail("Your sign-in link", message, None, [request.user.email])
            return render(request, "verify-email.html", {"sent": "A link has been sent to your email"})
        # (The tutorial renders "verify-email" here, a template that does not exist.)
        return render(request, "verify-email.html", {"error": "true"})
    return render(request, "verify-email.html")
