"""A sentence longer than a passage holds (a key, a hash, a minified line in it): the passage
stopping inside it says so, and the answer quotes it as going on, never as a whole sentence."""

from __future__ import annotations

from pathlib import Path

from rag.service import RagService

KEY = "AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + "".join(
    f"{n:04x}Zq9+/Xk{n % 7}w" for n in range(120))  # a public key's base64, ~1,800 characters


def test_a_sentence_longer_than_a_passage_is_quoted_as_going_on(
        service: RagService, tmp_path: Path) -> None:
    """A key or a hash of hundreds of tokens makes its sentence longer than a passage: the
    passage ending before it was quoted as if its sentence ended there ("The public key of the
    deploy user is ssh-rsa [1]"), the key asked for missing unsaid."""
    notes = tmp_path / "deploy.md"
    notes.write_text("# Deploy notes\n\nThe deploy server runs Debian 12.\n\nThe public key of "
                     f"the deploy user is ssh-rsa {KEY} deploy@ci, and it is added to "
                     "authorized_keys on every host.\n")
    service.ingest([notes])
    chunks = service.search("public key of the deploy user", top_k=10)
    cut = next(hit for hit in chunks if hit.text.endswith("ssh-rsa"))
    assert cut.closes_inside_sentence
    answer = "".join(service.ask("What is the public key of the deploy user?"))
    assert "The public key of the deploy user is ssh-rsa … [" in answer
