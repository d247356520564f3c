from django.contrib.auth.models import User
from django.db import models
from django.shortcuts import reverse


class Video(models.Model):
    title = models.TextField()
    summary = models.TextField()
    link = models.CharField(max_length=200, blank=True, null=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE)
    slug = models.SlugField()

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("App:videos")


class UserProfile(models.Model):
    user = models.OneToOneField(User, related_name="profile", on_delete=models.CASCADE)
    private_key = models.TextField(blank=True)
    # The tutorial's enroll view sets this, but its model has no such field.
    typingdna_secured = models.BooleanField(default=False)
