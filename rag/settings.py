"""One settings object for the whole application, read from the environment and `.env`.

Every field is listed in docs/configuration.md with its default. Nothing is read at import
time: call `load_settings()` (the CLI, the app and the tests each build their own; tests pass
`environ=` instead of changing `os.environ`).
"""

from __future__ import annotations

import difflib
import errno
import json
import os
import re
from collections.abc import Container, Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from rag.errors import ConfigError, validation_message
from rag.setting_variables import COLLECTION_NAME
from rag.settings_file import read_bindings, unparsable_line
from rag.types import SearchMode

EmbedderMode = Literal["local", "workers-ai", "openai"]
GeneratorMode = Literal["extractive", "workers-ai", "openai"]
RerankMode = Literal["off", "workers-ai"]
StoreEngine = Literal["edge", "local"]
OcrMode = Literal["auto", "off", "force"]
ContentFilterMode = Literal["off", "rules", "llama-guard"]
AnswerStrategy = Literal["single", "progressive", "consensus"]
ANSWER_STRATEGIES: tuple[AnswerStrategy, ...] = ("single", "progressive", "consensus")
RescoreMode = Literal["auto", "on", "off"]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
OCR_LANGUAGES = re.compile(r"[A-Za-z0-9_]+(?:\+[A-Za-z0-9_]+)*")
COLLECTION_RULE = ("use 1 to 63 ASCII letters (a to z, A to Z), digits, '-' or '_', "
                   "starting with a letter or digit")

# the schemes both Redis users read: redis-py (rag/providers/state.py) and, through it,
# the `limits` storage (rag/engine/access.py)
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
REDIS_RULE = "use a redis://, rediss:// or unix:// URL, e.g. redis://localhost:6379/0"


def listed(value: object) -> object:
    """A list setting as JSON (`["a", "b"]`) or as comma-separated text (`a, b`); blank: none."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    # text that looks like JSON is read as JSON, so that a JSON object is refused, not a name
    if not text.startswith(("[", "{", '"')):
        return [item.strip() for item in text.split(",") if item.strip()]
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"give a JSON list or comma-separated names ({exc.msg})") from None
    if not isinstance(loaded, list):
        return loaded
    # as the comma-separated form reads them: names trimmed, blank ones left out
    return [item.strip() if isinstance(item, str) else item for item in loaded
            if not isinstance(item, str) or item.strip()]


#: names read from one variable; NoDecode: the source must not insist on JSON
NameList = Annotated[list[str], NoDecode, BeforeValidator(listed)]


def masked_url(url: str) -> str:
    """`url` safe to show: a user and password before '@', and a query (redis-py also reads
    `?password=`), are shown as ***."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    address, query, _ = rest.partition("?")
    _, at, host = address.rpartition("@")
    return f"{scheme}{sep}{'***@' if at else ''}{host}{'?***' if query else ''}"


def redis_url_problem(url: str) -> str | None:
    """Why redis-py would refuse `url`, if it would."""
    if not url.startswith(REDIS_SCHEMES):
        return REDIS_RULE
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading the port checks it
    except ValueError:
        return "the port must be a number from 0 to 65535"
    database = parts.path.strip("/")
    # redis-py takes a database it cannot read as a number for none: database 0, unsaid
    if not url.startswith("unix://") and database and not database.isdigit():
        return "the database after the host must be a number, e.g. /0"
    from redis import ConnectionPool
    from redis.connection import parse_url
    from redis.exceptions import RedisError

    try:
        parse_url(url)  # its query's options (?db=, ?socket_timeout=, ...)
        pool = ConnectionPool.from_url(url)
        pool.connection_class(**pool.connection_kwargs)  # made, not connected
    except (ValueError, RedisError) as exc:  # RedisError: a value it checks (?protocol=4)
        return str(exc)
    except TypeError as exc:  # an option no connection takes (?timeout=, a typo)
        unknown = re.search(r"keyword argument '(\w+)'", str(exc))
        return (f"redis-py has no option {unknown.group(1)!r} (in the URL's query)" if unknown
                else "the URL's query holds options redis-py does not take")
    return None


ACCOUNT_OR_GATEWAY_ID = re.compile(r"[A-Za-z0-9_-]+")
# keys sent as `Authorization: Bearer <key>`: pasted with the word, it would be sent twice
BEARER_KEYS = ("cloudflare_api_token", "openai_api_key", "cloudflare_ai_gateway_token")
BEARER_WORD = re.compile(r"^bearer\s+", re.IGNORECASE)


def web_address_problem(url: str, example: str | None = None) -> str | None:
    """Why `url` is no address of a web API, if it is not: a scheme forgotten ("host:8080/v1")
    would otherwise fail every call as if the server were down."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading the port checks it
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ("use an http:// or https:// URL with a host, e.g. "
                f"{example or 'https://api.example.com/v1'}")
    return None


#: the variables `load_settings(environ=...)` reads instead of os.environ
_environ: ContextVar[Mapping[str, str] | None] = ContextVar("environ", default=None)


def _env(name: str) -> AliasChoices:
    """Accept a variable by its exact name (e.g. CLOUDFLARE_API_TOKEN) with no RAG_ prefix."""
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Application settings; `RAG_*` variables plus the providers' own standard names."""

    # a number of seconds, tokens or neurons is finite: `inf` would pass every bound, then
    # overflow where it is turned into an integer (a cache's expiry in Redis)
    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        populate_by_name=True, allow_inf_nan=False,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        # `VAR=` (as compose files write `${VAR:-}`) means unset for a setting unset by default,
        # and the default folder for a folder with one (never the working folder)
        default = cls.model_fields[info.field_name].default
        blank = isinstance(value, str) and not value.strip()  # a stray space is no folder
        if blank and (default is None or isinstance(default, Path)):
            return default
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _choice_in_any_case(cls, value: Any, info: ValidationInfo) -> Any:
        # variable names are read in any case; a mode's value ("Hybrid", "EXTRACTIVE") too
        if isinstance(value, str) and _is_choice(cls.model_fields[info.field_name].annotation):
            return value.strip().lower()
        return value

    @field_validator("data_dir", "qdrant_path", "model_dir", "cache_dir", "log_file",
                     "api_keys_file", "content_filter_rules", mode="before")
    @classmethod
    def _path_trimmed(cls, value: Any) -> Any:
        # spaces around a path are a slip of a .env, unit or compose file, never a name meant
        # (`rag ask` through an engine trims RAG_DATA_DIR alike): kept, a second library would
        # be made beside the real one
        return value.strip() if isinstance(value, str) else value

    @field_validator("data_dir", "qdrant_path", "model_dir", "cache_dir", "log_file",
                     "api_keys_file", "content_filter_rules")
    @classmethod
    def _home_expanded(cls, value: Path | None) -> Path | None:
        # `~/rag` as a .env file, a unit file or a compose file pass it, with no shell to
        # expand it: the home folder, for every part alike (some libraries expand it, others
        # would make a folder named "~" in the working folder)
        return value.expanduser() if value is not None else None

    # --- storage -------------------------------------------------------------------------
    data_dir: Path = Path("./data")
    qdrant_path: Path | None = None  # embedded store; default <data_dir>/qdrant
    # the embedded store's engine, used when qdrant_url is unset: "edge" is Qdrant's Rust engine
    # in-process (rag/stores/edge.py; far faster searches), "local" qdrant-client's
    # pure-Python local mode (for platforms without a qdrant-edge-py wheel)
    qdrant_engine: StoreEngine = "edge"
    qdrant_url: str | None = None  # a Qdrant server; when set the embedded path is unused
    qdrant_api_key: SecretStr | None = None
    collection: str = "docs"

    @field_validator("collection")
    @classmethod
    def _named(cls, name: str) -> str:
        if not COLLECTION_NAME.fullmatch(name):
            raise ValueError(COLLECTION_RULE)
        return name

    # --- models --------------------------------------------------------------------------
    embedder: EmbedderMode = "local"
    generator: GeneratorMode | None = None  # None: workers-ai when credentials are set
    model_dir: Path | None = None  # where the local ONNX model is built; default <data_dir>/models
    # int8: quantized once from the fp32 graph; faster on a CPU, retrieval within a point
    local_precision: Literal["int8", "fp32"] = "int8"

    # --- chunking and retrieval ----------------------------------------------------------
    chunk_tokens: int = Field(200, ge=16, description="chunk length in the embedder's tokens")
    chunk_overlap: int = Field(30, ge=0)
    top_k: int = Field(5, ge=1, le=100)
    search_mode: SearchMode = "hybrid"
    # hybrid search rescores its best fused hits by their best sentence's closeness to the
    # question (rag/retrieval/rescoring.py): better ranking on every style of text measured,
    # for embedding those sentences per question. "auto": on with the local embedder, off
    # with a remote one (where it would cost a request per question)
    sentence_rescore: RescoreMode = "auto"
    embed_batch_size: int = Field(8, ge=1, le=100, description="texts per local model call")
    upsert_batch_size: int = Field(64, ge=1, description="chunks per local embedding batch "
                                   "and per store write")
    cache: bool = True  # query embeddings and answers, on disk
    cache_dir: Path | None = None  # default <data_dir>/cache
    cache_ttl_seconds: int = Field(86_400, ge=0)
    answer_sentences: int = Field(4, ge=1, le=20, description="extractive answer length")

    # --- reading files --------------------------------------------------------------------
    # OCR with Tesseract: auto reads a PDF page's text layer and OCRs only pages with none (or
    # almost none) and images; force OCRs every page; off never OCRs.
    ocr: OcrMode = "auto"
    ocr_languages: str = Field("eng", description="Tesseract languages, e.g. eng+deu")
    ocr_dpi: int = Field(300, ge=72, le=600, description="PDF pages are rendered at this "
                         "resolution for OCR, and images of a lower one scaled up to it")
    ocr_workers: int = Field(0, ge=0, le=64, description="pages OCR'd at once; 0: one per core")

    @field_validator("ocr_languages")
    @classmethod
    def _tesseract_languages(cls, languages: str) -> str:
        if not OCR_LANGUAGES.fullmatch(languages):
            raise ValueError("give Tesseract's language names joined by '+', such as eng or "
                             "eng+deu (`tesseract --list-langs` lists those installed)")
        if "osd" in languages.split("+"):  # listed by --list-langs, but reads no text
            raise ValueError("osd is Tesseract's page orientation data, not a language: name "
                             "the languages of the text, such as eng or eng+deu")
        return languages

    # --- logs ----------------------------------------------------------------------------
    log_level: str = "ERROR"  # what reaches the console; the log file keeps INFO and up

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"use one of {', '.join(LOG_LEVELS)}")
        return level.strip().upper()
    log_file: Path | None = None  # default <data_dir>/logs/rag.jsonl

    # --- Cloudflare Workers AI -----------------------------------------------------------
    cloudflare_account_id: str | None = Field(None, validation_alias=_env("CLOUDFLARE_ACCOUNT_ID"))
    cloudflare_api_token: SecretStr | None = Field(
        None, validation_alias=_env("CLOUDFLARE_API_TOKEN")
    )
    cloudflare_base_url: str = Field(
        "https://api.cloudflare.com/client/v4", validation_alias=_env("CLOUDFLARE_BASE_URL")
    )
    cloudflare_ai_gateway_id: str | None = Field(
        None, validation_alias=_env("CLOUDFLARE_AI_GATEWAY_ID")
    )
    cloudflare_ai_gateway_base_url: str = Field(
        "https://gateway.ai.cloudflare.com/v1",
        validation_alias=_env("CLOUDFLARE_AI_GATEWAY_BASE_URL"),
    )
    workers_ai_embedding_model: str = "@cf/baai/bge-base-en-v1.5"
    workers_ai_chat_model: str = "@cf/meta/llama-3.1-8b-instruct"
    workers_ai_fallback_models: NameList = [
        "@cf/meta/llama-3.2-1b-instruct",
        "@cf/meta/llama-3.1-8b-instruct-fp8",
    ]

    # --- OpenAI-compatible servers (Ollama, vLLM, llama.cpp, Workers AI /ai/v1) ----------
    openai_base_url: str = Field(
        "http://localhost:11434/v1", validation_alias=_env("OPENAI_BASE_URL")
    )
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))

    # qdrant-client, like the AI clients, takes only http(s), and fails deep inside a call on
    # anything else
    @field_validator("cloudflare_base_url", "cloudflare_ai_gateway_base_url", "openai_base_url",
                     "qdrant_url")
    @classmethod
    def _web_address(cls, url: str | None, info: ValidationInfo) -> str | None:
        example = "http://localhost:6333" if info.field_name == "qdrant_url" else None
        # empty is no address: `VAR=` for a setting with a default is refused, as elsewhere
        problem = url is not None and web_address_problem(url, example)
        if problem:
            raise ValueError(problem)
        return url

    # A key goes out in an HTTP header, which carries printable ASCII only: anything else
    # fails deep in a call, reads as a broken connection, and may echo the key.
    @field_validator("qdrant_api_key", "cloudflare_api_token", "openai_api_key",
                     "cloudflare_ai_gateway_token", mode="before")
    @classmethod
    def _sendable_key(cls, key: Any, info: ValidationInfo) -> Any:
        if not isinstance(key, str):
            return key
        key = key.strip()  # a paste's spaces and line end around it
        if info.field_name in BEARER_KEYS:  # copied whole from a curl example's header
            key = BEARER_WORD.sub("", key)
        if not all("!" <= c <= "~" for c in key):
            raise ValueError("has spaces or characters other than printable ASCII, which an "
                             "HTTP header cannot carry; paste the key alone")
        return key

    # both go into the path of every request's URL
    @field_validator("cloudflare_account_id", "cloudflare_ai_gateway_id")
    @classmethod
    def _path_name(cls, name: str | None) -> str | None:
        if name is None:
            return None
        if not ACCOUNT_OR_GATEWAY_ID.fullmatch(name := name.strip()):
            raise ValueError("use letters, digits, - and _ only, as Cloudflare's dashboard "
                             "shows it")
        return name

    openai_chat_model: str = "llama3.1"
    openai_embedding_model: str = "nomic-embed-text"

    @field_validator("workers_ai_embedding_model", "workers_ai_chat_model", "openai_chat_model",
                     "openai_embedding_model", "rerank_model", "content_filter_model",
                     "progressive_model")
    @classmethod
    def _a_model_name(cls, name: str, info: ValidationInfo) -> str:
        # blank, as a compose file's `${VAR:-}` passes an unset one: the default, never a
        # blank name sent to the server, whose refusal would read as the server failing
        return name.strip() or cls.model_fields[info.field_name].default

    @property
    def resolved_qdrant_path(self) -> Path:
        return self.qdrant_path or self.data_dir / "qdrant"

    @property
    def resolved_log_file(self) -> Path:
        return self.log_file or self.data_dir / "logs" / "rag.jsonl"

    @property
    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or self.data_dir / "cache"

    @property
    def resolved_api_keys_file(self) -> Path:
        return self.api_keys_file or self.data_dir / "api_keys"

    @property
    def resolved_model_dir(self) -> Path:
        return self.model_dir or self.data_dir / "models"

    @property
    def has_cloudflare_credentials(self) -> bool:
        return bool(self.cloudflare_account_id and self.cloudflare_api_token)

    @property
    def resolved_generator(self) -> GeneratorMode:
        """Workers AI when credentials are set and nothing was chosen; extractive otherwise."""
        if self.generator is not None:
            return self.generator
        return "workers-ai" if self.has_cloudflare_credentials else "extractive"

    # --- AI client behaviour ---
    # Retries: one AI call makes at most `ai_max_attempts` tries within `ai_deadline_seconds`,
    # backing off exponentially (with jitter) from `ai_backoff_base_seconds` up to
    # `ai_backoff_max_seconds`, or as long as Retry-After asks (capped at 60 s).
    ai_max_attempts: int = Field(4, ge=1, le=10)
    ai_deadline_seconds: float = Field(60.0, gt=0)
    ai_backoff_base_seconds: float = Field(0.5, ge=0)
    ai_backoff_max_seconds: float = Field(8.0, ge=0)
    ai_connect_timeout_seconds: float = Field(5.0, gt=0)
    ai_read_timeout_seconds: float = Field(60.0, gt=0, description="max wait for any byte")
    # Generation: answer length, sampling, and an optional context-window override for
    # servers whose window is configured locally (Ollama num_ctx, vLLM --max-model-len).
    ai_max_tokens: int = Field(512, ge=16, le=8192)
    ai_temperature: float = Field(0.2, ge=0, le=5)
    ai_context_window: int | None = Field(None, ge=512)
    # Embeddings: requests in flight at once (each carries up to 100 texts on Workers AI).
    ai_embed_concurrency: int = Field(8, ge=1, le=32)
    openai_embedding_dimension: int | None = Field(None, ge=1)  # None: ask the server once
    openai_embedding_max_tokens: int = Field(512, ge=16)
    # AI Gateway: cache TTL (60 s to one month; None sends no header), cache bypass, and the
    # token of an authenticated gateway (sent as cf-aig-authorization).
    ai_gateway_cache_ttl: int | None = Field(None, ge=60, le=2_592_000)
    ai_gateway_skip_cache: bool = False
    cloudflare_ai_gateway_token: SecretStr | None = Field(
        None, validation_alias=_env("CLOUDFLARE_AI_GATEWAY_TOKEN")
    )

    # --- app and API ---
    # Largest file the app and the API accept, checked before it is read (and by the browser's
    # uploader); the `rag` command's own limit is the loaders' (200 MiB).
    upload_max_mb: int = Field(50, ge=1, le=200, description="largest upload, in MiB")
    # Questions one user may ask in any 60 seconds, in the chat and the API alike; 0: no limit.
    rate_limit_per_minute: int = Field(20, ge=0, validation_alias=AliasChoices(
        "RAG_RATE_LIMIT_PER_MINUTE", "RAG_APP_RATE_LIMIT_PER_MINUTE"))
    # Where rate limits (and other state every engine replica shares) live: unset keeps them in
    # this process; redis://host:6379/0 (or rediss://, unix://) shares them between replicas.
    redis_url: str | None = None

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, url: str | None) -> str | None:
        if url is None:
            return None
        problem = redis_url_problem(url)
        if problem:
            raise ValueError(problem)
        return url

    # API keys, each naming a user: "alice:KEY,bob:KEY". Unset (and no keys file): the API
    # answers loopback callers only.
    api_keys: SecretStr | None = None
    # A file of "user key" or "user sha256:HEX" lines (`rag keys add` writes hashed ones);
    # default <data_dir>/api_keys when it exists.
    api_keys_file: Path | None = None
    # Who may change the library (upload, delete, make and delete collections): these users
    # (API keys' users, the chat's signed-in users; `local` for callers without a key,
    # `anonymous` for the chat without sign-in). Empty: everyone who may call. The `rag`
    # command on this machine always may.
    editors: NameList = []

    # --- reranking ---
    # A cross-encoder reorders the best `rerank_candidates` fused hits and the top_k are kept.
    # Off by default: no reranker weights install from PyPI for local use, and Workers AI's
    # costs a request per question. `workers-ai` needs the Cloudflare credentials above.
    rerank: RerankMode = "off"
    rerank_model: str = "@cf/baai/bge-reranker-base"
    rerank_candidates: int = Field(20, ge=1, le=100, description="fused hits to rerank")

    # --- content filter ---
    # Questions are checked before anything else: `rules` against a policy file of patterns
    # (the shipped default, or RAG_CONTENT_FILTER_RULES), `llama-guard` the rules and then
    # Workers AI's Llama Guard (which needs the Cloudflare credentials). docs/security.md.
    content_filter: ContentFilterMode = "rules"
    content_filter_rules: Path | None = None  # a policy file; default: the shipped one
    content_filter_answers: bool = False  # llama-guard also checks each answer before it shows
    content_filter_model: str = "@cf/meta/llama-guard-3-8b"

    # --- resilience ---
    # A model that stays out of capacity or unavailable through its retries is skipped for this
    # long (every process on the data dir, and every replica sharing RAG_REDIS_URL, agrees);
    # then one probe request decides whether it is back. 0 turns breakers off.
    ai_breaker_seconds: float = Field(60.0, ge=0)

    # --- answer strategies ---
    # single: one model (with its fallbacks). progressive: `progressive_model` first, the
    # configured model when that answer fails a check. consensus: `consensus_models` in
    # parallel, the answer the others agree with most.
    answer_strategy: AnswerStrategy = "single"
    progressive_model: str = "@cf/meta/llama-3.2-1b-instruct"
    progressive_min_words: int = Field(8, ge=1, description="shorter first answers upgrade")
    # a "not in the passages" answer upgrades when the top passage scored at least this
    progressive_refusal_score: float = Field(0.5, ge=0)
    consensus_models: NameList = [
        "@cf/meta/llama-3.1-8b-instruct",
        "@cf/meta/llama-3.2-1b-instruct",
        "@cf/meta/llama-3.1-8b-instruct-fp8",
    ]
    consensus_min_agreement: float = Field(0.6, ge=0, le=1)

    @field_validator("consensus_models")
    @classmethod
    def _more_than_one(cls, models: list[str]) -> list[str]:
        if len(set(models)) == 1:
            raise ValueError("name at least two models: consensus compares their answers")
        return models
    # At ingest, ask the chat model for a short summary and keywords per document (one call
    # each, in parallel); they are shown on the Documents page and searchable.
    enrich: bool = False
    enrich_concurrency: int = Field(4, ge=1, le=32)

    # --- budgets ---
    # Neurons one user may spend per UTC day (answers, question embeddings, reranking, guard
    # and ingest alike); over it, answers are extractive until 00:00 UTC. Unset: no budget.
    user_daily_neurons: float | None = Field(None, ge=0)
    # Users never held to the budget (e.g. the admin's API key user): admin,ci or '["admin"]'.
    budget_exempt_users: NameList = []

    @field_validator("editors", "budget_exempt_users")
    @classmethod
    def _user_names(cls, names: list[str]) -> list[str]:
        # a name no caller can have ("alice bob", two names a comma should part) would
        # quietly let nobody edit, or hold everyone to the budget
        for name in names:
            if not name or not name.isprintable() or any(c.isspace() for c in name):
                raise ValueError(f"{name!r} is not a user name: a user name is one word (e.g. "
                                 "alice or ci-bot); separate names with commas")
        return names

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environ = _environ.get()
        if environ is not None:
            env_settings = _MappingSource(settings_cls, environ)
        return init_settings, env_settings, dotenv_settings, file_secret_settings


class _MappingSource(EnvSettingsSource):
    """Environment variables from a mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env_vars = {key.lower(): value for key, value in environ.items()}


@contextmanager
def _reading(environ: Mapping[str, str] | None) -> Iterator[None]:
    token = _environ.set(environ)
    try:
        yield
    finally:
        _environ.reset(token)


def load_settings(environ: Mapping[str, str] | None = None, *, env_file: str | None = ".env",
                  **overrides: Any) -> Settings:
    """Read the environment (or `environ`) and `env_file`; keyword overrides win (the CLI's
    flags use them; None means "not given")."""
    with _reading(environ):
        try:
            # python-dotenv would skip a line it cannot parse, leaving its setting's default
            if env_file is not None and Path(env_file).is_file() and (
                    problem := unparsable_line(Path(env_file))):
                raise ConfigError(problem)
            return Settings(_env_file=env_file,  # type: ignore[call-arg]
                            **{k: v for k, v in overrides.items() if v is not None})
        except ValidationError as exc:
            raise ConfigError(_describe(exc, _given_names(environ, env_file))) from None
        except UnicodeDecodeError:  # e.g. saved as UTF-16, as Windows Notepad may save it
            raise ConfigError(f"The settings file {Path(str(env_file)).absolute()} is not "
                              "UTF-8 text: save it as UTF-8.") from None
        except OSError as exc:
            raise ConfigError(f"Cannot read the settings file {Path(str(env_file)).absolute()} "
                              f"({exc.strerror or exc}).") from None


def _is_choice(annotation: object) -> bool:
    """Whether a field's type is a choice of lower-case names (or an optional one)."""
    choices = [a for a in (annotation, *get_args(annotation)) if get_origin(a) is Literal]
    return bool(choices) and all(isinstance(c, str) and c == c.lower()
                                 for choice in choices for c in get_args(choice))


def ignored_settings(settings: Settings) -> list[str]:
    """A warning for each setting that the others leave without effect."""
    warnings = []
    if settings.enrich and settings.resolved_generator == "extractive":
        warnings.append("RAG_ENRICH is on, but the extractive generator cannot describe "
                        "documents: documents are ingested without a summary. Set "
                        "RAG_GENERATOR (docs/providers.md), or leave RAG_ENRICH out.")
    # a safety setting believed on is worse than one known to be off
    if settings.content_filter_answers and settings.content_filter != "llama-guard":
        warnings.append("RAG_CONTENT_FILTER_ANSWERS is on, but only Llama Guard checks "
                        f"answers and RAG_CONTENT_FILTER is {settings.content_filter}: answers "
                        "are not checked. Set RAG_CONTENT_FILTER=llama-guard (docs/"
                        "security.md), or leave RAG_CONTENT_FILTER_ANSWERS out.")
    return warnings


def unknown_variables(environ: Mapping[str, str] | None = None, *,
                      env_file: str | None = ".env") -> list[str]:
    """A warning for each `RAG_*` variable (environment, then `env_file`) that names no
    setting, with the closest real name: settings ignore unknown names, so a misspelt
    RAG_TOPK would otherwise leave the default in force without a word."""
    known = _known_variables()
    found = [(name, None) for name in (os.environ if environ is None else environ)]
    if env_file is not None and Path(env_file).is_file():
        # an unreadable file, or line: the settings themselves say what is wrong with it
        with suppress(OSError, UnicodeDecodeError):
            found += [(binding.key, env_file) for binding in read_bindings(Path(env_file))
                      if binding.key is not None]
    warnings = []
    for name, place in found:
        variable = name.upper()
        if not variable.startswith("RAG_") or variable in known:
            continue
        where = f" (in {place})" if place else ""
        meant = difflib.get_close_matches(variable, known, n=1, cutoff=0.8)
        hint = f": did you mean {meant[0]}?" if meant else "."
        warnings.append(f"{name}{where} is not a setting and is ignored{hint}")
    return warnings


def _known_variables() -> set[str]:
    """Every variable a setting is read from, in upper case (names are read in any case)."""
    names = set()
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices)
        else:
            names.add(f"RAG_{field.upper()}")
    return names


def _describe(exc: ValidationError, given: Container[str] = ()) -> str:
    """A setting's problem in one line, named as users set it: `RAG_TOP_K: ...`; of a
    setting read under several names, the one among `given` (upper case)."""
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error.get("loc") else "?"
        problems.append(f"{_variable(field, given)}: {validation_message(error)}"
                        f"{_got(field, error.get('input'))}")
    return "Invalid setting: " + "; ".join(problems) + ". See docs/configuration.md."


def _given_names(environ: Mapping[str, str] | None, env_file: str | None) -> set[str]:
    """The variables set, in upper case: the environment's (or `environ`'s) and `env_file`'s."""
    names = set(os.environ if environ is None else environ)
    if env_file is not None and Path(env_file).is_file():
        with suppress(OSError, UnicodeDecodeError):
            names.update(binding.key for binding in read_bindings(Path(env_file))
                         if binding.key is not None)
    return {name.upper() for name in names}


def _variable(field: str, given: Container[str] = ()) -> str:
    """The variable a user sets for `field` (an error's place: a field's name or its first
    alias): of its names, the first among `given`, since errors name the first alias even
    when an older one (RAG_APP_RATE_LIMIT_PER_MINUTE) was set."""
    info = _field_info(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, AliasChoices):
        names = [str(choice).upper() for choice in alias.choices]
        set_names = [name for name in names if name in given]
        if set_names:
            return set_names[0]
        if str(alias.choices[0]).isupper():
            return str(alias.choices[0])  # a provider's own name, e.g. CLOUDFLARE_API_TOKEN
    return field if field.isupper() else f"RAG_{field.upper()}"


def _got(field: str, value: object) -> str:
    """The refused value as a message may show it: never a secret, a URL without its password."""
    info = _field_info(field)
    if info is not None and _holds_secret(info.annotation):
        return ""
    # a name that may hold a secret, unless its type says it is a count (RAG_CHUNK_TOKENS)
    if any(word in field.lower() for word in ("token", "key", "secret", "password")) and not (
            info is not None and _counts(info.annotation)):
        return ""
    if field.lower().endswith("_url") and isinstance(value, str):
        return f" (got {masked_url(value)!r})"
    return f" (got {value!r})"


def _field_info(field: str) -> FieldInfo | None:
    """The field an error's place names: its name, or an alias (OPENAI_API_KEY)."""
    if field in Settings.model_fields:
        return Settings.model_fields[field]
    for info in Settings.model_fields.values():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices) and field in alias.choices:
            return info
    return None


def _counts(annotation: object) -> bool:
    """Whether a field's type is a number (or an optional one)."""
    return annotation in (int, float) or any(a in (int, float) for a in get_args(annotation))


def _holds_secret(annotation: object) -> bool:
    """Whether a field's type is SecretStr (or an optional one)."""
    return annotation is SecretStr or SecretStr in get_args(annotation)


def make_folders(settings: Settings, only: Container[str] | None = None) -> None:
    """Make the folders a library in this process writes in (store, model, cache), or those
    whose variables are `only`; or say in one line which setting names a place that cannot be
    a folder."""
    for folder, variable, is_set in _folders(settings):
        if only is not None and variable not in only:
            continue
        advice = (f"give {variable} a folder you can write to" if is_set else
                  f"give RAG_DATA_DIR a folder you can write to, or {variable} a folder "
                  "of its own")
        # the data folder holds the documents' text, the uploads and everyone's questions:
        # made for its owner alone (one made before is left as its owner set it)
        make_folder(folder, advice, mode=0o700 if folder == settings.data_dir else 0o777,
                    # a built model is only read: a shared read-only model folder serves it
                    # (the embedder says when it has a model to build there and cannot)
                    written=variable != "RAG_MODEL_DIR")


def make_folder(folder: Path, advice: str, mode: int = 0o777, *, written: bool = True) -> None:
    """Make `folder` (and the folders above it), or say in one line why it cannot be made,
    or if `written` cannot be written in, and, in `advice`, what to do."""
    try:
        folder.mkdir(mode=mode, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot make the folder {folder} ({why_not_made(folder, exc)}): "
                          f"{advice}.") from None
    if written and not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"Cannot write in the folder {folder} "
                          f"({os.strerror(errno.EACCES)}): {advice}.")


def _folders(settings: Settings) -> list[tuple[Path, str, bool]]:
    """(folder, the variable naming it, whether that variable is set rather than the folder
    being made under RAG_DATA_DIR) for each folder the configured parts use."""
    folders = [(settings.data_dir, "RAG_DATA_DIR", True)]
    if settings.qdrant_url is None:
        folders.append((settings.resolved_qdrant_path, "RAG_QDRANT_PATH",
                        settings.qdrant_path is not None))
    if settings.embedder == "local":
        folders.append((settings.resolved_model_dir, "RAG_MODEL_DIR",
                        settings.model_dir is not None))
    if settings.cache and settings.cache_ttl_seconds > 0:
        folders.append((settings.resolved_cache_dir, "RAG_CACHE_DIR",
                        settings.cache_dir is not None))
    return folders


def why_not_made(folder: Path, exc: OSError) -> str:
    """Why `folder` cannot be made: a file in its place or on its path, said as such."""
    in_the_way = next((path for path in (folder, *folder.parents) if path.is_file()), None)
    if in_the_way == folder:
        return "it is a file"
    if in_the_way is not None:
        return f"{in_the_way} is a file"
    return exc.strerror or str(exc)
