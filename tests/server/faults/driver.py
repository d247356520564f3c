#!/usr/bin/env python3
"""Load driver of the fault scripts: /save requests spread over several keycadence-server
replicas (round robin, as a load balancer would), each for a user of its own, and a record of
every answer. Python's standard library only.

  driver.py load --servers URL,URL --auth KEY:SECRET --pattern FILE --seconds S
                 --threads T --out DIR
      Writes DIR/acked (the user ids whose save was answered with success, one per line) and
      DIR/answers.jsonl (per request: server, start time, seconds taken, HTTP status,
      message_code or the connection error). A server that refuses connections (killed) is
      skipped for a second, as a load balancer's health check would.

  driver.py check --acked FILE --stored FILE
      Fails unless every acknowledged user id is among the stored ones (one per line).

  driver.py summary --answers FILE [--since T] [--until T]
      Prints answers by server and outcome.
"""
import argparse
import base64
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
from collections import Counter


def unique_pattern(base, n):
    """The base type-1 pattern with its first seek time made unique (distinct digests)."""
    header, first, rest = base.split("|", 2)
    _, press = first.split(",")
    return f"{header}|{100000 + n},{press}|{rest}"


def load(args):
    servers = args.servers.split(",")
    auth = "Basic " + base64.b64encode(args.auth.encode()).decode()
    base = open(args.pattern).read().strip()
    deadline = time.time() + args.seconds
    down_until = {s: 0.0 for s in servers}
    lock = threading.Lock()
    acked, answers = [], []
    counter = [0]

    def next_request():
        with lock:
            counter[0] += 1
            n = counter[0]
        now = time.time()
        up = [s for s in servers if down_until[s] <= now] or servers
        return n, up[n % len(up)]

    def worker(index):
        connections = {}
        while time.time() < deadline:
            n, server = next_request()
            user = f"fault-{os.getpid()}-{n:07d}"
            body = urllib.parse.urlencode({"tp": unique_pattern(base, n)})
            started = time.time()
            answer = {"server": server, "start": started}
            try:
                conn = connections.get(server)
                if conn is None:
                    parsed = urllib.parse.urlsplit(server)
                    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
                    connections[server] = conn
                conn.request("POST", f"/save/{user}", body, {
                    "Authorization": auth,
                    "Content-Type": "application/x-www-form-urlencoded",
                })
                response = conn.getresponse()
                data = response.read()
                answer["status"] = response.status
                try:
                    reply = json.loads(data)
                    answer["code"] = reply.get("message_code")
                    success = response.status == 200 and reply.get("message_code") == 1
                except ValueError:
                    success = False
                if success:
                    with lock:
                        acked.append(user)
            except (OSError, http.client.HTTPException) as err:
                connections.pop(server, None)
                answer["error"] = type(err).__name__
                if isinstance(err, ConnectionRefusedError):
                    down_until[server] = time.time() + 1.0
                time.sleep(0.01)  # no busy loop while the only server is gone
            answer["seconds"] = round(time.time() - started, 4)
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "acked"), "w") as f:
        f.writelines(u + "\n" for u in acked)
    with open(os.path.join(args.out, "answers.jsonl"), "w") as f:
        f.writelines(json.dumps(a) + "\n" for a in answers)
    print(f"driver: {len(answers)} requests, {len(acked)} acknowledged saves")


def check(args):
    acked = [line.strip() for line in open(args.acked) if line.strip()]
    stored = {line.strip() for line in open(args.stored) if line.strip()}
    lost = [u for u in acked if u not in stored]
    print(f"check: {len(acked)} acknowledged saves, {len(stored)} users stored, "
          f"{len(lost)} acknowledged but not stored")
    if not acked:
        sys.exit("check: nothing was acknowledged: the load did not run")
    if lost:
        sys.exit("check: acknowledged saves lost: " + ", ".join(lost[:10]))


def outcome(answer):
    if "error" in answer:
        return answer["error"]
    return f"{answer['status']}/{answer.get('code')}"


def summary(args):
    answers = [json.loads(line) for line in open(args.answers)]
    answers = [a for a in answers
               if args.since <= a["start"] < args.until]
    by = Counter((a["server"], outcome(a)) for a in answers)
    for (server, what), n in sorted(by.items()):
        print(f"  {server:<24} {what:<28} {n}")
    slowest = max((a["seconds"] for a in answers), default=0)
    print(f"  slowest answer: {slowest:.2f} s")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("load")
    p.add_argument("--servers", required=True)
    p.add_argument("--auth", required=True)
    p.add_argument("--pattern", required=True)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--out", required=True)
    p = sub.add_parser("check")
    p.add_argument("--acked", required=True)
    p.add_argument("--stored", required=True)
    p = sub.add_parser("summary")
    p.add_argument("--answers", required=True)
    p.add_argument("--since", type=float, default=0)
    p.add_argument("--until", type=float, default=float("inf"))
    args = parser.parse_args()
    {"load": load, "check": check, "summary": summary}[args.command](args)


if __name__ == "__main__":
    main()
