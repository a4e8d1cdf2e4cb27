#!/usr/bin/python3
"""Baseline: word count of a text file with a Dask bag.

  dask_word_count.py FILE WORKERS

Reads FILE in 64 MiB blocks, splits lines on white space (the same words as
tern's counter for text of single-space-separated words) and counts every
word with Bag.frequencies(), on Dask's multiprocessing scheduler with WORKERS
processes. Prints one JSON line: {"system": "dask-bag", "words": distinct}.
Exits 1 when dask is not installed (tern's benchmark then reports the
baseline as unavailable).
"""
import json
import sys

try:
    import dask
    import dask.bag as db
except ImportError:
    sys.exit(1)


def main():
    path, workers = sys.argv[1], int(sys.argv[2])
    bag = db.read_text(path, blocksize=64 << 20)
    counts = bag.str.split().flatten().frequencies()
    result = counts.compute(scheduler="processes", num_workers=workers)
    print(json.dumps({"system": "dask-bag", "words": len(result)}))


if __name__ == "__main__":
    main()
