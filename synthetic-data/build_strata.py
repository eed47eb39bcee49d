#!/usr/bin/env python3
"""Build strata-2023.csv (31 provinces x urban/rural) from the public statistics in sources/.

Usage: python3 build_strata.py [DATA_DIR]
DATA_DIR defaults to sources/ beside this file (the repository's own copies). Standard library only.
See SOURCES.md for what every column means and where it comes from.
"""
import csv
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "sources"))
OUT = os.path.join(HERE, "strata-2023.csv")
REGIONS = ("urban", "rural")

# --- Assumptions (not in the shared data; see SOURCES.md) ---------------------------------
HH_SIZE_URBAN = 2.50          # persons per household, urban; rural is solved so the national mean is 2.62
POP_2010_FALLBACK = 1340e6    # population at the time of the 2010 disability estimate (not in the data)
URBAN_SHARE_AT_DISABILITY_SURVEY = 0.50  # urban population share c. 2006-2010 (2010 census ~49.7 %, recalled)
FLOATING_RURAL_SHARE = 0.10   # share of the floating population living in rural areas
SHARE_UNDER16 = 0.1759        # 0-15 share 2023: 1 - 61.3 % (16-59) - 21.1 % (60+), NBS 2023 communique, recalled

HEADER = ["province", "province_zh", "region", "population", "households", "household_size_mean",
          "income_mean", "income_log_sd", "consumption_mean", "dibao_standard", "dibao_standard_basis",
          "share_age_60plus", "share_age_under16", "severe_disability_prevalence", "migrant_share"]


def load_facts():
    facts = {}
    with open(os.path.join(DATA, "china-social-assistance-facts.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            facts.setdefault((r["key"], r["year"]), r)
    return facts


def fact(facts, key, year):
    return float(facts[(key, year)]["value"])


def norm_cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def bisect(f, lo, hi, n=200):
    """Root of f on [lo, hi], f(lo) and f(hi) of opposite sign."""
    flo = f(lo)
    for _ in range(n):
        mid = 0.5 * (lo + hi)
        if (f(mid) > 0) == (flo > 0):
            lo, flo = mid, f(mid)
        else:
            hi = mid
    return 0.5 * (lo + hi)


def fit_log_sd(facts, region):
    """Log-normal sigma from (bottom-quintile mean)/(mean) = Phi(z_0.2 - sigma)/0.2, latest common year."""
    years = {y for (k, y) in facts if k == f"disp_income_pc_{region}_q1_low"}
    years &= {y for (k, y) in facts if k == f"disp_income_pc_{region}"}
    year = max(y for y in years if y.isdigit())
    ratio = fact(facts, f"disp_income_pc_{region}_q1_low", year) / fact(facts, f"disp_income_pc_{region}", year)
    z20 = bisect(lambda z: norm_cdf(z) - 0.2, -5.0, 5.0)
    sigma = bisect(lambda s: norm_cdf(z20 - s) / 0.2 - ratio, 0.0, 5.0)
    return sigma, year, ratio


def main():
    facts = load_facts()
    with open(os.path.join(DATA, "province-strata-2023.csv"), encoding="utf-8") as f:
        provinces = list(csv.DictReader(f))

    # Population by stratum; rural = total - urban so provincial totals are kept exactly.
    strata = []
    for p in provinces:
        total = int(p["population_10k"]) * 10000
        urban = round(total * float(p["urbanisation_pct"]) / 100.0)
        for region, pop in (("urban", urban), ("rural", total - urban)):
            std = p[f"dibao_std_{region}_month"].strip()
            strata.append({"p": p, "region": region, "population": pop,
                           "income": float(p[f"income_{region}_yuan"]),
                           "cons": float(p[f"consumption_{region}_yuan"]),
                           "read_std": float(std) if std else None})
    pop_r = {r: sum(s["population"] for s in strata if s["region"] == r) for r in REGIONS}
    pop_all = sum(pop_r.values())
    w_u = pop_r["urban"] / pop_all

    # Household size: total persons / total households = 2.62 (2020 census), urban assumed.
    hh_national = fact(facts, "avg_family_household_size_census", "2020")
    hh_rural = (1 - w_u) / (1 / hh_national - w_u / HH_SIZE_URBAN)
    hh_size = {"urban": HH_SIZE_URBAN, "rural": hh_rural}

    # Income dispersion.
    sigma = {}
    for r in REGIONS:
        sigma[r], year, ratio = fit_log_sd(facts, r)
        print(f"income_log_sd {r}: sigma = {sigma[r]:.4f} (year {year}, Q1/mean = {ratio:.4f})")

    # Dibao standards: share c_r of monthly consumption, fitted so the population-weighted mean hits the target.
    targets = {r: round(fact(facts, f"dibao_std_{r}_monthly", "2022-06 (inferred)")
                        * (1 + fact(facts, f"dibao_std_{r}_growth_yoy", "2023-06") / 100)) for r in REGIONS}
    share_c = {}
    for r in REGIONS:
        rs = [s for s in strata if s["region"] == r]
        read = sum(s["population"] * s["read_std"] for s in rs if s["read_std"] is not None)
        fit = sum(s["population"] * s["cons"] / 12 for s in rs if s["read_std"] is None)
        share_c[r] = (targets[r] * pop_r[r] - read) / fit
    for s in strata:
        if s["read_std"] is not None:
            s["std"], s["basis"] = s["read_std"], "read"
        else:
            s["std"], s["basis"] = round(share_c[s["region"]] * s["cons"] / 12, 1), "fitted"
    for r in REGIONS:
        avg = sum(s["population"] * s["std"] for s in strata if s["region"] == r) / pop_r[r]
        print(f"dibao c_{r} = {share_c[r]:.4f}; weighted mean standard = {avg:.2f} (target {targets[r]})")

    # Severe disability (grades 1-2): national prevalence, split with relative risk rural/urban
    # implied by 75 % of disabled persons being rural when the urban population share was ~0.50.
    key = ("population_total", "2010")
    pop2010 = fact(facts, *key) * 1e4 if key in facts else POP_2010_FALLBACK
    prev = fact(facts, "disabled_persons_severe_grade1_2", "2010") * 1e6 / pop2010
    rural_sh = fact(facts, "disabled_persons_rural_share", "2006") / 100
    u0 = URBAN_SHARE_AT_DISABILITY_SURVEY
    rel_risk = (rural_sh / (1 - u0)) / ((1 - rural_sh) / u0)
    prev_u = prev / (w_u + (1 - w_u) * rel_risk)
    disab = {"urban": prev_u, "rural": prev_u * rel_risk}

    # Floating population (2020 census), mostly urban.
    floating = fact(facts, "floating_population_census", "2020")
    migrant = {"urban": floating * (1 - FLOATING_RURAL_SHARE) / pop_r["urban"],
               "rural": floating * FLOATING_RURAL_SHARE / pop_r["rural"]}

    share60 = fact(facts, "share_60plus", "2023") / 100

    print(f"household size: urban {hh_size['urban']:.3f}, rural {hh_size['rural']:.3f}")
    print(f"severe disability: national {prev:.4f}, urban {disab['urban']:.4f}, rural {disab['rural']:.4f}")
    print(f"migrant share: urban {migrant['urban']:.4f}, rural {migrant['rural']:.4f}")

    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for s in strata:
            r = s["region"]
            w.writerow([s["p"]["province_en"], s["p"]["province_zh"], r, s["population"],
                        round(s["population"] / hh_size[r]), f"{hh_size[r]:.3f}",
                        f"{s['income']:.0f}", f"{sigma[r]:.4f}", f"{s['cons']:.0f}",
                        f"{s['std']:.1f}", s["basis"], f"{share60:.4f}", f"{SHARE_UNDER16:.4f}",
                        f"{disab[r]:.4f}", f"{migrant[r]:.4f}"])
    households = sum(round(s["population"] / hh_size[s["region"]]) for s in strata)
    print(f"wrote {OUT}: {len(strata)} rows, population {pop_all / 1e6:.2f} m "
          f"(urban {pop_r['urban'] / 1e6:.2f} m), households {households / 1e6:.2f} m")


if __name__ == "__main__":
    main()
