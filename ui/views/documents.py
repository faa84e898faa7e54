"""The documents page (see ui/documents.py)."""

from ui import common, documents

documents.render(common.context())
