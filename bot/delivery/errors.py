"""How a channel tells the delivery worker what happened to a send.

Channel adapters translate their platform's errors into these; the outbox decides from them
whether to wait, retry, or give up, without knowing any platform.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """Base class: the message was not delivered."""


class RetryAfter(DeliveryError):
    """The platform asked us to wait this many seconds before sending again (Telegram 429)."""

    def __init__(self, seconds: float, reason: str = "rate limited") -> None:
        super().__init__(f"{reason}; retry after {seconds}s")
        self.seconds = seconds


class Unreachable(DeliveryError):
    """The person blocked the bot, or the chat does not exist: stop sending to them."""


class TemporaryFailure(DeliveryError):
    """Network trouble or a server error: retry with backoff, up to a limit."""


class Ambiguous(DeliveryError):
    """The request left but no answer came (connection lost, read timeout): the platform may have
    delivered it. Not retried, so nobody gets it twice; reported as not confirmed."""


class PermanentFailure(DeliveryError):
    """The platform refused this message (bad request): retrying will not help."""
