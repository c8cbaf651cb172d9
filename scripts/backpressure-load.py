#!/usr/bin/env python3
"""Backpressure load: 32 concurrent streaming clients against `armor serve`, 8 of which never read.

Starts the server (ARMOR_BUILD_DIR and ARMOR_JAVA_OPTS pass through), sends 8 "hostile" streaming chat requests
(n, max_tokens, top_logprobs 20) from sockets with a 4 KiB receive buffer that are never read, then 24 ordinary
streaming clients that read everything; every ordinary stream must end with [DONE]. Samples the server's RSS
(/proc/PID/status VmRSS, and VmHWM at the end) and /metrics while it runs. Loopback only, bounded in time.

  python3 scripts/backpressure-load.py --model ../shared/models/stories260K-hf
"""
import argparse, json, os, re, socket, subprocess, sys, threading, time, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--model", required=True)
ap.add_argument("--port", type=int, default=18089)
ap.add_argument("--hostile", type=int, default=8)
ap.add_argument("--clients", type=int, default=24)
ap.add_argument("--n", type=int, default=16)
ap.add_argument("--max-tokens", type=int, default=480)
ap.add_argument("--seconds", type=int, default=30, help="how long the hostile clients stay connected")
args = ap.parse_args()

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
model_id = os.path.basename(os.path.normpath(args.model))
srv = subprocess.Popen([os.path.join(root, "armor"), "serve", "--model", args.model, "--port", str(args.port),
                        "--max-batch", "8", "--max-queue", "160", "--max-n", str(args.n), "--quiet"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
base = f"http://127.0.0.1:{args.port}"


def java_pid():
    # ./armor execs java, so the launched process is the JVM.
    return srv.pid


def status(field):
    with open(f"/proc/{java_pid()}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024  # MiB
    return -1


def metric(name):
    text = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
    m = re.search(r"^" + name + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else float("nan")


def body(n, max_tokens, logprobs):
    b = {"model": model_id, "messages": [{"role": "user", "content": "Once upon a time"}], "stream": True,
         "n": n, "max_tokens": max_tokens, "temperature": 1.0, "seed": 7}
    if logprobs:
        b.update(logprobs=True, top_logprobs=20)
    return json.dumps(b).encode()


def request(b):
    return (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Connection: close\r\nContent-Length: {len(b)}\r\n\r\n").encode() + b


deadline = time.time() + 120
while True:
    try:
        urllib.request.urlopen(base + "/health", timeout=2).read()
        break
    except Exception:
        if srv.poll() is not None or time.time() > deadline:
            sys.exit("armor serve did not start: " + (srv.stderr.read() if srv.poll() is not None else "timeout"))
        time.sleep(0.5)
print(f"server up, RSS {status('VmRSS')} MiB")

peak = [0]
stop = threading.Event()


def sampler():
    while not stop.is_set():
        peak[0] = max(peak[0], status("VmRSS"))
        time.sleep(0.1)


threading.Thread(target=sampler, daemon=True).start()

hostile = []
for _ in range(args.hostile):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", args.port))
    s.sendall(request(body(args.n, args.max_tokens, True)))
    hostile.append(s)  # never read

results = []


def good(i):
    t0 = time.time()
    try:
        s = socket.create_connection(("127.0.0.1", args.port), timeout=60)
        s.sendall(request(body(1, 64, False)))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        s.close()
        ok = data.startswith(b"HTTP/1.1 200") and b"data: [DONE]" in data
        results.append((ok, time.time() - t0, data[:80] if not ok else b""))
    except Exception as e:
        results.append((False, time.time() - t0, str(e).encode()))


threads = [threading.Thread(target=good, args=(i,)) for i in range(args.clients)]
for t in threads:
    t.start()
for t in threads:
    t.join(90)
served = sum(1 for r in results if r[0])
lat = sorted(r[1] for r in results)
print(f"{served}/{args.clients} ordinary clients served (latency p50 {lat[len(lat) // 2]:.2f} s, max {lat[-1]:.2f} s)")
for r in results:
    if not r[0]:
        print("  failed:", r[2][:200])
time.sleep(2)
gen = metric("armor_completion_tokens_total")
print(f"paused sequences {metric('armor_paused_sequences'):.0f}, unsent bytes {metric('armor_unsent_bytes'):.0f}, "
      f"completion tokens {gen:.0f} (8 never-read streams could be {args.hostile * args.n * args.max_tokens})")
time.sleep(max(0, args.seconds - 2))
gen2 = metric("armor_completion_tokens_total")
print(f"{args.seconds} s later: completion tokens {gen2:.0f}, paused {metric('armor_paused_sequences'):.0f}")
stop.set()
print(f"peak RSS {max(peak[0], status('VmHWM'))} MiB (VmHWM {status('VmHWM')} MiB, sampled peak {peak[0]} MiB)")
for s in hostile:
    s.close()
srv.terminate()
srv.wait(30)
sys.exit(0 if served == args.clients else 1)
