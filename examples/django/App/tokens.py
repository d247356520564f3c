from django.contrib.auth.tokens import PasswordResetTokenGenerator


class AccountActivationTokenGenerator(PasswordResetTokenGenerator):
    # The tutorial imports `six` from django.utils, which Django 3.0 removed; str does the job.
    # The last login is part of the hash, so a link stops working once it has signed the user in.
    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{timestamp}{user.last_login}"


account_activation_token = AccountActivationTokenGenerator()
