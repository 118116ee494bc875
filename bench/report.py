#!/usr/bin/env python3
"""Formats a bench/run.sh run: the table and the targets of issue #17 (#6 before it).

  bench/report.py WORKDIR OUT.json   # merge one run's files into OUT.json, print the table
  bench/report.py OUT.json           # reprint the table of a saved run
"""

import glob
import json
import os
import platform
import subprocess
import sys


def machine():
    info = {"cores": os.cpu_count(), "kernel": platform.release()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "CPU max MHz"):
                info[key.strip()] = value.strip()
        with open("/proc/meminfo") as f:
            info["mem_total_kb"] = int(f.readline().split()[1])
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def merge(work, out):
    meta = {}
    with open(os.path.join(work, "meta.env")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            meta[key] = value
    parts = {}
    for path in sorted(glob.glob(os.path.join(work, "part-*.json"))):
        name = os.path.basename(path)[len("part-"):-len(".json")]
        with open(path) as f:
            parts[name] = json.load(f)
    run = {"meta": meta, "machine": machine(), "parts": parts}
    run["summary"] = summarise(run)
    with open(out, "w") as f:
        json.dump(run, f, indent=2)
    return run


def rounds(parts, prefix):
    return [p for name, p in sorted(parts.items()) if name[: len(prefix)] == prefix and name[len(prefix):].isdigit()]


def pooled(items):
    """Several rounds as one: total requests over total time, mean of the percentiles."""
    if not items:
        return None
    secs = sum(p["duration_s"] for p in items)
    return {
        "rps": sum(p["requests"] for p in items) / secs,
        "p50": sum(p["latency_ms"]["p50"] for p in items) / len(items),
        "p99": sum(p["latency_ms"]["p99"] for p in items) / len(items),
        "bad": sum(p["bad"] for p in items),
        "err": sum(sum(p["socket_errors"].values()) for p in items),
        "server_cpu_s": sum(p.get("server_cpu_s", 0) for p in items),
        "db_cpu_s": sum(p.get("db_cpu_s", 0) for p in items),
        # The machine's CPU per page: the server's plus the database's.
        "cpu_us_per_req": round(
            sum(p.get("server_cpu_s", 0) + p.get("db_cpu_s", 0) for p in items)
            / max(1, sum(p["requests"] for p in items)) * 1e6),
        "rounds_rps": [round(p["rps"]) for p in items],
    }


def one(p):
    return pooled([p]) if p else None


def summarise(run):
    parts, meta = run["parts"], run["meta"]
    s = {
        "a": pooled(rounds(parts, "a")),
        "b": pooled(rounds(parts, "b")),
        "c1": one(parts.get("c1")),
        "c2": one(parts.get("c2")),
        "d": one(parts.get("d")),
        "e0": one(parts.get("e0")),
        "e": one(parts.get("e")),
        "f": one(parts.get("f")),
    }
    if parts.get("d"):
        s["d"]["adds_per_s"] = parts["d"].get("adds_per_s")
    storm = parts.get("e_storm")
    targets = {}
    ratio = lambda x, y: round(x / y, 3) if x is not None and y else None
    if s["a"] and s["b"]:
        per_round = sorted(
            a["rps"] / b["rps"] for a, b in zip(rounds(parts, "a"), rounds(parts, "b")) if b["rps"]
        )
        s["a"]["round_ratios"] = [round(r, 3) for r in per_round]
        targets["a/b >= 1.00 (median of rounds)"] = round(per_round[len(per_round) // 2], 3) if per_round else None
        targets["a/b pooled"] = ratio(s["a"]["rps"], s["b"]["rps"])
        targets["CPU per page a/b <= 0.80"] = ratio(s["a"]["cpu_us_per_req"], s["b"]["cpu_us_per_req"])
    if s["a"]:
        for c in ("c1", "c2"):
            if s[c]:
                targets[f"{c}/a >= 0.90"] = ratio(s[c]["rps"], s["a"]["rps"])
        if s["d"]:
            targets["d/a >= 0.60"] = ratio(s["d"]["rps"], s["a"]["rps"])
        if s["f"]:
            targets["f/a >= 2"] = ratio(s["f"]["rps"], s["a"]["rps"])
    if s["e"] and s["e0"]:
        targets["e readers/quiet >= 0.40"] = ratio(s["e"]["rps"], s["e0"]["rps"])
        targets["e p99/quiet p99 <= 3"] = ratio(s["e"]["p99"], s["e0"]["p99"])
    if storm and meta.get("hash_cpu_ms"):
        capacity = int(meta.get("cores", os.cpu_count())) / (int(meta["hash_cpu_ms"]) / 1000)
        s["e_storm"] = {
            "logins_per_s": storm.get("logins_per_s"),
            "logins_failed": storm.get("logins_failed"),
            "capacity_per_s": round(capacity, 2),
        }
        targets["e logins/capacity >= 0.40"] = ratio(storm.get("logins_per_s"), capacity)
    for key, label in (("tickbox_pg_peak_rss_kb", "PG"), ("tickbox_sqlite_peak_rss_kb", "SQLite")):
        if meta.get(key):
            targets[f"peak RSS {label} MiB < 48"] = round(int(meta[key]) / 1024, 1)
    s["targets"] = targets
    return s


def table(run):
    s, meta = run["summary"], run["meta"]
    rows = [
        ("a", "tickbox GET /todos (20 to-dos), PG"),
        ("b", "limit reference GET /todos, PG"),
        ("c1", "GET /todos, 100k to-dos / 100k users"),
        ("c2", "  ?filter=completed&sort=due"),
        ("d", "POST /todos + follow"),
        ("e0", "readers alone (16 conns)"),
        ("e", "readers during log-in storm"),
        ("f", "tickbox GET /todos, SQLite"),
    ]
    lines = [f"{'part':<5}{'what':<40}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'bad':>6}{'err':>5}{'srv CPU s':>10}{'CPU us/req':>11}"]
    for key, what in rows:
        p = s.get(key)
        if not p:
            continue
        lines.append(
            f"{key:<5}{what:<40}{p['rps']:>9.0f}{p['p50']:>9.2f}{p['p99']:>9.2f}{p['bad']:>6}{p['err']:>5}{p['server_cpu_s']:>10.1f}{p.get('cpu_us_per_req', 0):>11}"
        )
        if key in ("a", "b"):
            lines[-1] += f"   rounds {p['rounds_rps']}"
            if p.get("round_ratios"):
                lines[-1] += f", a/b by round {p['round_ratios']}"
        if key == "d" and p.get("adds_per_s") is not None:
            lines[-1] += f"   {p['adds_per_s']:.0f} to-dos added/s"
    storm = s.get("e_storm")
    if storm:
        lines.append(
            f"{'e':<5}{'log-in storm (16 clients, cost 12)':<40}{storm['logins_per_s']:>9.2f} logins/s"
            f" (failed {storm['logins_failed']}); capacity {storm['capacity_per_s']}/s"
            f" = {meta.get('cores')} cores / {meta.get('hash_cpu_ms')} ms CPU per hash"
        )
    lines.append("")
    lines.append("targets (same run):")
    for name, value in s["targets"].items():
        lines.append(f"  {name:<32} {value}")
    trips = {k[len("round_trips_"):]: v for k, v in meta.items() if k.startswith("round_trips_")}
    if trips:
        lines.append("database statements per request: " + ", ".join(f"{k} {v}" for k, v in trips.items()))
    hops = {k[len("blocking_trips_"):]: v for k, v in meta.items() if k.startswith("blocking_trips_")}
    if hops:
        lines.append("trips to the blocking pool per request: " + ", ".join(f"{k} {v}" for k, v in hops.items()))
    rss_limit = meta.get("limit_peak_rss_kb")
    if rss_limit:
        lines.append(f"  (limit reference peak RSS {int(rss_limit) / 1024:.1f} MiB)")
    lines.append(f"page bytes {meta.get('page_bytes')}; load {meta.get('loadavg_start')} -> {meta.get('loadavg_end')}; commit {meta.get('commit')}")
    return "\n".join(lines)


def main():
    if len(sys.argv) == 3:
        run = merge(sys.argv[1], sys.argv[2])
        print(table(run))
        print(f"\nwritten: {sys.argv[2]}")
    elif len(sys.argv) == 2:
        with open(sys.argv[1]) as f:
            print(table(json.load(f)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
