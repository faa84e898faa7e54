"""The one lock around pdfium in this process.

pdfium is not thread-safe, whatever the document: pypdfium2 allows one thread at a time to call
it. The app renders cited pages from several sessions' threads and reads uploaded PDFs with it,
so every use takes this lock (another process has its own pdfium and needs no lock).
"""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
