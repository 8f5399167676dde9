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


def split(data, valid):
    """A FIFO loses write boundaries: two quick writes of bare numbers ("588", "593")
    can arrive as "588593". Split greedily into the longest numbers that are valid."""
    out, i = [], 0
    while i < len(data):
        for n in range(min(4, len(data) - i), 0, -1):
            if valid(int(data[i:i + n])):
                out.append(int(data[i:i + n]))
                i += n
                break
        else:
            note("bad request %r" % data[i:])
            break
    return out


def in_chip(num):
    return any(b <= num < b + n for b, n in chips())


def exported(num):
    return os.path.isdir(os.path.join(root, "gpio%d" % num))


def serve(fifo, handler, valid):
    # Opened read-write and kept open: the FIFO always has a reader, so a writer never
    # blocks and no request is lost. (Reopening per request loses one: a write that lands
    # between the reader's EOF and its close is discarded with the pipe buffer.)
    fd = os.open(os.path.join(root, fifo), os.O_RDWR)
    while True:
        data = os.read(fd, 4096).decode("ascii", "replace")
        for tok in data.split():
            if not tok.isdigit():
                note("%s %r EINVAL" % (fifo, tok))
                continue
            for num in split(tok, valid) if len(tok) > 3 else [int(tok)]:
                handler(num)


threading.Thread(target=serve, args=("unexport", unexport, exported), daemon=True).start()
note("ready")
serve("export", export, in_chip)
