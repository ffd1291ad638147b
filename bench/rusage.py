# Runs one command and prints its wall time and CPU time (user + system, from wait4's rusage, in
# microseconds: finer than GNU time's 10 ms), both in ms, as "WALL CPU" on stdout. The command's
# own output goes to /dev/null; its exit status is this script's. Used by bench/startup.mjs:
# on a loaded machine CPU time varies far less than wall time.
#
#   python3 bench/rusage.py CWD COMMAND [ARGS...]
import os
import sys
import time

cwd, argv = sys.argv[1], sys.argv[2:]
devnull = os.open(os.devnull, os.O_RDWR)
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.chdir(cwd)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = (time.perf_counter() - started) * 1000
print(f"{wall:.3f} {(usage.ru_utime + usage.ru_stime) * 1000:.3f}")
sys.exit(os.waitstatus_to_exitcode(status) if os.waitstatus_to_exitcode(status) >= 0 else 1)
