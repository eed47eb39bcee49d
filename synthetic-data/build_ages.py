#!/usr/bin/env python3
"""Build ages-2013-2023.csv: persons by single year of age at the end of 2023, the 2010 census aged.

Usage: python3 build_ages.py
Standard library only; running it again gives the same file. SOURCES.md ("ages-2013-2023.csv") says
what is read and what is modelled.

- READ: mean population by single year of age in the 12 months before the 2010 census (table
  6-4, 2009-11-01 to 2010-10-31), sources/census-2010-deaths-by-age.csv (the file that
  build_mortality.py reads); its middle, 1 May 2010, is taken as the date of those ages.
- MODEL: each single-year cohort is aged to the end of year Y (13.67 years to the end of 2023)
  and thinned by the death rates of mortality-2020.csv (the model's own table, both sexes),
  the rate of each age it passes through; no migration (China's net international migration is
  a few hundred thousand a year against 1.4 billion). Persons born after the census (ages below
  Y - 2010 at the end of Y) are not in it: the file's lowest age for 2023, 13, holds only part
  of a year's births (the model reads single years from 14), and the model's children stay
  uniform within 0-15.
- CHECK (printed, not fitted): persons aged 60+ at the ends of 2021-2025 against the NBS
  (history.csv population_60plus), and the crude death rate the 2020 table gives on the model's
  2023 age structure (the strata table's national 60+ and under-16 shares, single years within
  16-59 and 60-90 from this file, uniform within 0-15): the denominator of the mortality
  factors in baseline.toml.
"""
import csv
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "sources", "census-2010-deaths-by-age.csv")
MORT = os.path.join(HERE, "mortality-2020.csv")
STRATA = os.path.join(HERE, "strata-2023.csv")
HISTORY = os.path.join(HERE, "history.csv")
OUT = os.path.join(HERE, "ages-2013-2023.csv")

CENSUS_DATE = 2010 + 4 / 12      # 1 May 2010: the middle of the table's 12 months
TOP = 100                        # the census's last single year (100 means 100+)
# The model's bands (scenarios/defaults.toml population.members): 0-15, 16-59, 60-max_age.
CHILD_MAX, WORK_MAX, MAX_AGE = 15, 59, 90
# Crude death rates, per mille (history.csv crude_death_rate; first releases to 2019).
SOURCE = ("2010 census table 6-4 mean population by single year of age (sources/"
          "census-2010-deaths-by-age.csv), aged to the end of each year with the death rates "
          "of mortality-2020.csv; build_ages.py")


def read_census():
    with open(SRC, encoding="utf-8") as f:
        return {int(r["age"]): float(r["avg_pop_total"]) for r in csv.DictReader(f)}


def mortality_rows():
    """(first age, last age, central rate per person-year, nqx) of the total rows of the
    model's 2020 table; the open group to age 130."""
    with open(MORT, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["sex"] == "total":
                hi = int(r["age_to"]) if r["age_to"] else 130
                yield (int(r["age_from"]), hi, float(r["m_2020_model_per_mille"]) / 1000.0,
                       float(r["q_2020_model"]))


def read_m():
    """Central death rate per year of age (total, 2020 model), from the 5-year groups."""
    return {a: m for lo, hi, m, _ in mortality_rows() for a in range(lo, hi + 1)}


def aged(census, m, end_year):
    """Persons by integer age at the end of `end_year` (fractional ageing split over two ages)."""
    t = end_year + 1 - CENSUS_DATE
    whole = int(t)
    frac = t - whole
    out = {}
    for a, n in census.items():
        # Survival over t years through the ages passed (the rate of age a + k for year k).
        h = sum(m[min(a + k, 130)] for k in range(whole)) + frac * m[min(a + whole, 130)]
        s = n * math.exp(-h)
        for age, w in ((a + whole, 1 - frac), (a + whole + 1, frac)):
            out[age] = out.get(age, 0.0) + s * w
    return out


def official(key):
    vals = {}
    with open(HISTORY, encoding="utf-8") as f:
        for r in csv.reader(f):
            if r and r[0] == key:
                vals[r[1]] = float(r[3])
    return vals


def main():
    census = read_census()
    m = read_m()
    nbs60 = official("population_60plus")
    for y in range(2021, 2026):
        p = aged(census, m, y)
        over60 = sum(v for a, v in p.items() if a >= 60) / 1e6
        ref = nbs60.get(f"{y}-12")
        err = f"{100 * (over60 / ref - 1):+.1f} %" if ref else "-"
        print(f"end {y}: persons 60+ from the census aged {over60:.1f} m, NBS {ref} m ({err})")

    # One column per year-end 2013-2023: the start-year ages of a run starting before 2023
    # (population.demography.start_ages = "census"); 2023 is the table's.
    years = list(range(2013, 2024))
    cols = {y: aged(census, m, y) for y in years}
    p23 = cols[2023]
    ages = sorted(set().union(*cols.values()))
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["age", "persons_2023_model"] + [f"persons_{y}_model" for y in years[:-1]]
                   + ["source"])
        for a in ages:
            vals = [cols[y].get(a, 0.0) for y in [2023] + years[:-1]]
            w.writerow([a] + [f"{v:.0f}" for v in vals] + [SOURCE])
    print(f"wrote {OUT} (ages {min(ages)}-{max(ages)}, year-ends {years[0]}-{years[-1]})")
    for y in years:
        n60 = sum(v for a, v in cols[y].items() if a >= 60)
        print(f"  end {y}: persons 60+ {n60 / 1e6:.1f} m")

    # The model's 2023 structure: the strata table's national 60+ and under-16 shares, single
    # years within 16-59 and 60-90 from this file, uniform within 0-15.
    with open(STRATA, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    pop = sum(float(r["population"]) for r in rows)
    s60 = sum(float(r["population"]) * float(r["share_age_60plus"]) for r in rows) / pop
    s16 = sum(float(r["population"]) * float(r["share_age_under16"]) for r in rows) / pop
    share = {}
    for lo, hi, mass in ((0, CHILD_MAX, s16), (CHILD_MAX + 1, WORK_MAX, 1 - s16 - s60),
                         (WORK_MAX + 1, MAX_AGE, s60)):
        tot = sum(p23.get(a, 0.0) for a in range(lo, hi + 1))
        for a in range(lo, hi + 1):
            share[a] = mass * (1 / (hi - lo + 1) if lo == 0 else p23.get(a, 0.0) / tot)
    q = yearly_q()
    # Deaths are drawn each January after members age one year (capped at max_age), so the
    # model's crude death rate at the table is that of the structure one year older.
    cdr = sum(v * q[min(a + 1, MAX_AGE)] for a, v in share.items())
    s2044 = sum(v for a, v in share.items() if 20 <= a <= 44)
    print(f"model's 2023 structure (60+ {s60:.4f}, under 16 {s16:.4f}): crude death rate at the "
          f"2020 table, one year older, {1000 * cdr:.3f} per mille; persons aged 20-44 {s2044:.4f}")

    # Each year's official rate over the model's: the first releases to 2019 (2013 takes 2015's,
    # the first year read), the census-revised series from 2020, as before.
    def schedule(key, denom, digits):
        rates = {int(y): r for y, r in official(key + "_first_release").items()}
        rates.update({int(y): r for y, r in official(key).items()})
        rates[2013] = rates[2015]
        return ", ".join(f"{y} = {rates[y] / 1000 / denom:.{digits}f}"
                         for y in sorted(rates) if y not in (2014, 2015))
    print(f"mortality_factor = {{ {schedule('crude_death_rate', cdr, 3)} }}")
    print(f"birth_rate = {{ {schedule('crude_birth_rate', s2044, 5)} }}")


def yearly_q():
    """The model's yearly death probability by age (demography::yearly_q): within a band of n
    years 1 - (1 - nqx)^(1/n), the open band from its rate."""
    q = {}
    for lo, hi, m, nq in mortality_rows():
        y = 1 - math.exp(-m) if nq >= 1 else 1 - (1 - nq) ** (1 / (hi - lo + 1))
        for a in range(lo, hi + 1):
            q[a] = y
    return q


if __name__ == "__main__":
    main()
