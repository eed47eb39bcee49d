#!/usr/bin/env python3
"""The dibao caseload's response to the standard-to-income ratio: history against the model
(docs/history-notes.md "The caseload's response to the standard", issue 10).

usage: scripts/elasticity.py [HOUSEHOLDS [REPLICATIONS]] [--history-only] [--set KEY=VALUE ...]
                             [--scenario FILE]

History: from synthetic-data/history.csv, each region's year-end standard (its yearly row,
yuan per person per month) times 12 over the year's NBS per-capita disposable income, and the
year-end dibao persons (rows dated YYYY-12); the year-on-year change of the log caseload is
regressed on the change of the log ratio, with one trend per region (ordinary least squares,
conventional standard errors and Student's t: a handful of years, so the interval is wide).

Model: the default projection (`backtest --projection scenarios/baseline.toml --years 5`,
release build) as shipped and with the standard of one region (or both) raised 5 % from 2025 on
(its 2025 growth schedule value g becomes (1 + g) x 1.05 - 1, later years unchanged; the engine
holds one standard per calendar year, so it is 5 % higher from January 2025; the first simulated
year, 2023, is untouched, which matters for a cap set on it), same seed (common random numbers).
H2 2025 (centred 9 months after the rise) is the horizon of history's year-end to year-end
changes, H2 2026 (21 months) two years on. The response is the paired change of the log of
dibao persons over ln 1.05, by half-year, with its se over replications. `--set KEY=VALUE`
(repeatable) applies to both runs of every pair: the response of a variant of the baseline;
`--scenario FILE` runs another scenario (its standards' growth schedules read from the resolved
file of its first run) in place of scenarios/baseline.toml.
"""
import collections, csv, math, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replications  # noqa: E402  (scripts/replications.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
argv = sys.argv[1:]
SETS = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
SCEN = next((argv[i + 1] for i, a in enumerate(argv) if a == "--scenario"), "scenarios/baseline.toml")
args = [a for i, a in enumerate(argv)
        if not a.startswith("--") and (i == 0 or argv[i - 1] not in ("--set", "--scenario"))]
HH = args[0] if args else "100000"
REPS = args[1] if len(args) > 1 else "12"
BIN = os.path.join(ROOT, "target", "release", "safetynet")
SHOCK = 0.05
SHOCK_YEAR = 2025  # the first year of higher growth: the first simulated year (2023) is untouched
# Student's t, 97.5 % quantile, by degrees of freedom 1-12 (as tests/history_fit.rs).
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179]


def history():
    rows = list(csv.DictReader(open(os.path.join(ROOT, "synthetic-data", "history.csv"))))

    def get(k):
        return {r["date"]: float(r["value"]) for r in rows if r["key"] == k}

    obs = {}
    for reg in ("urban", "rural"):
        std, inc, per = get(f"dibao_std_{reg}"), get(f"income_pc_{reg}"), get(f"dibao_persons_{reg}")
        for y in range(2010, 2030):
            if str(y) in std and str(y) in inc and f"{y}-12" in per:
                obs[(reg, y)] = (12 * std[str(y)] / inc[str(y)], per[f"{y}-12"])
    return obs


def ols(x, y):
    """Least squares of y on the columns of x: coefficients and their standard errors."""
    n, k = len(y), len(x[0])
    a = [[sum(x[i][p] * x[i][q] for i in range(n)) for q in range(k)] for p in range(k)]
    c = [sum(x[i][p] * y[i] for i in range(n)) for p in range(k)]
    m = [a[i][:] + [float(i == j) for j in range(k)] for i in range(k)]
    for i in range(k):
        piv = m[i][i]
        m[i] = [v / piv for v in m[i]]
        for j in range(k):
            if j != i:
                f = m[j][i]
                m[j] = [u - f * v for u, v in zip(m[j], m[i])]
    inv = [r[k:] for r in m]
    b = [sum(inv[p][j] * c[j] for j in range(k)) for p in range(k)]
    e = [y[i] - sum(x[i][p] * b[p] for p in range(k)) for i in range(n)]
    s2 = sum(v * v for v in e) / (n - k)
    return b, [math.sqrt(s2 * inv[p][p]) for p in range(k)]


def history_table():
    obs = history()
    print("History (synthetic-data/history.csv): year-end ratio of the standard to income, dibao persons")
    print("region  year   ratio  persons (m)  d ln ratio  d ln persons")
    pairs = collections.defaultdict(list)
    for (reg, y), (r, p) in sorted(obs.items()):
        prev = obs.get((reg, y - 1))
        line = f"{reg:6}  {y}  {r:.4f}  {p:11.2f}"
        if prev:
            dr, dp = math.log(r / prev[0]), math.log(p / prev[1])
            pairs[reg].append((y, dr, dp))
            line += f"  {dr:+10.3f}  {dp:+12.3f}"
        print(line)
    print()
    for lo, hi in ((2016, 2022), (2017, 2021), (2019, 2022)):
        x, y = [], []
        for j, reg in enumerate(("urban", "rural")):
            for yr, dr, dp in pairs[reg]:
                if lo <= yr <= hi:
                    x.append([float(j == 0), float(j == 1), dr])
                    y.append(dp)
        assert len(y) > 3, f"{lo}-{hi}: {len(y)} region-years"
        b, se = ols(x, y)
        t = T975[len(y) - 3 - 1]
        print(f"{lo}-{hi}: {len(y)} region-years; response {b[2]:+.2f} (se {se[2]:.2f}, "
              f"95 % {b[2] - t * se[2]:+.2f} to {b[2] + t * se[2]:+.2f}, Student's t); "
              f"trend urban {100 * b[0]:+.1f} %, rural {100 * b[1]:+.1f} % a year")
    # Two years on: the previous year's change of the ratio enters too; columns d_t - d_t-1 and
    # d_t-1, so the sum of both coefficients is one coefficient with its se.
    x, y = [], []
    for j, reg in enumerate(("urban", "rural")):
        ch = {yr: (dr, dp) for yr, dr, dp in pairs[reg]}
        for yr, (dr, dp) in ch.items():
            if 2016 <= yr <= 2022 and yr - 1 in ch:
                dm = ch[yr - 1][0]
                x.append([float(j == 0), float(j == 1), dr - dm, dm])
                y.append(dp)
    b, se = ols(x, y)
    t = T975[len(y) - 4 - 1]
    print(f"2016-2022, two years on (with the previous year's change): {len(y)} region-years; "
          f"response {b[3]:+.2f} (se {se[3]:.2f}, 95 % {b[3] - t * se[3]:+.2f} to {b[3] + t * se[3]:+.2f})")
    print("(independent errors assumed: urban and rural share yearly shocks and each region's changes "
          "are serially correlated, so the intervals are if anything too narrow)")
    print()


def run(sets, out):
    cmd = [BIN, "backtest", "--projection", SCEN, "--households", HH,
           "--reps", REPS, "--years", "5", "--quiet", "--out", out]
    for s in SETS + sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return replications.read(out)


def half(rows, year, h, region):
    """Monthly-average dibao persons of a half-year (H2 = 2 FY - H1), per replication."""
    h1 = rows[(year, "H1", region, "recipients_persons")]
    if h == "H1":
        return h1
    return [2 * f - a for f, a in zip(rows[(year, "FY", region, "recipients_persons")], h1)]


ms = replications.ms


def model_table():
    import json
    with tempfile.TemporaryDirectory() as tmp:
        run([], os.path.join(tmp, "probe"))
        with open(os.path.join(tmp, "probe", "manifest.json")) as f:
            std = json.load(f)["scenarios"][0]["resolved"]["programs"]["dibao"]["standard"]

    def raised(reg):
        g = {int(k): v for k, v in std[f"growth_{reg}"].items()}
        at = lambda yr: g[max(y for y in g if y <= yr)]
        g.setdefault(SHOCK_YEAR + 1, at(SHOCK_YEAR + 1))  # a schedule carries its last key on
        g.setdefault(SHOCK_YEAR, at(SHOCK_YEAR))
        g[SHOCK_YEAR] = round((1 + g[SHOCK_YEAR]) * (1 + SHOCK) - 1, 6)
        body = ", ".join(f"{y} = {v}" for y, v in sorted(g.items()))
        return f"programs.dibao.standard.growth_{reg}={{ {body} }}"

    with tempfile.TemporaryDirectory() as tmp:
        base = run([], os.path.join(tmp, "base"))
        shocks = {
            "both": run([raised("urban"), raised("rural")], os.path.join(tmp, "both")),
            "urban": run([raised("urban")], os.path.join(tmp, "urban")),
            "rural": run([raised("rural")], os.path.join(tmp, "rural")),
        }
    lvl = [ms(half(base, SHOCK_YEAR, "H1", r))[0] for r in ("national", "urban", "rural")]
    print(f"Model: dibao persons H1 {SHOCK_YEAR} (m), national / urban / rural: " + " / ".join(f"{v:.2f}" for v in lvl)
          + (f"  (with {' '.join(SETS)})" if SETS else ""))
    print(f"Model: dibao persons' response to a {100 * SHOCK:.0f} % higher standard from {SHOCK_YEAR} "
          f"(d ln persons / ln {1 + SHOCK:.2f}; se over {REPS} paired replications of {HH} households)")
    periods = [(y, h) for y in range(SHOCK_YEAR - 1, SHOCK_YEAR + 3) for h in ("H1", "H2")]
    print("standard raised  region    " + "  ".join(f"{y} {h:>2}       " for y, h in periods))
    for name, rows in shocks.items():
        for region in ("national", "urban", "rural"):
            if name != "both" and region != name:
                continue
            cells = []
            for y, h in periods:
                d = [math.log(s / b) / math.log(1 + SHOCK)
                     for s, b in zip(half(rows, y, h, region), half(base, y, h, region))]
                m, se = ms(d)
                cells.append(f"{m:+.2f} ({se:.2f})")
            print(f"{name:15}  {region:8}  " + "  ".join(cells))


history_table()
if "--history-only" not in sys.argv:
    model_table()
