#!/usr/bin/env python3
"""Build mortality-2020.csv: death rates by age group for 2020, a stated model on a read age pattern.

Usage: python3 build_mortality.py
Standard library only; running it again gives the same file. SOURCES.md ("mortality-2020.csv")
says what is read and what is modelled.

- READ: deaths and mean population by single year of age and sex in the 12 months before the
  2010 census (table 6-4, 2009-11-01 to 2010-10-31), sources/census-2010-deaths-by-age.csv.
  No such table for the 2020 census was found among the public pages available.
- DERIVED: 5-year groups (0, 1-4, 5-9, ..., 95-99, 100+): deaths / mean population.
- MODEL: the 2020 schedule is the 2010 census age pattern times one factor k, the same at every
  age and for both sexes, with k solved so that the abridged life table gives the read 2020 life
  expectancy at birth (77.93 years, history.csv `life_expectancy` 2020). k absorbs both the fall
  in mortality from 2010 to 2020 and the census's under-count of deaths.
- CHECK (printed, not fitted): the crude death rate this schedule gives on the 2010 census age
  structure re-weighted to the 2020 census broad age shares, against the read 2020 crude death
  rate (7.07 per mille).
"""
import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "sources", "census-2010-deaths-by-age.csv")
OUT = os.path.join(HERE, "mortality-2020.csv")

E0_2020 = 77.93          # years; history.csv life_expectancy 2020 (read)
CDR_2020 = 7.07          # per mille; history.csv crude_death_rate 2020 (read)
# 2020 census bulletin no. 5 (http://m.dlhunqing.com/data/142/2021-05-14/6798807054812517346.html,
# mirror of the NBS text): 0-14 17.95 %, 15-59 63.35 %, 60+ 18.70 %, 65+ 13.50 %.
SHARES_2020 = {(0, 15): 0.1795, (15, 60): 0.6335, (60, 65): 0.1870 - 0.1350, (65, 999): 0.1350}
SEXES = ("total", "male", "female")
SOURCE = ("2010 census table 6-4 (deaths 2009-11-01 to 2010-10-31) as republished in GitHub "
          "Yiguan/CN_pop_simu@f3d346be age_death_per_year.csv; 2020 level: x k so that e0 = 77.93")


def groups():
    edges = [0, 1] + list(range(5, 101, 5))
    return [(a, b) for a, b in zip(edges, edges[1:])] + [(100, None)]


def read_census():
    with open(SRC, encoding="utf-8") as f:
        return [{k: int(v) if k.startswith(("age", "avg", "deaths")) else float(v) for k, v in r.items()}
                for r in csv.DictReader(f)]


def grouped(rows, sex):
    out = []
    for a, b in groups():
        sel = [r for r in rows if r["age"] >= a and (b is None or r["age"] < b)]
        d = sum(r[f"deaths_{sex}"] for r in sel)
        p = sum(r[f"avg_pop_{sex}"] for r in sel)
        out.append((a, b, d, p, d / p))
    return out


def a_values(m0, sex):
    """Mean years lived in the interval by those dying: Preston, Heuveline & Guillot (2001),
    table 3.3 (Coale-Demeny, m0 < 0.107) for ages 0 and 1-4; half the interval elsewhere."""
    male = (0.045 + 2.684 * m0, 1.651 - 2.816 * m0)
    female = (0.053 + 2.800 * m0, 1.522 - 1.518 * m0)
    if sex == "male":
        return male
    if sex == "female":
        return female
    return tuple((x + y) / 2 for x, y in zip(male, female))


def life_table(ms, sex):
    """ms: [(a, b, m)] rates per person-year. Returns [(a, b, q, l, e)] with l0 = 100000."""
    a0, a1 = a_values(ms[0][2], sex)
    l, rows, big_l = 100000.0, [], []
    for a, b, m in ms:
        if b is None:
            q, ll = 1.0, l / m
        else:
            n = b - a
            ax = a0 if a == 0 else a1 if a == 1 else n / 2
            q = min(1.0, n * m / (1 + (n - ax) * m))
            ll = n * (l - l * q) + ax * l * q
        rows.append([a, b, q, l])
        big_l.append(ll)
        l -= l * q
    t = 0.0
    for i in range(len(rows) - 1, -1, -1):
        t += big_l[i]
        rows[i].append(t / rows[i][3] if rows[i][3] > 0 else 0.0)
    return rows


def e0_for(k, g, sex):
    return life_table([(a, b, k * m) for a, b, _, _, m in g], sex)[0][4]


def solve_k(g, sex, target):
    lo, hi = 0.2, 5.0          # e0 falls as k rises
    for _ in range(200):
        mid = (lo + hi) / 2
        if e0_for(mid, g, sex) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def main():
    rows = read_census()
    g = {s: grouped(rows, s) for s in SEXES}
    e0_census = e0_for(1.0, g["total"], "total")
    k = solve_k(g["total"], "total", E0_2020)
    print(f"2010 census rates as reported: e0 = {e0_census:.2f} years, crude rate "
          f"{1000 * sum(r['deaths_total'] for r in rows) / sum(r['avg_pop_total'] for r in rows):.2f} per mille")
    print(f"k = {k:.4f}: the 2020 schedule is {k:.4f} x the 2010 census rates (e0 = {E0_2020})")

    # Check: crude death rate on the 2010 structure re-weighted to the 2020 broad age shares.
    cdr = 0.0
    for (lo, hi), share in SHARES_2020.items():
        band = [r for r in rows if lo <= r["age"] < hi]
        pop = sum(r["avg_pop_total"] for r in band)
        deaths = sum(r["deaths_total"] for r in band)
        cdr += share * k * deaths / pop
    print(f"check: crude death rate implied for 2020 = {1000 * cdr:.2f} per mille (read: {CDR_2020})")

    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["age_from", "age_to", "sex", "deaths_2010_census", "mean_pop_2010_census",
                    "m_2010_census_per_mille", "m_2020_model_per_mille", "q_2020_model", "l_2020_model",
                    "e_2020_model_years", "source"])
        for s in SEXES:
            lt = life_table([(a, b, k * m) for a, b, _, _, m in g[s]], s)
            for (a, b, d, p, m), (_, _, q, l, e) in zip(g[s], lt):
                w.writerow([a, "" if b is None else b - 1, s, d, p, f"{1000 * m:.3f}", f"{1000 * k * m:.3f}",
                            f"{q:.6f}", f"{l:.0f}", f"{e:.2f}", SOURCE])
            print(f"{s}: e0 = {lt[0][4]:.2f} years")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
