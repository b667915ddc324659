"""Steps/s of CartPole-v1 driven from Python: served by `webppo serve-env` (TCP and Unix socket) against the
same env stepped in pure Python (webppo.cartpole), in one run, with random actions drawn up front.

    WEBPPO_SERVE_ENV="node dist/bin.js serve-env" PYTHONPATH=python python3 python/bench/bridge_cartpole.py

Prints a Markdown table; `--seconds` sets the time per measurement (default 2).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from webppo import RemoteVectorEnv, launch  # noqa: E402
from webppo.cartpole import CartPoleVector  # noqa: E402


def measure(env, num_envs, seconds):
    actions = np.random.default_rng(0).integers(0, 2, size=(1024, num_envs)).astype(np.int32)
    env.reset(seed=0)
    for i in range(20):  # warm up
        env.step(actions[i])
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i in range(64):
            env.step(actions[i & 1023])
        steps += 64
    elapsed = time.perf_counter() - start
    return steps * num_envs / elapsed, elapsed / steps


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--num-envs", type=int, nargs="*", default=[1, 16, 256])
    args = p.parse_args()
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    print("| envs per server | serve-env TCP steps/s | serve-env Unix socket steps/s | pure Python steps/s | TCP / pure Python | round trip (TCP) | Node in-process steps/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.num_envs:
        tcp = RemoteVectorEnv(launch("CartPole-v1", n))
        tcp_rate, tcp_trip = measure(tcp, n, args.seconds)
        tcp.close()
        with tempfile.TemporaryDirectory() as tmp:
            unix = RemoteVectorEnv(launch("CartPole-v1", n, socket_path=os.path.join(tmp, "env.sock")))
            unix_rate, _ = measure(unix, n, args.seconds)
            unix.close()
        pure_rate, _ = measure(CartPoleVector(n), n, args.seconds)
        node = subprocess.run(["node", "--import", "tsx", "python/bench/node_cartpole.ts", str(n), str(args.seconds)],
                              cwd=root, capture_output=True, text=True, check=True)
        node_rate = json.loads(node.stdout.strip().splitlines()[-1])["stepsPerSecond"]
        print(f"| {n} | {tcp_rate:,.0f} | {unix_rate:,.0f} | {pure_rate:,.0f} | {tcp_rate / pure_rate:.2f}x | {tcp_trip * 1e6:.0f} µs | {node_rate:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
