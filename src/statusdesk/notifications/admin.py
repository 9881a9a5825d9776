"""Admin: administrators configure chat channels (Apprise URLs) and send them a test message;
subscribers and deliveries are shown read-only (they change through the services: the subscriber's
links, the API, the failed-deliveries page)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from statusdesk.accounts.models import User
from statusdesk.core.admin import ReadOnlyAdmin
from statusdesk.core.errors import ProcessError
from statusdesk.notifications import services
from statusdesk.notifications.models import ChatChannel, Delivery, Subscriber
from statusdesk.notifications.transports import masked_url


class ChatChannelForm(forms.ModelForm):
    """The URL holds the room's token: it is typed in, never shown back (the page shows its
    scheme); left empty when editing, the current one stays."""

    class Meta:
        model = ChatChannel
        fields = ["name", "url", "all_components", "components", "active"]
        widgets = {"url": forms.PasswordInput(attrs={"size": 80, "autocomplete": "off"})}
        help_texts = {
            "url": "An Apprise URL: slack://…, msteams://…, discord://…, matrix://…, tgram://…, "
            "mmost://… (see the Apprise documentation). It is a secret: never shown again; "
            "leave it empty to keep the current one.",
            "all_components": "Post every incident; otherwise only those affecting the components "
            "chosen below.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["url"].required = False
            self.fields["url"].help_text = f"Now {masked_url(self.instance.url)}. " + str(
                self.fields["url"].help_text
            )

    def clean_url(self) -> str:
        url = str(self.cleaned_data.get("url") or "").strip()
        if not url and self.instance.pk:
            return self.instance.url
        problem = services.apprise_url_problem(url)
        if problem:
            raise forms.ValidationError(problem[:1].upper() + problem[1:])
        return url


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    form = ChatChannelForm
    list_display = ["name", "address", "all_components", "active", "created_at"]
    actions = ["send_test_message"]

    @admin.display(description="URL")
    def address(self, channel: ChatChannel) -> str:
        return masked_url(channel.url)

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
