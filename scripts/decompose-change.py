#!/usr/bin/env python3
"""Paired decomposition of the backtest's change of dibao persons from September 2021 to
September 2023 (docs/history-notes.md "Why the model's caseload rose from 2021 to 2023").

usage: scripts/decompose-change.py [HOUSEHOLDS [REPLICATIONS]] [--candidates | --split | --projection]

Runs `safetynet backtest --projection scenarios/backtest-2017.toml` (release build) as driven
and with one channel frozen at its 2021 value for 2022 and 2023 (or, with --candidates, with
each candidate mechanism), all with the same seed (common random numbers), and prints the
change (mean over replications and its se) and the paired difference against the run as
driven (its se from the paired differences). The September stocks are matched as the backtest
matches them: between the half-year averages, centred at months 3.5 and 9.5.

With --split (docs/history-notes.md "The 2020 expansion cohort"), the run goes on to 2024 and each channel is
frozen by region from 2022 (weights, migration, arrivals, deaths, standards, real incomes), and
the urban and rural changes Sep 2021 -> Sep 2023 and Jun 2022 -> Jun 2024 and the national
changes Sep 2023 -> Jun 2024 and Sep 2021 -> Sep 2023 are printed, each with its paired
difference; the last run follows the registered (hukou) rural population instead of the
resident one (docs/history-notes.md "The rural caseload follows the registered (hukou) population").

With --projection (docs/history-notes.md "Why the projection falls after 2023"), the default projection
(`backtest --projection scenarios/baseline.toml --years 3`) is run as shipped and with one
channel frozen from 2024 (its schedules' 2024 and later values set to 0, earlier values kept, read
from the resolved scenario of the run as shipped) or switched off, and the national changes
Sep 2023 -> Jun 2024, Sep 2023 -> Sep 2025 and Jun 2024 -> Sep 2025 and the urban and rural
changes Sep 2023 -> Jun 2024 and Sep 2023 -> Sep 2025 are printed with their paired differences.
"""
import collections, csv, json, math, os, subprocess, sys, tempfile, tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replications  # noqa: E402  (scripts/replications.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
CANDIDATES = "--candidates" in sys.argv
SPLIT = "--split" in sys.argv
PROJ = "--projection" in sys.argv
HH = args[0] if args else "200000"
REPS = args[1] if len(args) > 1 else "8"
SCEN = "scenarios/baseline.toml" if PROJ else "scenarios/backtest-2017.toml"
BIN = os.path.join(ROOT, "target", "release", "safetynet")


def sched(key, vals):
    return f"{key}={{ {', '.join(f'{y} = {v}' for y, v in vals.items())} }}"


# Observed real income growth 2022 and 2023 and CPI inflation, as the backtest scenario drives
# them (read from it, so a regenerated file is followed).
with open(os.path.join(ROOT, "scenarios/backtest-2017.toml"), "rb") as f:
    _d = tomllib.load(f)["dynamics"]
_inc = _d["income"]


def _y(table):
    return {y: float(table[str(y)]) for y in (2022, 2023)}


g = _y(_inc["growth"])
pi = _y(_d["prices"]["inflation"])
REG = bool(_inc.get("by_region", False)) or "growth_urban" in _inc
runs = collections.OrderedDict()
runs["as driven"] = []
runs["standards"] = [sched("programs.dibao.standard.growth_urban", {2022: 0.0, 2023: 0.0}),
                     sched("programs.dibao.standard.growth_rural", {2022: 0.0, 2023: 0.0})]
gr = {"growth": g, "growth_urban": _y(_inc["growth_urban"]), "growth_rural": _y(_inc["growth_rural"])} if REG else {"growth": g}
keys = ["growth", "growth_urban", "growth_rural"] if REG else ["growth"]
runs["incomes (nominal)"] = [sched("dynamics.income." + k, {y: round(1/(1+pi[y])-1, 6) for y in g}) for k in keys]
runs["incomes (real)"] = [sched("dynamics.income." + k, {2022: 0.0, 2023: 0.0}) for k in keys]
runs["prices (nominal incomes kept)"] = [sched("dynamics.prices.inflation", {2022: 0.0, 2023: 0.0})] + [
    sched("dynamics.income." + k, {y: round((1+gr[k][y])*(1+pi[y])-1, 6) for y in g}) for k in keys]
runs["population weights"] = [sched("population.demography.urban_growth", {2022: 0.0, 2023: 0.0}),
                              sched("population.demography.rural_growth", {2022: 0.0, 2023: 0.0})]
runs["deaths"] = [sched("population.demography.mortality_factor", {2022: 0.0, 2023: 0.0})]
runs["single-person inclusion"] = ["programs.marginal.single_person_from_year=2030"]
runs["monitoring"] = ["programs.monitoring.from_year=2030"]
runs["all of the above"] = sum((runs[k] for k in ["standards", "incomes (nominal)", "population weights", "deaths", "single-person inclusion", "monitoring"]), [])
runs["all of the above"] = [s for s in runs["all of the above"] if "dynamics.income.growth" not in s] + [
    sched("dynamics.prices.inflation", {2022: 0.0, 2023: 0.0})] + [sched("dynamics.income." + k, {2022: 0.0, 2023: 0.0}) for k in keys]
if CANDIDATES:
    runs = collections.OrderedDict()
    runs["as driven"] = []
    q1 = {2022: 0.011922, 2023: 0.069251}
    runs["bottom quintile (national q1) for both regions 2022-23"] = [sched("dynamics.income.growth_urban", q1), sched("dynamics.income.growth_rural", q1)]
    runs["one income index (by_region off)"] = ["dynamics.income.by_region=false"]
    runs["verification 2021: hidden 0.2, match 0.02 -> 0.5 from 2021, bar for good"] = ["programs.dibao.admin.hidden_share_urban=0.2", "programs.dibao.admin.hidden_share_rural=0.2", "programs.dibao.admin.match_yearly_prob={ 2017 = 0.02, 2018 = 0.02, 2021 = 0.5 }"]
    runs["verification 2021, 12-month bar"] = runs["verification 2021: hidden 0.2, match 0.02 -> 0.5 from 2021, bar for good"] + ["programs.dibao.admin.match_bar_months=12"]
    runs["verification off (hidden 0.2, match 0.02 throughout)"] = ["programs.dibao.admin.hidden_share_urban=0.2", "programs.dibao.admin.hidden_share_rural=0.2", "programs.dibao.admin.match_yearly_prob={ 2017 = 0.02, 2018 = 0.02, 2021 = 0.02 }"]
    spells = ["programs.dibao.admin.hidden_share_urban=0.2", "programs.dibao.admin.hidden_share_rural=0.2", "programs.dibao.admin.hidden_spell_years=3", "programs.dibao.admin.unverified_share_urban=0.0", "programs.dibao.admin.unverified_share_rural=0.0"]
    runs["hidden-income spells (0.2, 3 years), matching 0.05 throughout"] = spells + ["programs.dibao.admin.match_yearly_prob=0.05"]
    runs["hidden-income spells (0.2, 3 years), matching 0.05 -> 0.6 from 2021"] = spells + ["programs.dibao.admin.match_yearly_prob={ 2017 = 0.05, 2021 = 0.6 }"]
    runs["no ageing"] = ["population.members.ageing=false"]
if SPLIT:
    F = {2022: 0.0, 2023: 0.0, 2024: 0.0}
    runs = collections.OrderedDict()
    runs["as driven"] = []
    runs["rural weights frozen"] = [sched("population.demography.rural_growth", F)]
    runs["urban weights frozen"] = [sched("population.demography.urban_growth", F)]
    runs["rural_migration off"] = ["population.demography.rural_migration=false"]
    runs["urban_arrivals off"] = ["population.demography.urban_arrivals=false"]
    runs["deaths off"] = [sched("population.demography.mortality_factor", F)]
    runs["urban standard frozen"] = [sched("programs.dibao.standard.growth_urban", F)]
    runs["rural standard frozen"] = [sched("programs.dibao.standard.growth_rural", F)]
    runs["urban real incomes frozen"] = [sched("dynamics.income.growth_urban", F)]
    runs["rural registered (hukou) basis"] = ['population.demography.rural_basis="registered"']


def resolved(out):
    """The resolved scenario of a finished run (manifest.json)."""
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)["scenarios"][0]["resolved"]


def table(res, key):
    """`key`'s year schedule in the resolved scenario, keyed by int year (a number: from 2000)."""
    t = res
    for k in key.split("."):
        t = t[k]
    return {int(y): v for y, v in t.items()} if isinstance(t, dict) else {2000: t}


def at(t, y):
    """A schedule's value at year y (the last key at or before it)."""
    return t[max(k for k in t if k <= y)]


FROM = (2024, 2025, 2026)


def frozen(res, key, f=lambda t, y: 0.0):
    """`key` with its values from 2024 on replaced by f(schedule, year) (0: frozen), earlier kept."""
    t = table(res, key)
    t.update({y: round(f(t, y), 6) for y in FROM})
    return sched(key, dict(sorted(t.items())))


def projection_runs(res):
    """The channels of the default projection, each frozen from 2024 or switched off."""
    pi = table(res, "dynamics.prices.inflation")
    inc = ["dynamics.income.growth", "dynamics.income.growth_urban", "dynamics.income.growth_rural"]
    std = ["programs.dibao.standard.growth_urban", "programs.dibao.standard.growth_rural"]
    dem = ["population.demography." + k for k in ("rural_growth", "urban_growth", "mortality_factor")]
    fr = lambda *keys: [frozen(res, k) for k in keys]
    nominal_frozen = [frozen(res, k, lambda t, y: 1 / (1 + at(pi, y)) - 1) for k in inc]
    nominal_kept = [frozen(res, k, lambda t, y: (1 + at(t, y)) * (1 + at(pi, y)) - 1) for k in inc]
    r = collections.OrderedDict()
    r["standards frozen"] = fr(*std)
    r["real incomes frozen"] = fr(*inc)
    r["standards and nominal incomes frozen"] = fr(*std) + nominal_frozen
    r["prices frozen (nominal incomes kept)"] = fr("dynamics.prices.inflation") + nominal_kept
    r["poor-area gap frozen"] = fr("dynamics.income.poor_area.growth_gap")
    r["rural weights frozen"] = fr(dem[0])
    r["urban weights frozen"] = fr(dem[1])
    r["rural_migration off"] = ["population.demography.rural_migration=false"]
    r["urban_arrivals off"] = ["population.demography.urban_arrivals=false"]
    r["deaths off"] = fr(dem[2])
    r["ageing off (and migration, arrivals)"] = ["population.members.ageing=false", "population.demography.rural_migration=false",
                                                 "population.demography.urban_arrivals=false"]
    r["monitoring from 2030"] = ["programs.monitoring.from_year=2030"]
    r["gradual exit 0 months"] = ["programs.dibao.review.gradual_exit_months=0"]
    r["single-person inclusion from 2030"] = ["programs.marginal.single_person_from_year=2030"]
    r["everything above frozen"] = (fr(*std, *inc, "dynamics.prices.inflation", "dynamics.income.poor_area.growth_gap", *dem)
                                    + r["ageing off (and migration, arrivals)"] + ["programs.monitoring.from_year=2030"])
    return r


def sep(rows, year, region="national", metric="recipients_persons", month=9):
    h1 = rows[(year, "H1", region, metric)]
    fy = rows[(year, "FY", region, metric)]
    h2 = [2 * f - h for f, h in zip(fy, h1)]
    f = (month - 3.5) / 6
    return [a + f * (b - a) for a, b in zip(h1, h2)]


def run(sets, out):
    cmd = [BIN, "backtest", "--projection", SCEN, "--households", HH, "--reps", REPS, "--quiet", "--out", out]
    if SPLIT:
        cmd += ["--years", "8"]
    if PROJ:
        cmd += ["--years", "3"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return replications.read(out)


def chg(rows, region="national", frm=(2021, 9), to=(2023, 9)):
    a = sep(rows, frm[0], region, month=frm[1])
    b = sep(rows, to[0], region, month=to[1])
    return [100 * (y / x - 1) for x, y in zip(a, b)]


ms = replications.ms


def span_table(tmp, spans, runs, against, width, more=None, extra=None, title=""):
    """Run `runs` (then, with `more`, the runs it returns from the first run's folder) and print
    each one's changes over `spans` (and `extra(rows)`) with the paired difference from the first."""
    print(f"sample {HH} households x {REPS} replications; change % (se) and minus {against} pp (se)")
    print(f"{'':{width}s}" + "".join(f" {r[:5]} {a[0] % 100:02d}-{a[1]:02d}>{b[0] % 100:02d}-{b[1]:02d}{'':13s}" for r, a, b in spans)
          + title)
    todo = list(runs.items())
    base, i = None, 0
    while todo:
        name, sets = todo.pop(0)
        r = run(sets, os.path.join(tmp, str(i)))
        if i == 0 and more:
            todo += list(more(os.path.join(tmp, "0")).items())
        c = [chg(r, reg, a, b) for reg, a, b in spans] + ([extra(r)] if extra else [])
        base = base or c
        line = f"{name[:width]:{width}s}"
        for x, y in zip(c, base):
            (m, s), (dm, ds) = ms(x), ms([p - q for p, q in zip(x, y)])
            line += f" {m:+6.2f} ({s:.2f}) {dm:+6.2f} ({ds:.2f})"
        print(line, flush=True)
        i += 1


def split_table(tmp):
    spans = [("urban", (2021, 9), (2023, 9)), ("rural", (2021, 9), (2023, 9)), ("urban", (2022, 6), (2024, 6)),
             ("rural", (2022, 6), (2024, 6)), ("national", (2023, 9), (2024, 6)), ("national", (2021, 9), (2023, 9))]
    span_table(tmp, spans, runs, "as driven", 26)


# The baseline's temporary-assistance season: October-December weigh Q4 times July-September
# within the second half-year (as `backtest::Season` matches it).
with open(os.path.join(ROOT, "scenarios/baseline.toml"), "rb") as f:
    Q4 = tomllib.load(f).get("programs", {}).get("temporary", {}).get("q4_multiple", 1.0)


def temp_pace(rows):
    """Temporary-assistance cases a month in H1 2024 over Jan-Sep 2023 (H2 split by the season), % change."""
    h1, fy, h24 = (rows[k] for k in [(2023, "H1", "national", "temporary_cases"), (2023, "FY", "national", "temporary_cases"),
                                     (2024, "H1", "national", "temporary_cases")])
    return [100 * ((c / 6) / ((a + (b - a) / (1 + Q4)) / 9) - 1) for a, b, c in zip(h1, fy, h24)]


def projection_table(tmp):
    spans = [("national", (2023, 9), (2024, 6)), ("national", (2023, 9), (2025, 9)), ("national", (2024, 6), (2025, 9)),
             ("urban", (2023, 9), (2024, 6)), ("rural", (2023, 9), (2024, 6)), ("urban", (2023, 9), (2025, 9)), ("rural", (2023, 9), (2025, 9))]
    span_table(tmp, spans, {"as shipped": []}, "as shipped", 36, more=lambda d: projection_runs(resolved(d)), extra=temp_pace,
               title=" temporary cases a month, H1 2024 over Jan-Sep 2023")


with tempfile.TemporaryDirectory() as tmp:
    if PROJ:
        projection_table(tmp)
        sys.exit(0)
    if SPLIT:
        split_table(tmp)
        sys.exit(0)
    print(f"sample {HH} households x {REPS} replications")
    print(f"{'':60s} {'change %':>16s} {'minus as driven (pp)':>22s}  urban %  rural %")
    base = None
    for i, (name, sets) in enumerate(runs.items()):
        r = run(sets, os.path.join(tmp, str(i)))
        c = chg(r)
        if base is None:
            base = c
        m, s = ms(c)
        dm, ds = ms([x - y for x, y in zip(c, base)])
        cu, cr = ms(chg(r, "urban"))[0], ms(chg(r, "rural"))[0]
        print(f"{name[:60]:60s} {m:+7.2f} (se {s:.2f}) {dm:+8.2f} (se {ds:.2f})      {cu:+6.2f}  {cr:+6.2f}", flush=True)
        if i == 0 and not CANDIDATES:
            print("year  entries(m hh)  exits(m hh)  persons FY  households FY  tekun FY")
            for y in range(2017, 2024):
                v = [ms(r[(y, "FY", "national", k)])[0] for k in ["assist_entries", "assist_exits", "recipients_persons", "recipients_households", "tekun_persons"]]
                print(f"{y}  {v[0]:12.2f}  {v[1]:11.2f}  {v[2]:10.2f}  {v[3]:13.2f}  {v[4]:8.2f}")
