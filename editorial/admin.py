"""The admin of a user account, with the reviewer's profession that the pages they
publish show beside their name (ReviewerProfile), edited on the account itself."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin  # registers the User admin first
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import ReviewerProfile


class ReviewerProfileInline(admin.StackedInline):
    model = ReviewerProfile
    can_delete = True
    max_num = 1
    verbose_name = _("profession shown on the pages this reviewer publishes")
    verbose_name_plural = verbose_name


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    inlines = [*auth_admin.UserAdmin.inlines, ReviewerProfileInline]
