"""nuclio's SDK names, so handlers written for nuclio (``import nuclio_sdk``) run on
ferrite unmodified."""

from ferrite_sdk import Context, Event, Logger, Response
from ferrite_sdk import Trigger as TriggerInfo

__all__ = ["Context", "Event", "Logger", "Response", "TriggerInfo"]
