#!/usr/bin/env python3
"""Writes a synthetic Asterisk queue_log of about N lines (default 1,000,000) to stdout, in
the exact format `epoch|callid|queue|agent|event|data...`: 20 agents on one queue, calls
every 3 s from 2026-10-01, about 70% answered (ENTERQUEUE, RINGNOANSWER sometimes, CONNECT,
COMPLETECALLER/COMPLETEAGENT), 20% abandoned (some short), 10% overflowed (EXITWITHTIMEOUT),
plus agent PAUSE/UNPAUSE lines. Deterministic (seeded). Usage: gen_queue_log.py [N] > file
"""
import random
import sys

n_lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
rng = random.Random(12345)
t0 = 1_790_812_800  # 2026-10-01 00:00:00 UTC
out = sys.stdout
lines = 0
call = 0
t = t0
buf = []
while lines < n_lines:
    before = len(buf)
    call += 1
    t += rng.randint(1, 5)
    cid = f"{t}.{call}"
    q = "12345-baisha"
    caller = f"138{rng.randint(0, 99_999_999):08d}"
    buf.append(f"{t}|{cid}|{q}|NONE|ENTERQUEUE||{caller}|{rng.randint(1, 5)}")
    r = rng.random()
    agent = f"PJSIP/{8001 + rng.randint(0, 19)}"
    if r < 0.7:
        hold = rng.randint(2, 40)
        if rng.random() < 0.1:
            other = f"PJSIP/{8001 + rng.randint(0, 19)}"
            buf.append(f"{t + min(hold, 15)}|{cid}|{q}|{other}|RINGNOANSWER|15000")
        talk = rng.randint(20, 400)
        buf.append(f"{t + hold}|{cid}|{q}|{agent}|CONNECT|{hold}|{cid}9|{rng.randint(1, 10)}")
        ev = "COMPLETECALLER" if rng.random() < 0.6 else "COMPLETEAGENT"
        buf.append(f"{t + hold + talk}|{cid}|{q}|{agent}|{ev}|{hold}|{talk}|1")
    elif r < 0.9:
        wait = rng.randint(1, 60)
        buf.append(f"{t + wait}|{cid}|{q}|NONE|ABANDON|1|1|{wait}")
    else:
        buf.append(f"{t + 60}|{cid}|{q}|NONE|EXITWITHTIMEOUT|1|1|60")
    if rng.random() < 0.05:
        buf.append(f"{t}|NONE|{q}|{agent}|PAUSE|午餐")
        buf.append(f"{t + 1}|NONE|{q}|{agent}|UNPAUSE|")
    lines += len(buf) - before
    if len(buf) > 10_000 or lines >= n_lines:
        out.write("\n".join(buf) + "\n")
        buf = []
if buf:
    out.write("\n".join(buf) + "\n")
