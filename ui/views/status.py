"""The status page (see ui/status.py)."""

from ui import common, status

status.render(common.context())
