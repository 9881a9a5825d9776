from django.db import models


class Notice(models.Model):
    """Content of the second app (like a desk post): its events point to it by id."""

    text = models.CharField(max_length=200)
    # While true, the reaction fails (the tests' stand-in for a broken dependency, then fixed).
    broken = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.text


class Echo(models.Model):
    """One row per time a reaction ran: "exactly once" is one row per (event, reaction)."""

    event_id = models.BigIntegerField()
    reaction = models.CharField(max_length=100)
    text = models.CharField(max_length=200)
    pid = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.reaction} for event {self.event_id}"
