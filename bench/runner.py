"""Runs benchmark processes: each command is its own process, timed from start to exit, with its
peak resident memory from os.wait4 (ru_maxrss: the largest of the process and its waited-for
children, e.g. DataLoader workers; not their sum), and the last JSON line it printed."""
import json
import os
import subprocess
import tempfile
import time


class RunFailed(Exception):
    pass


def run_process(command, log_path, env=None, cwd=None):
    """Runs `command` (a list), writes its stdout and stderr to log_path, and returns
    {"wall_s", "maxrss_mb", **the last JSON object it printed on stdout}."""
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with tempfile.TemporaryFile("w+") as stdout, open(log_path, "w") as log:
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=log, env=env, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)   # reaped here, not by Popen
        stdout.seek(0)
        text = stdout.read()
        log.write(text)
    if process.returncode != 0:
        with open(log_path) as f:
            tail = f.read()[-2000:]
        raise RunFailed(f"exit status {process.returncode}: {' '.join(command)}\n{tail}")
    result = {}
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                result = json.loads(line)
                break
            except ValueError:
                continue
    # Linux reports ru_maxrss in KiB.
    return {**result, "wall_s": wall, "maxrss_mb": usage.ru_maxrss / 1024}


def round_order(sides, round_index):
    """The sides in the order of this round: as given in even rounds, reversed in odd ones, so that
    each side runs first (and last) equally often and a drift of the machine's speed cancels out."""
    return list(sides) if round_index % 2 == 0 else list(reversed(sides))
