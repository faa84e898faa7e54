"""The running application around the service: collections, answer options, uploads and the
page viewer, shared by every browser session."""
