"""`python -m ingest PATH...` is `rag ingest PATH...`."""

import sys

from rag.cli.main import app

if __name__ == "__main__":
    # the usage line names the subcommand after the program: "python -m" + "ingest"
    app(args=["ingest", *sys.argv[1:]], prog_name="python -m")
