#!/usr/bin/env python3
"""report.py RAWDIR OUTDIR - turn lwip-bench.sh's raw results into the report.

Reads the clients' JSON reports (and RTT sample files, when kcp_client wrote
them) from RAWDIR and writes to OUTDIR:
  lwip-bench.json      every figure, ratio and target in one object
  lwip-latency.csv     latency run (loss 10 %, delay 30 ms)
  rtt_vs_loss.csv      the loss sweep, one row per loss rate
  throughput.csv       clean link: bulk throughput and 64-byte message rate
  summary.md           the tables shown in the README
and gnuplot inputs to RAWDIR (cdf.dat). Exit 1 when a result is missing.
"""
import json
import os
import sys

LAT_TARGET_AVG = 0.6
LAT_TARGET_P99 = 0.33
RATE_TARGET = 0.8
BULK_TARGET = 1.0
IDLE_TARGET_BYTES = 2048


def load(raw, name):
    path = os.path.join(raw, name + ".json")
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def rtt_fields(r):
    if r is None:
        return None
    unfinished = r.get("lost", 0)
    return {
        "sent": r["sent"], "verified": r["verified"], "unfinished": unfinished,
        "avg_ms": r["rtt_avg_ms"], "p50_ms": r["rtt_p50_ms"], "p99_ms": r["rtt_p99_ms"],
        "max_ms": r["rtt_max_ms"], "min_ms": r["rtt_min_ms"], "retrans": r.get("retrans"),
    }


def target(name, value, op, limit):
    met = None if value is None else (value <= limit if op == "<=" else value >= limit)
    return {"name": name, "value": value, "target": f"{op} {limit}", "met": met}


def verdict(t):
    return "n/a" if t["met"] is None else ("met" if t["met"] else "**not met**")


def fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def msgs_per_s(r):
    if r is None or not r.get("duration_s"):
        return None
    return r["verified"] / r["duration_s"]


def mbit(r):
    return None if r is None else r["throughput_bps"] / 1e6


def samples(path):
    """The sorted RTT samples of a .rtt file, or an empty list."""
    try:
        with open(path) as f:
            return sorted(float(line) for line in f if line.strip())
    except (OSError, ValueError):
        return []


def combine(runs):
    """Several runs of one client as one: bytes and time summed."""
    if not runs or None in runs:
        return None
    secs = sum(r["duration_s"] for r in runs)
    total = sum(r["bytes"] for r in runs)
    return {"bytes": total, "duration_s": secs, "verified": sum(r["verified"] for r in runs),
            "throughput_bps": total * 8.0 / secs if secs else 0.0}


def cdf_block(xs, total):
    """'rtt fraction' lines; the fraction is of every message sent, so echoes
    that never came keep the curve below 1."""
    return [f"{x:.3f} {(i + 1) / total:.5f}" for i, x in enumerate(xs)]


def main():
    raw, out = sys.argv[1], sys.argv[2]
    missing = []

    def need(name):
        r = load(raw, name)
        if r is None:
            missing.append(name)
        return r

    machine = load(raw, "machine") or {}
    lat_k, lat_t = need("lat_kcp"), need("lat_tcp")
    lat = {"kcp_fast": rtt_fields(lat_k), "tcp": rtt_fields(lat_t)}
    if lat_k and lat_t:
        lat["ratio_avg"] = ratio(lat_k["rtt_avg_ms"], lat_t["rtt_avg_ms"])
        lat["ratio_p99"] = ratio(lat_k["rtt_p99_ms"], lat_t["rtt_p99_ms"])
        lat["ratio_max"] = ratio(lat_k["rtt_max_ms"], lat_t["rtt_max_ms"])

    for proto, name in (("kcp_fast", "lat_kcp"), ("tcp", "lat_tcp")):
        xs = samples(os.path.join(raw, name + ".rtt"))
        if lat[proto] and xs:
            lat[proto]["capture"] = {"samples": len(xs), "avg_ms": round(sum(xs) / len(xs), 3),
                                     "p99_ms": xs[max(0, (len(xs) * 99 + 99) // 100 - 1)]}

    sweep = []
    for loss in machine.get("losses", []):
        row = {"loss_pct": loss}
        for proto in ("kcp_fast", "kcp_normal", "tcp"):
            row[proto] = rtt_fields(need(f"sweep_{loss}_{proto}"))
        f, t = row["kcp_fast"], row["tcp"]
        if f and t:
            row["ratio_avg"] = ratio(f["avg_ms"], t["avg_ms"])
            row["ratio_p99"] = ratio(f["p99_ms"], t["p99_ms"])
        sweep.append(row)

    rate_k, rate_u = need("rate_kcp"), need("rate_udp")
    rounds = range(1, machine.get("bulk_rounds", 0) + 1)
    bulk = {p: combine([need(f"bulk_{p}_{i}") for i in rounds]) for p in ("kcp", "tcp", "udp")}
    clean = {
        "rate_msgs_per_s": {"kcp": msgs_per_s(rate_k), "udp": msgs_per_s(rate_u)},
        "bulk_mbit_s": {p: mbit(r) for p, r in bulk.items()},
    }
    clean["rate_ratio_kcp_udp"] = ratio(msgs_per_s(rate_k), msgs_per_s(rate_u))
    b = clean["bulk_mbit_s"]
    clean["bulk_rounds_kcp_tcp"] = [
        ratio(mbit(load(raw, f"bulk_kcp_{i}")), mbit(load(raw, f"bulk_tcp_{i}"))) for i in rounds]
    clean["bulk_ratio_kcp_tcp"] = ratio(b["kcp"], b["tcp"])
    clean["bulk_ratio_kcp_udp"] = ratio(b["kcp"], b["udp"])
    clean["bulk_ratio_tcp_udp"] = ratio(b["tcp"], b["udp"])

    # ./minimal's CPU during each clean-link run, in % of one core.
    hz = os.sysconf("SC_CLK_TCK")
    ticks, secs = {}, {}
    try:
        with open(os.path.join(raw, "clean_cpu.txt")) as f:
            for line in f:
                name, n = line.split()
                r = load(raw, name)
                key = name.rstrip("0123456789").rstrip("_")  # bulk rounds add up
                if r and r.get("duration_s"):
                    ticks[key] = ticks.get(key, 0) + int(n)
                    secs[key] = secs.get(key, 0.0) + r["duration_s"]
    except (OSError, ValueError):
        pass
    cpu = {k: round(100.0 * ticks[k] / hz / secs[k], 1) for k in ticks if secs[k] > 0}
    clean["minimal_cpu_pct"] = cpu

    idle = need("idle")
    if idle:
        secs = idle["idle_seconds"] * idle["clk_tck"]
        idle["cpu_pct_idle_sessions"] = round(100.0 * idle["cpu_ticks_idle_sessions"] / secs, 2)
        idle["cpu_pct_no_sessions"] = round(100.0 * idle["cpu_ticks_no_sessions"] / secs, 2)

    s10 = next((r for r in sweep if r["loss_pct"] == 10), {})
    targets = [
        target("Latency run: KCP/TCP avg RTT", lat.get("ratio_avg"), "<=", LAT_TARGET_AVG),
        target("Latency run: KCP/TCP p99 RTT", lat.get("ratio_p99"), "<=", LAT_TARGET_P99),
        target("Latency run: KCP/TCP max RTT (claim: 3x lower)", lat.get("ratio_max"), "<=",
               LAT_TARGET_P99),
        target("Loss sweep, 10 % loss: KCP/TCP avg RTT", s10.get("ratio_avg"), "<=", LAT_TARGET_AVG),
        target("Loss sweep, 10 % loss: KCP/TCP p99 RTT", s10.get("ratio_p99"), "<=", LAT_TARGET_P99),
        target("Clean link: KCP/UDP 64-byte echo rate", clean["rate_ratio_kcp_udp"], ">=",
               RATE_TARGET),
        target("Clean link: KCP/TCP bulk throughput", clean["bulk_ratio_kcp_tcp"], ">=",
               BULK_TARGET),
        target("Idle sessions: bytes of RSS each", idle and idle["bytes_per_session"], "<=",
               IDLE_TARGET_BYTES),
    ]
    report = {"machine": machine, "latency": lat, "sweep": sweep, "clean": clean, "idle": idle,
              "targets": targets, "missing": missing}
    with open(os.path.join(out, "lwip-bench.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")

    cols = ["sent", "verified", "unfinished", "min_ms", "avg_ms", "p50_ms", "p99_ms", "max_ms",
            "retrans"]
    with open(os.path.join(out, "lwip-latency.csv"), "w") as f:
        f.write("proto," + ",".join(cols) + "\n")
        for proto in ("kcp_fast", "tcp"):
            if lat[proto]:
                f.write(proto + "," + ",".join(str(lat[proto][c]) for c in cols) + "\n")
    with open(os.path.join(out, "rtt_vs_loss.csv"), "w") as f:
        stats = ["avg_ms", "p50_ms", "p99_ms", "max_ms", "unfinished"]
        f.write("loss_pct," + ",".join(f"{p}_{s}" for p in ("kcp_fast", "kcp_normal", "tcp")
                                       for s in stats) + "\n")
        for row in sweep:
            vals = [str(row["loss_pct"])]
            for p in ("kcp_fast", "kcp_normal", "tcp"):
                vals += [str(row[p][s]) if row[p] else "" for s in stats]
            f.write(",".join(vals) + "\n")
    with open(os.path.join(out, "throughput.csv"), "w") as f:
        f.write("test,proto,label,value,unit\n")
        labels = {"kcp": "KCP", "tcp": "TCP", "udp": "UDP echo"}
        for p in ("kcp", "tcp", "udp"):
            f.write(f"bulk,{p},{labels[p]},{fmt(b[p], 3)},Mbit/s\n")
        for p in ("kcp", "udp"):
            f.write(f"rate_64B,{p},{labels[p]},{fmt(clean['rate_msgs_per_s'][p], 0)},msgs/s\n")

    with open(os.path.join(raw, "cdf.dat"), "w") as f:
        pairs = [(samples(os.path.join(raw, n + ".rtt")), r) for n, r in
                 (("lat_kcp", lat_k), ("lat_tcp", lat_t))]
        if all(xs and r for xs, r in pairs):
            f.write("\n\n\n".join("\n".join(cdf_block(xs, max(r["sent"], len(xs))))
                                   for xs, r in pairs) + "\n")

    md = []
    md.append(f"Machine: {machine.get('nproc', '?')} CPUs, {machine.get('cpu', '?')}, "
              f"Linux {machine.get('kernel', '?')}; run {machine.get('date', '?')}; "
              f"load average at start {machine.get('load_start', '?')}, "
              f"at end {machine.get('load_end', '?')}.")
    if machine.get("tcp_echo_nagle"):
        md.append("")
        md.append("Note: lwIP's TCP echo (apps/tcpecho) ran with Nagle on (kcp_client sets "
                  "TCP_NODELAY on its side only): a small echo waits while an earlier one is "
                  "unacknowledged, which adds up to one RTT on a clean link and a retransmission "
                  "timeout after a loss; TCP's figures are worse than with TCP_NODELAY on "
                  "both ends.")
    md.append("")
    md.append("| target | measured | target | |")
    md.append("| --- | ---: | ---: | --- |")
    for t in targets:
        v = t["value"]
        shown = fmt(v, 3) if isinstance(v, float) else ("-" if v is None else str(v))
        md.append(f"| {t['name']} | {shown} | {t['target']} | {verdict(t)} |")
    md.append("")
    md.append(f"Latency run: loss 10 %, delay 30 ms each way, one 64-byte message every "
              f"20 ms for {machine.get('latency_s', '?')} s, KCP (fast) and TCP at the same time "
              f"through one ./minimal. RTT in ms.")
    md.append("")
    md.append("| | sent | echoed | unfinished | avg | p50 | p99 | max | retrans (client) |")
    md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for proto, label in (("kcp_fast", "KCP fast"), ("tcp", "TCP")):
        r = lat[proto]
        if r:
            md.append(f"| {label} | {r['sent']} | {r['verified']} | {r['unfinished']} | "
                      f"{fmt(r['avg_ms'])} | {fmt(r['p50_ms'])} | {fmt(r['p99_ms'])} | "
                      f"{fmt(r['max_ms'])} | {r['retrans']} |")
    if lat.get("ratio_avg") is not None:
        md.append(f"| KCP/TCP | | | | {lat['ratio_avg']:.3f} | | {lat['ratio_p99']:.3f} | "
                  f"{lat['ratio_max']:.3f} | |")
    caps = [(label, lat[p]["capture"]) for p, label in (("kcp_fast", "KCP"), ("tcp", "TCP"))
            if lat[p] and "capture" in lat[p]]
    if caps:
        md.append("")
        md.append("The CDF plot takes every RTT from a capture on the client side of the tap "
                  "(bench/rtt_pcap.py); its figures, to compare with the clients' own above: " +
                  "; ".join(f"{label} {c['samples']} samples, avg {c['avg_ms']:.1f} ms, "
                            f"p99 {c['p99_ms']:.1f} ms" for label, c in caps) + ".")
    md.append("")
    md.append(f"RTT against loss: delay 30 ms each way, one 64-byte message every 20 ms for "
              f"{machine.get('sweep_s', '?')} s per loss rate; KCP fast, KCP normal and TCP at "
              f"the same time (KCP normal on a second ./minimal with the same link settings). "
              f"avg / p99 in ms; unfinished: echoes still missing when the run was cut off.")
    md.append("")
    md.append("| loss | KCP fast | KCP normal | TCP | fast/TCP avg | fast/TCP p99 |")
    md.append("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in sweep:
        cells = []
        for p in ("kcp_fast", "kcp_normal", "tcp"):
            r = row[p]
            cell = "-" if r is None else f"{fmt(r['avg_ms'])} / {fmt(r['p99_ms'])}"
            if r and r["unfinished"]:
                cell += f" ({r['unfinished']} unfinished)"
            cells.append(cell)
        md.append(f"| {row['loss_pct']} % | " + " | ".join(cells) +
                  f" | {fmt(row.get('ratio_avg'), 3)} | {fmt(row.get('ratio_p99'), 3)} |")
    md.append("")
    rk, ru = clean["rate_msgs_per_s"]["kcp"], clean["rate_msgs_per_s"]["udp"]
    md.append(f"Clean link, rate runs {machine.get('clean_s', '?')} s each, one after the "
              f"other on one ./minimal: 64-byte echo rate (KCP message mode, window 128; "
              f"UDP echo 64 datagrams in flight, its best); bulk echo throughput in "
              f"{len(rounds)} alternating rounds of {machine.get('bulk_s', '?')} s, summed "
              f"(KCP stream mode and TCP "
              f"with 16 KB writes, KCP window 128 x 1376 B, lwIP TCP_WND 64 KB; UDP echo "
              f"1376-byte datagrams, 64 in flight). Mbit/s count echoed payload; ./minimal "
              f"CPU is utime+stime over the run in % of one core (it runs two threads).")
    md.append("")
    md.append("| | KCP | TCP | UDP echo | KCP/UDP | KCP/TCP |")
    md.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    md.append(f"| 64-byte messages/s | {fmt(rk, 0)} | | {fmt(ru, 0)} | "
              f"{fmt(clean['rate_ratio_kcp_udp'], 3)} | |")
    per_round = ", ".join(fmt(x, 2) for x in clean["bulk_rounds_kcp_tcp"])
    md.append(f"| bulk Mbit/s | {fmt(b['kcp'])} | {fmt(b['tcp'])} | {fmt(b['udp'])} | "
              f"{fmt(clean['bulk_ratio_kcp_udp'], 3)} | {fmt(clean['bulk_ratio_kcp_tcp'], 3)} "
              f"(rounds: {per_round}) |")
    if cpu:
        md.append(f"| ./minimal CPU %, rate run | {fmt(cpu.get('rate_kcp'), 0)} | | "
                  f"{fmt(cpu.get('rate_udp'), 0)} | | |")
        md.append(f"| ./minimal CPU %, bulk run | {fmt(cpu.get('bulk_kcp'), 0)} | "
                  f"{fmt(cpu.get('bulk_tcp'), 0)} | {fmt(cpu.get('bulk_udp'), 0)} | | |")
    md.append("")
    if idle:
        md.append(f"Idle sessions: {idle['sessions']} KCP sessions opened"
                  f"{'' if idle['opened'] else ' (NOT all echoed)'}, each echoed once and acked; "
                  f"RSS of ./minimal {idle['rss_before_kb']} kB -> {idle['rss_after_kb']} kB "
                  f"after {idle['idle_seconds'] + 1} s idle = {idle['bytes_per_session']} bytes "
                  f"per idle session ({idle['rss_opened_kb']} kB = "
                  f"{idle['bytes_per_session_opened']} bytes each right after the last echo; "
                  f"engine buffers the binding frees from idle sessions stay in malloc's heap, so "
                  f"RSS keeps the peak of sessions still busy while the others were opened). "
                  f"CPU of ./minimal over "
                  f"{idle['idle_seconds']} s: {idle['cpu_pct_no_sessions']} % with no session, "
                  f"{idle['cpu_pct_idle_sessions']} % with the {idle['sessions']} idle sessions.")
    if missing:
        md.append("")
        md.append("Missing results: " + ", ".join(missing))
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    met = sum(1 for t in targets if t["met"])
    print(f"report: targets {met} met, {len(targets) - met} not met or not measured"
          + (f"; missing results: {', '.join(missing)}" if missing else ""))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
