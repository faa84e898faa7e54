"""One module per file format; `ingest.loaders` maps file types to them."""
