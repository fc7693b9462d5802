#!/usr/bin/env python3
"""keylat.py BLOCKLAB [keys] — key-to-screen latency of the dashboard, without
tmux in the loop: blocklab runs on a pseudo-terminal of 120x40 that this script
owns; two runs train (A Pre-LN, B SAS-P, every probe every 5 steps, as in
bench/tui.sh); then, one at a time, a key ('@') is written to the terminal and
the time is taken until blocklab's output echoes it. Output is drained all the
time, so what is measured is blocklab reading the key, redrawing and writing
the frame, plus the pty's own delivery (microseconds). Prints one line:
  key-to-screen (pty): median M ms, p90 P ms, max X ms over N keys
KEYLAT_MODEL sets the model's keys (default depth=4 width=64 heads=4 ctx=32).
Not a test: it prints figures, and says so if blocklab did not get that far."""
import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time


def main():
    binary = sys.argv[1]
    n_keys = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    pid, fd = pty.fork()
    if pid == 0:
        env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8")
        env.pop("BLOCKLAB_FRAME_LOG", None)
        os.execve(binary, [binary], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = bytearray()

    def drain(timeout):
        """Reads what is there within timeout seconds; returns the bytes."""
        got = bytearray()
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                break
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
            timeout = 0.002  # keep reading while it flows
            end = min(end, time.monotonic() + 0.002)
        return bytes(got)

    def wait_for(needle, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            seen.extend(drain(0.1))
            if needle in seen:
                return True
        return False

    def send(text):
        os.write(fd, text.encode())

    def finish(msg=None):
        if msg:
            print("  key-to-screen (pty): " + msg)
        try:
            send("\x15quit\r")
            drain(1.0)
            os.kill(pid, 9)
        except OSError:
            pass

    if not wait_for(b"blocklab>", 20):
        return finish("blocklab did not start")
    model = os.environ.get("KEYLAT_MODEL", "depth=4 width=64 heads=4 ctx=32")
    send("model new %s; data task=reverse; probe rank grads attn updates every=5; "
         "train steps=1000000\r" % model)
    time.sleep(2)
    send("run new B; block all preset=sasp; train steps=1000000\r")
    # Both runs must be training: the run strip draws "▸ 0/1000000" for each
    # (escape sequences stripped), and frames keep coming.
    def strips():
        plain = re.sub(rb"\x1b(\[[0-9;?]*[A-Za-z@]|\([0-9A-Z])", b"", bytes(seen))
        return plain.count("▸ ".encode()) >= 2 and plain.count(b"/1000000") >= 2
    end = time.monotonic() + 20
    while not strips() and time.monotonic() < end:
        seen.extend(drain(0.2))
    if not strips() or not drain(1.0):
        if os.environ.get("KEYLAT_DEBUG"):
            plain = re.sub(rb"\x1b(\[[0-9;?]*[A-Za-z@]|\([0-9A-Z])", b"", bytes(seen))
            for m in re.finditer("▸".encode(), plain):
                sys.stderr.write(repr(plain[m.start() - 20:m.start() + 40]) + "\n")
        return finish("the two runs did not start training")
    time.sleep(2)
    drain(0.5)
    lat = []
    for _ in range(n_keys):
        drain(0.05)  # what was already on its way
        t0 = time.monotonic()
        send("@")
        got = bytearray()
        while b"@" not in got and time.monotonic() - t0 < 5:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                got += os.read(fd, 65536)
        if b"@" in got:
            lat.append((time.monotonic() - t0) * 1e3)
        send("\x15")  # Ctrl-U: clear the line
        time.sleep(0.1 + 0.05 * (len(lat) % 3))  # not in step with the frame clock
    if not lat:
        return finish("no key came back")
    lat.sort()
    med = lat[len(lat) // 2]
    p90 = lat[min(len(lat) - 1, int(len(lat) * 0.9))]
    finish("median %.1f ms, p90 %.1f ms, max %.1f ms over %d keys, while two runs train"
           % (med, p90, lat[-1], len(lat)))


if __name__ == "__main__":
    main()
