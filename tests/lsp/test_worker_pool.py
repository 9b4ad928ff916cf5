"""A pool of long jobs stops the worker of a job whose caller is cancelled, and the jobs that waited
behind it run on a fresh worker."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from gradguard.lsp.workers import Pool


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except OSError:
        return False


async def wait_until(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def test_a_cancelled_running_job_stops_its_worker_and_the_next_job_runs_on_a_new_one() -> None:
    pool = Pool("long jobs", stop_cancelled=True)
    try:
        first_worker = await pool.run(os.getpid)
        endless = asyncio.ensure_future(pool.run(time.sleep, 3600))
        behind = asyncio.ensure_future(pool.run(len, "abc"))  # queued behind it
        await wait_until(lambda: any(job.running() for job in pool.jobs), "the long job never started")
        endless.cancel()
        with pytest.raises(asyncio.CancelledError):
            await endless
        assert await behind == 3
        await wait_until(lambda: not alive(first_worker), "the worker of the cancelled job still runs")
        assert await pool.run(os.getpid) != first_worker
    finally:
        pool.stop()


async def test_a_pool_of_short_jobs_lets_a_cancelled_job_finish() -> None:
    pool = Pool("short jobs")
    try:
        worker = await pool.run(os.getpid)
        sleeping = asyncio.ensure_future(pool.run(time.sleep, 1))
        await wait_until(lambda: any(job.running() for job in pool.jobs), "the job never started")
        sleeping.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeping
        assert await pool.run(os.getpid) == worker  # the same worker, after the sleep
    finally:
        pool.stop()
