"""Composition root of the inference worker."""

from __future__ import annotations

import asyncio
import logging
import signal

from ragchat_common.logging import configure_logging
from ragchat_common.ops_http import OpsHttpServer
from ragchat_common.telemetry import setup_telemetry
from ragchat_worker.settings import WorkerSettings

log = logging.getLogger(__name__)


async def serve(settings: WorkerSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ops = OpsHttpServer(settings.ops_host, settings.ops_port, ready=lambda: not stop.is_set())
    await ops.start()
    log.info("worker started", extra={"ops_port": ops.port})
    await stop.wait()
    await ops.stop()


def run() -> None:
    settings = WorkerSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_telemetry(settings.service_name)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    run()
