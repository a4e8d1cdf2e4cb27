#!/usr/bin/python3
"""Baseline: round-trip latency of one remote no-op call at a time.

Measures the latency of a single remote call to a local worker process when
only one call is in flight (submit, run `noop(x) -> x`, return the result):

  multiprocessing  Pool(W); pool.apply_async(noop, (i,)).get(), N times in
                   sequence
  dask             distributed.LocalCluster(n_workers=W, threads_per_worker=1,
                   processes=True) + Client;
                   client.submit(noop, i, pure=False).result(), N times in
                   sequence

Each call is timed on its own with a monotonic clock.  Pool/cluster start-up
and 20 untimed warm-up calls are excluded.  Reported: median, 99th
percentile (nearest-rank) and mean, in microseconds.

tern's C++ round-trip benchmark runs this script as a subprocess (with
/usr/bin/python3, which has python3-distributed) in the same run as its own
measurement and parses the single JSON line on stdout:

  {"system": "multiprocessing"|"dask", "calls": N,
   "median_us": ..., "p99_us": ..., "mean_us": ...}

Usage:
  round_trip.py {multiprocessing|dask} --calls N --workers W [--timeout SECONDS]

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
import math
import multiprocessing
import os
import statistics
import sys
import threading
import time

PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "round_trip.py"

WARMUP_CALLS = 20

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


def check_result(got, want):
    if got != want:
        raise RuntimeError(f"wrong result from a worker: got {got!r}, want {want!r}")


def time_calls(call, calls):
    """Run call(i) for 20 warm-up and then `calls` timed i; return ns list."""
    for i in range(WARMUP_CALLS):
        check_result(call(i), i)
    samples = []
    clock = time.perf_counter_ns
    for i in range(calls):
        t0 = clock()
        r = call(i)
        samples.append(clock() - t0)
        check_result(r, i)
    return samples


def run_multiprocessing(calls, workers):
    # fork explicitly: the Linux default up to Python 3.13, stated here so
    # the baseline does not change with the interpreter's default.
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        samples = time_calls(lambda i: pool.apply_async(noop, (i,)).get(), calls)
        pool.close()
        pool.join()
    return samples


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


def run_dask(calls, workers):
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
        samples = time_calls(lambda i: client.submit(noop, i, pure=False).result(), calls)
    return samples


def summarize(samples_ns):
    s = sorted(samples_ns)
    p99 = s[max(0, math.ceil(0.99 * len(s)) - 1)]  # nearest-rank percentile
    return {
        "median_us": round(statistics.median(s) / 1000.0, 3),
        "p99_us": round(p99 / 1000.0, 3),
        "mean_us": round(statistics.fmean(s) / 1000.0, 3),
    }


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
        description="Single-call round-trip latency baseline (multiprocessing or Dask).",
    )
    ap.add_argument("system", choices=["multiprocessing", "dask"])
    ap.add_argument("--calls", type=positive_int, required=True, help="timed calls (N)")
    ap.add_argument("--workers", type=positive_int, required=True, help="worker processes (W)")
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
        samples = runner(args.calls, args.workers)
    except Unavailable as e:
        err(f"{args.system} unavailable: {e}")
        return EXIT_UNAVAILABLE
    except Exception as e:
        err(f"{args.system} benchmark failed: {type(e).__name__}: {e}")
        return EXIT_FAILED

    record = {"system": args.system, "calls": args.calls}
    record.update(summarize(samples))
    out.write(json.dumps(record) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
