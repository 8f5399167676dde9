#!/usr/bin/env python3
"""Plays the kernel's part of the sysfs GPIO export handshake on a fake tree.

/sys/class/gpio/export and unexport are FIFOs. A number written to export makes
gpioN/ appear with value, direction, edge, active_low (as the kernel does, only for
numbers inside a gpiochip's [base, base+ngpio) range and not yet exported);
unexport removes it. Every request is appended to a journal for the test.
Usage: export-daemon.py GPIO_ROOT JOURNAL
"""
import ctypes
import os
import sys
import threading

# Die with the test process (PR_SET_PDEATHSIG = 1, SIGKILL = 9): never left blocked on a FIFO.
ctypes.CDLL(None).prctl(1, 9)

root, journal = sys.argv[1], sys.argv[2]
lock = threading.Lock()


def note(line):
    with lock, open(journal, "a") as j:
        j.write(line + "\n")


def chips():
    out = []
    for name in os.listdir(root):
        if name.startswith("gpiochip"):
            d = os.path.join(root, name)
            base = int(open(os.path.join(d, "base")).read())
            n = int(open(os.path.join(d, "ngpio")).read())
            out.append((base, n))
    return out


def export(num):
    d = os.path.join(root, "gpio%d" % num)
    if not any(b <= num < b + n for b, n in chips()):
        note("export %d EINVAL" % num)
        return
    if os.path.exists(d):
        note("export %d EBUSY" % num)
        return
    tmp = os.path.join(root, ".tmp%d" % num)
    os.mkdir(tmp)
    for f, v in (("value", "0\n"), ("direction", "in\n"), ("edge", "none\n"), ("active_low", "0\n")):
        with open(os.path.join(tmp, f), "w") as fh:
            fh.write(v)
    os.rename(tmp, d)  # appears complete, as a kernel-created directory would
    note("export %d" % num)


def unexport(num):
    d = os.path.join(root, "gpio%d" % num)
    if not os.path.isdir(d):
        note("unexport %d EINVAL" % num)
        return
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)
    note("unexport %d" % num)


def serve(fifo, handler):
    path = os.path.join(root, fifo)
    while True:
        with open(path) as f:
            data = f.read()
        for tok in data.split():
            try:
                handler(int(tok))
            except ValueError:
                note("%s %r EINVAL" % (fifo, tok))


threading.Thread(target=serve, args=("unexport", unexport), daemon=True).start()
note("ready")
serve("export", export)
