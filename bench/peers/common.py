"""What the ingest benchmarks share: the corpus, our chunks, the machine, a process's memory.

bench/ingest_peers.py, bench/embed_limit.py and bench/ingest_profile.py must measure the very
same pages, so a quick run's subset is built here, the same way for all: the middle pages of
each PDF (front matter and indexes are not typical text), spread evenly over the files. Our
chunks of a corpus come from the app's own loader and chunker and are cached on disk, because
parsing the full corpus takes minutes and is never the thing being timed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import os
import platform
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PDFS = ROOT.parent / "shared" / "data" / "pdfs" / "real"
RESULTS = ROOT / "bench" / "results"
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
CACHE = Path(tempfile.gettempdir()) / "docqa-bench-cache"
APP_PACKAGES = ("onnxruntime", "tokenizers", "numpy", "pypdf", "qdrant-client",
                "langchain-text-splitters")
PEER_PACKAGES = APP_PACKAGES + (
    "torch", "sentence-transformers", "transformers", "langchain-core", "langchain-community",
    "langchain-qdrant", "langchain-huggingface", "llama-index-core",
    "llama-index-vector-stores-qdrant", "llama-index-embeddings-huggingface",
    "llama-index-readers-file",
)


@dataclass(frozen=True)
class Corpus:
    """The PDFs a run ingests: the folder handed to every contender, and what it holds."""

    source: Path  # the folder named on the command line
    folder: Path  # what the contenders read: `source` itself or a subset built from it
    files: int
    pages: int
    subset: str | None  # None for the whole folder, else how the subset was taken

    def as_json(self) -> dict:
        data = asdict(self)
        data["source"], data["folder"] = str(self.source), str(self.folder)
        return data


def pdf_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".pdf")


def page_shares(total: int, files: int) -> list[int]:
    """`total` pages spread over `files` files as evenly as whole pages allow."""
    base, extra = divmod(total, files)
    return [base + (1 if i < extra else 0) for i in range(files)]


def _write_middle_pages(src: Path, dest: Path, count: int) -> int:
    """Copy `count` consecutive pages from the middle of `src` into a new PDF at `dest`."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(src)
    count = min(count, len(reader.pages))
    start = (len(reader.pages) - count) // 2
    writer = PdfWriter()
    for page in reader.pages[start : start + count]:
        writer.add_page(page)
    with dest.open("wb") as fh:
        writer.write(fh)
    return count


def count_pages(files: list[Path]) -> int:
    from pypdf import PdfReader

    return sum(len(PdfReader(f).pages) for f in files)


def prepare_corpus(source: Path, workdir: Path, max_files: int | None,
                   max_pages: int | None) -> Corpus:
    """The folder to ingest: `source` as it is, or a subset of it written under `workdir`."""
    files = pdf_files(source)
    if not files:
        raise SystemExit(f"no PDF in {source}")
    if max_files is None and max_pages is None:
        return Corpus(source, source, len(files), count_pages(files), None)
    files = files[:max_files] if max_files else files
    folder = workdir / "pdfs"
    folder.mkdir(parents=True, exist_ok=True)
    if max_pages is None:
        for f in files:
            (folder / f.name).symlink_to(f)
        note = f"first {len(files)} files"
        return Corpus(source, folder, len(files), count_pages(files), note)
    shares = page_shares(max_pages, len(files))
    pages = sum(_write_middle_pages(f, folder / f.name, n)
                for f, n in zip(files, shares, strict=True) if n > 0)
    kept = sum(1 for n in shares if n > 0)
    note = f"{pages} middle pages of {kept} files (--max-pages {max_pages})"
    return Corpus(source, folder, kept, pages, note)


def _digest(paths: list[Path], extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for path in paths:
        h.update(path.name.encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:24]


@dataclass
class OurChunks:
    """The pages of a corpus as our loader reads them, and the chunks our chunker makes."""

    pages: list[str]  # every page's text, in file and page order
    chunks: list[str]
    seconds: float  # how long loading and chunking took when they were not cached


def our_chunks(corpus: Corpus) -> OurChunks:
    """Load and chunk every file exactly as `rag ingest` does; cached by content and code."""
    from ingest.loaders import load_file
    from ingest.pipeline import IngestPipeline
    from rag.registry import make_embedder
    from rag.settings import load_settings

    settings = load_settings(embedder="local")
    files = pdf_files(corpus.folder)
    code = [ROOT / "ingest" / "chunking.py", ROOT / "ingest" / "loaders.py",
            ROOT / "rag" / "text" / "tokens.py"]
    key = _digest(files + code, f"{settings.chunk_tokens}/{settings.chunk_overlap}/"
                  f"{metadata.version('pypdf')}/{metadata.version('langchain-text-splitters')}")
    cached = CACHE / f"chunks-{key}.json"
    if cached.exists():
        return OurChunks(**json.loads(cached.read_text()))
    started = time.perf_counter()
    embedder = make_embedder(settings)
    # the pipeline builds the chunker from the settings exactly as ingest does; no store needed
    pipeline = IngestPipeline(embedder, None, settings.chunk_tokens,  # type: ignore[arg-type]
                              settings.chunk_overlap)
    pages: list[str] = []
    chunks: list[str] = []
    for path in files:
        document = load_file(path)
        pages.extend(page.text for page in document.pages)
        chunks.extend(c.text for c in pipeline.chunker(document))
    result = OurChunks(pages, chunks, round(time.perf_counter() - started, 1))
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.part")
    tmp.write_text(json.dumps(asdict(result)))
    tmp.replace(cached)
    return result


def embedded_tokens(texts: list[str]) -> int:
    """Tokens the model computes for `texts` ([CLS] and [SEP] in, cut at its 256-token limit).

    Chunk counts alone would flatter a pipeline that makes small chunks; this is the work.
    """
    from rag.providers.embedders.local import load_tokenizer, weights_dir

    tokenizer = load_tokenizer(weights_dir())
    return sum(min(len(e.ids), 256) for e in tokenizer.encode_batch(texts))


def process_memory(pid: int) -> dict[str, int]:
    """A live process's memory in KiB: its peak RSS since its exec (VmHWM), and its anonymous
    and file-backed RSS now (RssAnon, RssFile); empty once it has gone. VmHWM rather than
    wait4's maximum RSS, which carries the parent's peak into the child across its exec."""
    found = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "RssAnon", "RssFile"):
                    found[key] = int(value.split()[0])
    except (OSError, IndexError, ValueError):
        pass
    return found


def child_pids(pid: int) -> list[int]:
    """The process's children, started by any of its threads."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found.extend(int(c) for c in fh.read().split())
    except OSError:
        pass
    return found


def git_state() -> dict:
    """The commit measured, and which of the app's files differed from it (others edit too)."""
    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False)
        return proc.stdout.strip()

    return {"commit": git("rev-parse", "HEAD"),
            "uncommitted": git("status", "--porcelain", "--", "rag", "ingest").splitlines()}


def ensure_onnx_model() -> Path:
    """Build our ONNX graph once, outside any timing; returns the folder to use as RAG_MODEL_DIR.

    Uses the app's own model folder (`data/models`, as bench/ingest_real_pdfs.py does) so the
    one-time build (about a second) is never part of a timed ingest.
    """
    from rag.providers.embedders.local import LocalOnnxEmbedder

    folder = ROOT / "data" / "models"
    LocalOnnxEmbedder(folder)  # builds the graph if it is missing, else only loads it
    return folder


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions(names: tuple[str, ...]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def peer_versions() -> dict[str, str | None]:
    """Package versions inside .venv-peers (a different interpreter, so asked in a subprocess)."""
    if not PEERS_PYTHON.exists():
        return {}
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from common import versions, "
            "PEER_PACKAGES; print(json.dumps(versions(PEER_PACKAGES)))")
    proc = subprocess.run([str(PEERS_PYTHON), "-c", code, str(Path(__file__).parent)],
                          capture_output=True, text=True, check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr[-500:]}


def machine(peers: bool, load_at_start: tuple[float, float, float]) -> dict:
    """What a reader needs to judge the numbers: the CPU, its load, Python and packages.

    Others share this machine: the load averages at start and end say how much they did.
    """
    info = {
        "cores": os.cpu_count(), "cpu": cpu_model(), "arch": platform.machine(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in load_at_start],
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "app_venv": versions(APP_PACKAGES),
    }
    if peers:
        info["peers_venv"] = peer_versions()
    return info


def busy_warning(load: tuple[float, float, float]) -> None:
    """Say so when others were using the CPU as a run began: its numbers are then low and noisy."""
    if load[0] >= 0.5:
        print(f"note: load average {load[0]:.1f} on {os.cpu_count()} cores as this started: "
              "other work is using the CPU, so these numbers are lower and noisier than on a "
              "quiet machine", flush=True)


def write_result(name: str, result: dict) -> Path:
    out = RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return out


def print_table(header: list[str], rows: list[list[object]]) -> None:
    """A plain aligned table: numbers right, text left."""
    cells = [header] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [all(_is_number(row[i]) for row in rows) for i in range(len(header))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) if numeric[i] else c.ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def _is_number(value: object) -> bool:
    return value is None or isinstance(value, (int, float))
