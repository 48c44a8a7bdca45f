"""Settings: one pydantic-settings class, every field overridable by a ``REGISTRY_`` env var."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
ARTIFACTS_DIR = PACKAGE_DIR / "artifacts"
CONTRACTS_DIR = PROJECT_ROOT / "contracts"

#: The local chain's well-known development mnemonic (anvil's default). Demo only.
DEV_MNEMONIC = "test test test test test test test test test test test junk"


class Settings(BaseSettings):
    """Where the chain, the database and the keys are. Read from ``REGISTRY_*`` env vars."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", env_file=".env", extra="ignore")

    environment: str = Field("development", description="development | test | production")
    data_dir: Path = Field(
        PROJECT_ROOT / ".data", description="chain state, SQLite, keystores, logs"
    )
    rpc_url: str = Field("", description="JSON-RPC URL; default: the local chain's host and port")
    chain_host: str = "127.0.0.1"
    chain_port: int = 8545
    chain_block_time: float | None = Field(None, description="anvil --block-time; None = automine")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir")
    deployments_file: Path | None = Field(None, description="default: data_dir/deployments.json")
    confirmations: int = Field(2, ge=0, description="blocks on top before an event counts as final")
    keystore: Path | None = Field(None, description="encrypted eth-account keystore to sign with")
    key_password: str | None = Field(None, description="keystore password (prefer the env var)")
    dev_account: int | None = Field(
        None, description="index of a local dev account to sign with (local chain only)"
    )
    funder_payoff_days: int = Field(
        30, ge=0, description="days after a payoff that a still-active pledge alerts its funder"
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8000

    @model_validator(mode="after")
    def _default_rpc_url(self) -> Settings:
        if not self.rpc_url:
            self.rpc_url = f"http://{self.chain_host}:{self.chain_port}"
        return self

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "registry.sqlite"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def deployments_path(self) -> Path:
        return self.deployments_file or self.data_dir / "deployments.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
