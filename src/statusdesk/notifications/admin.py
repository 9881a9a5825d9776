"""Admin: administrators configure chat channels (Apprise URLs) and send them a test message;
subscribers and deliveries are shown read-only (they change through the services: the subscriber's
links, the API, the failed-deliveries page)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from statusdesk.accounts.models import User
from statusdesk.core.admin import ReadOnlyAdmin
from statusdesk.core.errors import ProcessError
from statusdesk.notifications import services
from statusdesk.notifications.models import ChatChannel, Delivery, Subscriber


class ChatChannelForm(forms.ModelForm):
    class Meta:
        model = ChatChannel
        fields = ["name", "url", "all_components", "components", "active"]
        widgets = {"url": forms.TextInput(attrs={"size": 80})}
        help_texts = {
            "url": "An Apprise URL: slack://…, msteams://…, discord://…, matrix://…, tgram://…, "
            "mmost://… (see the Apprise documentation).",
            "all_components": "Post every incident; otherwise only those affecting the components "
            "chosen below.",
        }

    def clean_url(self) -> str:
        url = str(self.cleaned_data.get("url") or "").strip()
        problem = services.apprise_url_problem(url)
        if problem:
            raise forms.ValidationError(problem[:1].upper() + problem[1:])
        return url


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    form = ChatChannelForm
    list_display = ["name", "all_components", "active", "created_at"]
    actions = ["send_test_message"]

    @admin.action(description="Send test message")
    def send_test_message(self, request: HttpRequest, queryset: QuerySet[ChatChannel]) -> None:
        user = request.user
        assert isinstance(user, User)
        for channel in queryset:
            try:
                services.send_test_message(actor=user, channel=channel)
            except ProcessError as exc:
                self.message_user(request, f"{channel.name}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{channel.name}: test message sent.", messages.SUCCESS)


@admin.register(Subscriber)
class SubscriberAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "all_components", "confirmed_at", "unsubscribed_at"]
    list_filter = ["kind"]
    search_fields = ["email", "webhook_url"]
    exclude = ["secret", "key"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["idempotency_key", "channel", "state", "attempts", "next_attempt_at"]
    list_filter = ["state", "channel"]
    search_fields = ["idempotency_key"]
