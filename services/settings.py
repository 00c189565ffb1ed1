"""Settings: typed, read from TOML, checked key by key, written back atomically.

The defaults below are the ones `settings.toml` at the repository root documents; a test keeps the
two equal. A bad file is reported with its path, line and column, and nothing else happens.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_type_hints

import msgspec
from msgspec import field

from services.errors import SettingsError
from services.procore.endpoints import OOB_REDIRECT

SETTINGS_ENV = "CCO_UNLINK_SETTINGS"
PROCORE_SECRET_ENV = "PROCORE_CLIENT_SECRET"
CONNECTOR_TOKEN_ENV = "QUICKBOOKS_CONNECTOR_TOKEN"

BackendMode = Literal["sandbox", "remote"]
ProcoreEnvironmentName = Literal["production", "developer-sandbox", "monthly-sandbox", "custom"]
GrantType = Literal["client_credentials", "authorization_code"]
QuickBooksPath = Literal["direct", "web-connector"]
_S = TypeVar("_S", bound=msgspec.Struct)

SECRET_KEYS: tuple[tuple[str, str], ...] = (("procore", "client_secret"), ("quickbooks", "token"))
"""The (section, key) pairs holding a secret: best kept in the environment, never logged."""
_SECRET_FIELDS = frozenset(key for _, key in SECRET_KEYS)


class _Section(msgspec.Struct, frozen=True):
    """A [section] of the file. Its secrets never show in a repr: settings reach logs.

    msgspec Structs rather than dataclasses: each frozen dataclass took about 0.4 ms to define,
    on the way to every start's first frame."""

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.__rich_repr__())
        return f"{type(self).__name__}({shown})"

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """What Rich shows, in Textual's tracebacks of a crash among them: msgspec's own
        would list the secrets."""
        return [
            (name, "***" if name in _SECRET_FIELDS and value else value)
            for name, value in msgspec.structs.asdict(self).items()
        ]


class BackendSettings(_Section, frozen=True):
    mode: BackendMode = "sandbox"


class ProcoreSettings(_Section, frozen=True):
    environment: ProcoreEnvironmentName = "production"
    base_url: str = ""
    login_url: str = ""
    grant: GrantType = "client_credentials"
    redirect_uri: str = OOB_REDIRECT
    client_id: str = "admin"
    client_secret: str = ""
    company_id: int = 0
    timeout_seconds: float = 30.0
    per_page: int = 2000


class QuickBooksSettings(_Section, frozen=True):
    connector_url: str = ""
    token: str = ""
    token_env: str = CONNECTOR_TOKEN_ENV
    """The environment variable holding the token; it wins over `token`."""
    timeout_seconds: float = 60.0
    via: QuickBooksPath = "direct"
    allow_delete: bool = False


class ConnectorSettings(_Section, frozen=True):
    """`cco-unlink connector`, the service the QuickBooks Web Connector polls. Read from the same
    file as the rest: one documented file per installation, checked the same way."""

    host: str = "127.0.0.1"
    port: int = 8765
    poll_wait_seconds: float = 20.0
    answer_wait_seconds: float = 30.0
    run_every_seconds: int = 5
    company_file: str = ""
    qbxml_version: str = "13.0"
    username: str = "cco-unlink"
    app_name: str = "cco-unlink"
    app_url: str = ""
    app_support: str = ""
    owner_id: str = ""
    file_id: str = ""
    cert_file: str = ""
    key_file: str = ""
    journal: str = ""


class SandboxSettings(_Section, frozen=True):
    host: str = "127.0.0.1"
    port: int = 0
    data_file: str = ""
    seed: int = 20260301
    latency_ms: int = 0
    rate_limit_per_hour: int = 100_000
    rate_limit_per_10s: int = 2_000
    # Faults the sandbox makes on purpose; all off by default (settings.toml says what each does).
    fault_seed: int = 1
    procore_error_percent: int = 0
    rate_limit_storm_percent: int = 0
    storm_length: int = 5
    storm_retry_after_s: int = 1
    drop_before_change_percent: int = 0
    drop_after_change_percent: int = 0
    malformed_json_percent: int = 0
    connector_down_percent: int = 0
    quickbooks_closed_percent: int = 0
    quickbooks_busy_percent: int = 0
    qbxml_truncated_percent: int = 0
    qbxml_invalid_percent: int = 0
    quickbooks_delay_ms: int = 0


SANDBOX_FAULT_KEYS = tuple(
    name
    for name in SandboxSettings.__struct_fields__
    if name == "fault_seed" or name.endswith(("_percent", "_delay_ms")) or name.startswith("storm_")
)
"""The [sandbox] keys that set faults; `cco-unlink sandbox` offers each as a flag too."""


class UiSettings(_Section, frozen=True):
    theme: str = "textual-dark"
    toast_seconds: float = 6.0


class AuditSettings(_Section, frozen=True):
    path: str = ""


class Settings(msgspec.Struct, frozen=True):
    backend: BackendSettings = field(default_factory=BackendSettings)
    procore: ProcoreSettings = field(default_factory=ProcoreSettings)
    quickbooks: QuickBooksSettings = field(default_factory=QuickBooksSettings)
    connector: ConnectorSettings = field(default_factory=ConnectorSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    keys: dict[str, str] = field(default_factory=dict)
    source: str = ""
    """The file these settings came from, or "" for the built-in defaults."""

    @property
    def holds_secret(self) -> bool:
        return bool(self.procore.client_secret or self.quickbooks.token)


_SECTIONS: dict[str, type[_Section]] = {
    "backend": BackendSettings,
    "procore": ProcoreSettings,
    "quickbooks": QuickBooksSettings,
    "connector": ConnectorSettings,
    "sandbox": SandboxSettings,
    "ui": UiSettings,
    "audit": AuditSettings,
}

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_KEY_ID = re.compile(r"^[a-z][a-z0-9-]*$")


def find_settings_file(explicit: str | None, config_dir: Path) -> Path | None:
    """The settings file to read: --settings, then $CCO_UNLINK_SETTINGS, then the user's config."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(SETTINGS_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    candidate = config_dir / "settings.toml"
    return candidate if candidate.is_file() else None


def load_settings(path: Path | None) -> Settings:
    """Read and check a settings file (None = defaults), then apply secrets from the environment."""
    settings = Settings() if path is None else _read_file(path)
    return with_environment_secrets(settings)


def with_environment_secrets(settings: Settings) -> Settings:
    secret = os.environ.get(PROCORE_SECRET_ENV)
    token = os.environ.get(settings.quickbooks.token_env)
    if secret:
        settings = replace(settings, procore=replace(settings.procore, client_secret=secret))
    if token:
        settings = replace(settings, quickbooks=replace(settings.quickbooks, token=token))
    return settings


def replace(obj: _S, **changes: Any) -> _S:
    """The settings `obj` with `changes`, checked as their section is not: for flags and tests."""
    return msgspec.structs.replace(obj, **changes)


MAX_SETTINGS_BYTES = 1024 * 1024
"""A settings file is a few kilobytes; anything this large is not one (choice)."""


def _read_file(path: Path) -> Settings:
    name = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SETTINGS_BYTES + 1)
    except FileNotFoundError:
        raise SettingsError("settings file not found", file=name) from None
    except OSError as error:
        raise SettingsError(
            f"cannot read settings file ({error.strerror or error})", file=name
        ) from None
    if len(data) > MAX_SETTINGS_BYTES:
        raise SettingsError(
            f"larger than {MAX_SETTINGS_BYTES // 1024} KB: not a settings file", file=name
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SettingsError("not UTF-8 text", file=name, line=line) from None
    return parse_settings(text, name)


def parse_settings(text: str, name: str) -> Settings:
    """Settings from a file's text, checked as a file is; `name` says where in errors."""
    # Here, not at the top: a start without a settings file (the demo's) reads no TOML, and the
    # parser's regular expressions cost about 1.5 ms of its first frame.
    import tomllib

    try:
        raw = tomllib.loads(text)
    except RecursionError:
        raise SettingsError("not valid TOML: nested too deeply", file=name) from None
    except tomllib.TOMLDecodeError as error:
        detail = str(error)
        position = _TOML_POSITION.search(detail)
        line, column = (int(position[1]), int(position[2])) if position else (0, 0)
        detail = _TOML_POSITION.sub("", detail).strip()
        raise SettingsError(
            f"not valid TOML: {detail}", file=name, line=line, column=column
        ) from None
    return _from_mapping(raw, name, text)


def _from_mapping(raw: dict[str, Any], name: str, text: str) -> Settings:
    sections: dict[str, Any] = {}
    for section, value in raw.items():
        if section == "keys":
            sections["keys"] = _read_keys(value, name, text)
            continue
        section_type = _SECTIONS.get(section)
        if section_type is None:
            known = ", ".join([*_SECTIONS, "keys"])
            raise _located(f"unknown section [{section}] (known: {known})", name, text, section)
        if not isinstance(value, dict):
            raise _located(f"[{section}] must be a table", name, text, section)
        sections[section] = _read_section(section, section_type, value, name, text)
    return Settings(**sections, source=name)


def _read_section(
    section: str, section_type: type[_Section], values: dict[str, Any], name: str, text: str
) -> Any:
    hints = get_type_hints(section_type)
    fields = set(section_type.__struct_fields__)
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise _located(
                f"unknown key '{key}' in [{section}] (known: {known})", name, text, section, key
            )
        problem = _check_value(hints[key], value) or _check_limit(section, key, value)
        if problem:
            raise _located(f"[{section}] {key}: {problem}", name, text, section, key)
        checked[key] = float(value) if hints[key] is float else value
    return section_type(**checked)


def _located(
    message: str, name: str, text: str, section: str, key: str | None = None
) -> SettingsError:
    """The error, pointing at the section or key in the file: looked up only when raised."""
    line, column = _locate(text, section, key)
    return SettingsError(message, file=name, line=line, column=column)


# Upper bounds where a larger number cannot work.
_LIMITS = {
    ("sandbox", "port"): 65535,
    ("connector", "port"): 65535,
    ("procore", "per_page"): 10_000,
}
# Keys whose text must have a shape.
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""What an environment variable's name may be."""
_GUID = (re.compile(r"^(\{[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\})?$"), "a {GUID}")
_PATTERNS = {
    ("quickbooks", "token_env"): (
        ENV_NAME,
        f"the name of an environment variable, such as {CONNECTOR_TOKEN_ENV}",
    ),
    ("connector", "qbxml_version"): (re.compile(r"^[0-9]{1,2}\.[0-9]$"), 'a version like "13.0"'),
    ("connector", "owner_id"): _GUID,
    ("connector", "file_id"): _GUID,
}


def _check_limit(section: str, key: str, value: Any) -> str:
    pattern = _PATTERNS.get((section, key))
    if pattern is not None and isinstance(value, str) and not pattern[0].match(value):
        return f"must be {pattern[1]}, not {value!r}"
    if section == "sandbox" and key.endswith("_percent") and value > 100:
        return f"a share in percent, 0 to 100, not {value}"
    limit = _LIMITS.get((section, key))
    if limit is not None and value > limit:
        return f"must be at most {limit}, not {value}"
    return ""


def check_flag(section: str, key: str, value: Any) -> None:
    """Check a command-line value as strictly as the same key in a settings file; the flag is
    named after the key (--company-id for [procore] company_id)."""
    hint = get_type_hints(_SECTIONS[section])[key]
    problem = _check_value(hint, value) or _check_limit(section, key, value)
    if problem:
        raise SettingsError(f"--{key.replace('_', '-')}: {problem}")


def _check_value(hint: Any, value: Any) -> str:
    allowed = get_args(hint)
    if allowed and all(isinstance(choice, str) for choice in allowed):
        if value not in allowed:
            choices = ", ".join(f'"{choice}"' for choice in allowed)
            return f"must be one of {choices}, not {value!r}"
        return ""
    if hint is bool:
        return "" if isinstance(value, bool) else f"must be true or false, not {value!r}"
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, not {value!r}"
        return "" if value >= 0 else f"must not be negative, not {value}"
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number, not {value!r}"
        if not math.isfinite(value):
            return f"must be a finite number, not {value}"
        return "" if value > 0 else f"must be greater than 0, not {value}"
    if hint is str:
        return "" if isinstance(value, str) else f"must be a string, not {value!r}"
    return ""


def _read_keys(value: Any, name: str, text: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _located("[keys] must be a table", name, text, "keys")
    keymap: dict[str, str] = {}
    for binding_id, keys in value.items():
        if not _KEY_ID.match(binding_id):
            problem = f"[keys] '{binding_id}' is not a binding id"
            raise _located(problem, name, text, "keys", binding_id)
        if not isinstance(keys, str) or not keys.strip():
            raise _located(
                f'[keys] {binding_id}: must be keys such as "u,ctrl+u", not {keys!r}',
                name,
                text,
                "keys",
                binding_id,
            )
        keymap[binding_id] = keys.replace(" ", "")
    return keymap


def keys_error(settings: Settings, binding_id: str, problem: str) -> SettingsError:
    """A [keys] entry the app cannot use (the UI knows which), pointing at its line."""
    message = f"[keys] {problem}"
    if not settings.source:
        return SettingsError(message)
    try:
        text = Path(settings.source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return SettingsError(message, file=settings.source)
    return _located(message, settings.source, text, "keys", binding_id)


def _locate(text: str, section: str, key: str | None) -> tuple[int, int]:
    """Line and column of a section header, or of a key inside it, for error messages."""
    in_section = False
    header = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]")
    for number, line in enumerate(text.splitlines(), start=1):
        match = header.match(line)
        if match:
            in_section = match[1] == section
            if in_section and key is None:
                return number, line.index("[") + 1
            continue
        if in_section and key is not None:
            stripped = line.lstrip()
            if re.match(rf"""["']?{re.escape(key)}["']?\s*=""", stripped):
                return number, len(line) - len(stripped) + 1
    return 0, 0


def settings_to_toml(settings: Settings) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for section in _SECTIONS:
        document[section] = msgspec.structs.asdict(getattr(settings, section))
    document["keys"] = dict(settings.keys)
    return document


def save_settings(settings: Settings, path: Path) -> None:
    """Write settings atomically: a crash leaves the old file or the new, never half of one.

    The file is created readable by its owner alone when it holds a secret, and kept that way.
    """
    import tomli_w  # see parse_settings

    data = tomli_w.dumps(settings_to_toml(settings)).encode("utf-8")
    write_private_file(path, data, private=settings.holds_secret or _is_private(path))


def _is_private(path: Path) -> bool:
    try:
        return path.stat().st_mode & 0o077 == 0
    except OSError:
        return False


def write_private_file(path: Path, data: bytes, *, private: bool = True) -> None:
    """Replace `path` with `data` atomically; mode 0600 when private, else 0644."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(descriptor, 0o600 if private else 0o644)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
