#!/usr/bin/python3
"""Baseline: throughput of no-op tasks on W local worker processes.

Measures how many trivial tasks per second an established Python task system
can push through W local worker processes, i.e. pure per-task dispatch
overhead (the task body is `noop(x) -> x`):

  multiprocessing  Pool(W).map(noop, range(N), chunksize=1)
                   (chunksize=1: one task per message, no batching)
  dask             distributed.LocalCluster(n_workers=W, threads_per_worker=1,
                   processes=True) + Client;
                   client.gather(client.map(noop, range(N), pure=False))

Only the map/gather is timed.  Pool/cluster start-up, a small untimed warm-up
(2*W tasks, so that every worker is up and has the function) and result
checking are excluded.  The measurement is repeated R times on the same
pool/cluster; each run's rate is N / elapsed seconds.

tern's C++ noop-throughput benchmark runs this script as a subprocess (with
/usr/bin/python3, which has python3-distributed) in the same run as its own
measurement and parses the single JSON line on stdout:

  {"system": "multiprocessing"|"dask", "tasks": N, "workers": W,
   "runs_tasks_per_s": [...], "median_tasks_per_s": ...}

Usage:
  noop_throughput.py {multiprocessing|dask} --tasks N --workers W --repeat R
                     [--timeout SECONDS]

Everything other than that JSON line (Dask logging, warnings) goes to stderr;
anything a worker process prints goes to stderr too.  Dask binds only to
127.0.0.1 (scheduler, nannies, workers and their HTTP endpoints) and its
dashboard is disabled.

Exit status: 0 success; 1 the measurement failed; 2 bad usage; 3 the
requested system is unavailable (e.g. dask/distributed not importable);
124 the --timeout watchdog fired (workers we started are killed first).
"""

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time

PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "noop_throughput.py"

EXIT_FAILED = 1
EXIT_UNAVAILABLE = 3
EXIT_TIMEOUT = 124


def noop(x):
    """The task body: as cheap as possible, returns its input."""
    return x


class Unavailable(Exception):
    """The requested system cannot be used in this interpreter."""


def err(msg):
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def start_watchdog(seconds):
    """Hard guard against hangs (e.g. a cluster that never shuts down).

    After `seconds`, kill the worker processes this script started and
    exit with EXIT_TIMEOUT without running any further clean-up."""

    def fire():
        err(f"timed out after {seconds:g} s; killing workers and exiting")
        children = multiprocessing.active_children()
        for child in children:
            try:
                child.kill()
            except Exception:
                pass
        for child in children:  # reap them
            try:
                child.join(1.0)
            except Exception:
                pass
        os._exit(EXIT_TIMEOUT)

    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


def check_results(results, n):
    if list(results) != list(range(n)):
        raise RuntimeError("wrong results returned by the workers")


def run_multiprocessing(tasks, workers, repeat):
    # fork explicitly: the Linux default up to Python 3.13, stated here so
    # the baseline does not change with the interpreter's default.
    ctx = multiprocessing.get_context("fork")
    rates = []
    with ctx.Pool(workers) as pool:
        pool.map(noop, range(2 * workers), chunksize=1)  # warm-up, untimed
        for _ in range(repeat):
            t0 = time.perf_counter()
            results = pool.map(noop, range(tasks), chunksize=1)
            elapsed = time.perf_counter() - t0
            check_results(results, tasks)
            rates.append(tasks / elapsed)
        pool.close()
        pool.join()
    return rates


def quiet_dask_logging():
    import logging
    import warnings

    for name in ("distributed", "dask", "tornado", "asyncio", "bokeh"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="distributed")
    warnings.filterwarnings("ignore", module="dask")


LOOPBACK_HTTP = "127.0.0.1:0"


def _loopback_nanny_class(distributed):
    """A Nanny whose worker's HTTP endpoint listens on 127.0.0.1 only.

    LocalCluster overwrites the workers' dashboard_address with
    worker_dashboard_address (None -> HTTP endpoint on 0.0.0.0), so set it
    here, with the bokeh dashboard still off."""

    class LoopbackNanny(distributed.Nanny):
        def __init__(self, *args, **kwargs):
            kwargs["dashboard_address"] = LOOPBACK_HTTP
            kwargs["dashboard"] = False
            super().__init__(*args, **kwargs)

    return LoopbackNanny


def run_dask(tasks, workers, repeat):
    # Quiet Dask's own logging config, in this process and in the worker
    # processes it spawns (they inherit the environment).
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    try:
        import logging

        import distributed
    except Exception as e:  # ImportError, or a broken installation
        raise Unavailable(
            f"dask.distributed is not importable in {sys.executable} ({e}); "
            "use /usr/bin/python3 with python3-distributed installed"
        ) from e
    quiet_dask_logging()

    def scheduler_task_count(dask_scheduler):
        return len(dask_scheduler.tasks)

    rates = []
    with distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # dashboard_address=None disables the dashboard, but Dask 2022.12
        # still starts its plain HTTP endpoint (health/metrics) on all
        # interfaces; keep it on loopback too.
        scheduler_kwargs={"dashboard_address": LOOPBACK_HTTP},
        worker_class=_loopback_nanny_class(distributed),
        silence_logs=logging.ERROR,
    ) as cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(workers)
        # warm-up, untimed
        client.gather(client.map(noop, range(2 * workers), pure=False))
        for _ in range(repeat):
            # start each run from an empty scheduler
            while client.run_on_scheduler(scheduler_task_count):
                time.sleep(0.01)
            t0 = time.perf_counter()
            futures = client.map(noop, range(tasks), pure=False)
            results = client.gather(futures)
            elapsed = time.perf_counter() - t0
            del futures
            check_results(results, tasks)
            rates.append(tasks / elapsed)
    return rates


def positive_int(s):
    v = int(s)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def positive_float(s):
    v = float(s)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {s}")
    return v


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="No-op task throughput baseline (multiprocessing or Dask).",
    )
    ap.add_argument("system", choices=["multiprocessing", "dask"])
    ap.add_argument("--tasks", type=positive_int, required=True, help="tasks per run (N)")
    ap.add_argument("--workers", type=positive_int, required=True, help="worker processes (W)")
    ap.add_argument("--repeat", type=positive_int, required=True, help="timed runs (R)")
    ap.add_argument("--timeout", type=positive_float, default=600.0,
                    help="kill everything and exit 124 after this many seconds (default 600)")
    args = ap.parse_args(argv)

    # Keep stdout for the single JSON line: point fd 1 (inherited by worker
    # processes too) at stderr and keep a private copy of the real stdout.
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)

    start_watchdog(args.timeout)
    runner = run_multiprocessing if args.system == "multiprocessing" else run_dask
    try:
        rates = runner(args.tasks, args.workers, args.repeat)
    except Unavailable as e:
        err(f"{args.system} unavailable: {e}")
        return EXIT_UNAVAILABLE
    except Exception as e:
        err(f"{args.system} benchmark failed: {type(e).__name__}: {e}")
        return EXIT_FAILED

    record = {
        "system": args.system,
        "tasks": args.tasks,
        "workers": args.workers,
        "runs_tasks_per_s": [round(r, 1) for r in rates],
        "median_tasks_per_s": round(statistics.median(rates), 1),
    }
    out.write(json.dumps(record) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
