"""`registry index`: mirror the chain into SQL (backfill with a progress bar, then follow)."""

from __future__ import annotations

import gc
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # imported when the command runs: `registry --help` stays quick
    from rich.console import Console
    from rich.live import Live
    from rich.progress import Progress, TaskID
    from sqlalchemy import Engine

    from registry.config import Settings
    from registry.contracts import Deployment
    from registry.indexer.handlers import HandlerRegistry
    from registry.indexer.runner import Progress as IndexProgress

#: Extension modules `registry index` runs by default (``--core-only`` leaves them out):
#: each exposes the factory of :data:`registry.indexer.handlers.EXTENSION_FACTORY`.
DEFAULT_EXTENSIONS = ("registry.risk.hooks", "registry.risk.funders", "registry.watches.hooks")


def index_handlers(
    settings: Settings, extensions: tuple[str, ...] = (), *, core_only: bool = False
) -> list[HandlerRegistry]:
    """The handler registries `registry index` runs, in order: the core projections, the
    default extensions (unless ``core_only``), then each module of ``extensions``."""
    from registry.indexer.handlers import load_extension
    from registry.indexer.projections import core_handlers

    names = extensions if core_only else DEFAULT_EXTENSIONS + extensions
    return [core_handlers(), *(load_extension(name, settings) for name in names)]


class ProgressView:
    """A progress bar while backfilling, then one status line while following."""

    def __init__(self, console: Console, *, follow: bool) -> None:
        self.console = console
        self.follow = follow
        self.started = time.monotonic()
        self.first_events: int | None = None
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.live: Live | None = None
        self.caught_up = False

    def _rate(self, p: IndexProgress) -> float:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return p.total_events / elapsed

    def update(self, p: IndexProgress) -> None:
        if not self.caught_up and (p.lag > 0 or p.waiting):
            self._backfill(p)
            return
        if not self.caught_up:
            self.caught_up = True
            if self.bar is not None:
                self._backfill(p)  # show the bar full before closing it
            self._close_bar()
        if self.follow:
            self._status(p)

    def _backfill(self, p: IndexProgress) -> None:
        if self.bar is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("[bold]indexing[/] blocks"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[eps]:>8,.0f} events/s"),
                TextColumn("{task.fields[note]}"),
                TimeRemainingColumn(),
                console=self.console,
            )
            self.bar.start()
            self.task = self.bar.add_task("backfill", total=1, eps=0.0, note="")
        assert self.task is not None
        total = max(1, p.head - p.start_block + 1)
        done = max(0, p.indexed_block - p.start_block + 1)
        note = f"[yellow]{p.waiting}[/]" if p.waiting else ""
        self.bar.update(self.task, total=total, completed=done, eps=self._rate(p), note=note)

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def _status(self, p: IndexProgress) -> None:
        from rich.live import Live
        from rich.text import Text

        line = Text.assemble(
            ("following ", "bold"),
            f"head {p.head:,} · indexed {p.indexed_block:,} · lag {p.lag} · "
            f"final ≤ {p.finalized_block:,} · events {p.total_events:,} · reorgs {p.reorgs}",
        )
        if p.waiting:
            line.append(f" · waiting: {p.waiting}", style="yellow")
        if self.live is None:
            self.live = Live(line, console=self.console, refresh_per_second=4, transient=False)
            self.live.start()
        else:
            self.live.update(line)

    def close(self) -> None:
        self._close_bar()
        if self.live is not None:
            self.live.stop()


@contextmanager
def startup() -> Iterator[None]:
    """The command's start-up with the cyclic garbage collector paused: importing allocates
    hundreds of thousands of objects that live as long as the process, and collections
    triggered meanwhile cost about a fifth of the imports' time. They are frozen (left out of
    later collections) when start-up ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _settings(database_url: str | None, rpc_url: str | None, confirmations: int | None) -> Settings:
    from registry.config import get_settings

    settings = get_settings()
    updates: dict[str, object] = {}
    if database_url:
        updates["database_url"] = database_url
    if rpc_url:
        updates["rpc_url"] = rpc_url
    if confirmations is not None:
        updates["confirmations"] = confirmations
    return settings.model_copy(update=updates) if updates else settings


def resume_block(engine: Engine, deployment: Deployment) -> int | None:
    """The block the index of ``deployment`` in ``engine``'s database continues from, read
    before migrating it: the deployment's first block for a new database, None when the
    database cannot say yet (an older schema)."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from registry.indexer.runner import latest_state

    try:
        if not inspect(engine).has_table("indexer_state"):
            return deployment.block
        state = latest_state(engine, deployment)
    except SQLAlchemyError:
        return None
    return deployment.block if state is None else state.indexed_block + 1


@click.command()
@click.option("--until-head", is_flag=True, help="Backfill up to the current head, then stop.")
@click.option("--database-url", default=None, help="SQLAlchemy URL (default: settings).")
@click.option("--rpc-url", default=None, help="Chain node (default: settings).")
@click.option("--confirmations", type=int, default=None, help="Blocks on top before final.")
@click.option("--batch-blocks", type=int, default=5000, show_default=True,
              help="Largest block range per eth_getLogs request.")  # fmt: skip
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between polls.")
@click.option("--wait", is_flag=True, help="Wait for another indexer to exit instead of failing.")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.option("--extension", "extensions", multiple=True, metavar="MODULE",
              help="Also run the handlers of this module: its indexer_handlers(settings) "
                   "(repeatable).")  # fmt: skip
@click.option(
    "--core-only", is_flag=True, help="Skip the default extensions (risk rules, watches)."
)
def index(
    until_head: bool,
    database_url: str | None,
    rpc_url: str | None,
    confirmations: int | None,
    batch_blocks: int,
    poll: float,
    wait: bool,
    quiet: bool,
    extensions: tuple[str, ...],
    core_only: bool,
) -> None:
    """Mirror the registry's events into SQL: backfill, then follow new blocks.

    Reorgs are undone, a node outage is waited out, and a restart resumes from the last
    committed batch. Only one indexer writes to a database at a time.
    """
    with startup():  # the imports and the set-up
        from rich.console import Console

        from registry.contracts import load_deployment
        from registry.db import make_engine, migrate
        from registry.indexer import Indexer
        from registry.indexer.lock import indexer_lock
        from registry.rpc import connect

        settings = _settings(database_url, rpc_url, confirmations)
        handlers = index_handlers(settings, extensions, core_only=core_only)
        rpc = connect(settings.rpc_url)
        deployment = load_deployment(settings.deployments_path, rpc.chain_id())
        engine = make_engine(settings.db_url)
        indexer = Indexer(engine, rpc, deployment, confirmations=settings.confirmations,
                          batch_blocks=batch_blocks, poll_interval=poll,
                          registries=handlers)  # fmt: skip
        stop = threading.Event()

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    console = Console(stderr=True)
    view = None if quiet else ProgressView(console, follow=not until_head)
    try:
        if wait and not quiet:
            console.print("waiting for any other indexer of this database to exit…")
        with indexer_lock(engine, wait=wait):  # held from the migration to the last batch
            start = resume_block(engine, deployment)
            if start is not None:  # the first ranges are read while the schema is migrated
                indexer.read_ahead_from(start)
            migrate(settings.db_url)
            result = indexer.run(
                until_head=until_head,
                stop=stop,
                on_progress=view.update if view else None,
                lock=False,
            )
    finally:
        if view is not None:
            view.close()
        engine.dispose()
    console.print(
        f"indexed to block {result.indexed_block:,} (head {result.head:,}, final ≤ "
        f"{result.finalized_block:,}); {result.total_events:,} events this run"
    )
    sys.exit(0)
