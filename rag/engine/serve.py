"""`python -m rag.engine.serve SCRIPT [OPTIONS]`: `streamlit run SCRIPT [OPTIONS]`, with the
server settings Streamlit does not expose set first (`rag.engine.keepalive`). `rag ui` runs
the engine this way; Streamlit makes the server's configuration before it imports the app,
so the app itself is too late to set them."""

from __future__ import annotations

import sys

from rag.engine.keepalive import keep_idle_connections


def main() -> None:
    keep_idle_connections()
    from streamlit.web.cli import main as streamlit

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    streamlit(prog_name="streamlit")


if __name__ == "__main__":
    main()
