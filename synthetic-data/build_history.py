#!/usr/bin/env python3
"""Build history.csv: the official series by year, one figure a row, in one key vocabulary.

Usage: python3 build_history.py
Reads sources/history-2013-2023.csv, sources/china-social-assistance-facts.csv,
sources/confirmations-of-facts.csv (copies of the shared public statistics) and
history-added.csv (figures this project read itself, already in the output format), and
writes history.csv. Standard library only. Running it again gives the same file.

Normalisation (documented in SOURCES.md, section "history.csv"):
- persons and households in millions, money in billion yuan, standards in yuan per person
  per MONTH (annual rural standards / 12, said in the source), rates in percent;
- `date`: YYYY (a yearly figure), YYYY-MM (a stock at the end of that month),
  YYYY-MM/YYYY-MM (a flow summed over those months, inclusive);
- `confirmed`: yes or no; any qualifier of the original flag moves into the source;
- rows that agree (within the rounding of the coarser one) are merged, the confirmed and
  more precise one kept, the other confirmed sources named in its source; a recalled row
  that disagrees with a confirmed one is dropped (listed in SOURCES.md).
"""
import csv
import os
import re
import sys
from decimal import Decimal

from history_vocab import VOCAB

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "sources")
OUT = os.path.join(HERE, "history.csv")
ADDED = os.path.join(HERE, "history-added.csv")
HEADER = ["key", "date", "unit", "value", "source", "confirmed"]

# Old key -> (new key, transform). Transforms: "x" same value, "10k" (10k persons -> million),
# "annual_std" (yuan/year -> yuan/month), "cpi" (percent change -> index, previous year = 100).
KEYMAP = {
    "dibao_persons_urban": ("dibao_persons_urban", "x"),
    "dibao_persons_rural": ("dibao_persons_rural", "x"),
    "dibao_persons_total": ("dibao_persons_total", "x"),
    "dibao_households_urban": ("dibao_households_urban", "x"),
    "dibao_households_rural": ("dibao_households_rural", "x"),
    "dibao_std_urban_monthly": ("dibao_std_urban", "x"),
    "dibao_std_rural_monthly": ("dibao_std_rural", "x"),
    "dibao_std_rural_annual": ("dibao_std_rural", "annual_std"),
    "dibao_std_urban_growth_yoy": ("dibao_std_urban_growth_yoy", "x"),
    "dibao_std_rural_growth_yoy": ("dibao_std_rural_growth_yoy", "x"),
    "dibao_spend_urban": ("dibao_spend_urban", "x"),
    "dibao_spend_rural": ("dibao_spend_rural", "x"),
    "dibao_spend_cum_jan_may": ("dibao_spend_total", "x"),
    "dibao_spend_cum_jan_sep": ("dibao_spend_total", "x"),
    "dibao_spend_q1": ("dibao_spend_total", "x"),
    "dibao_spend_h1": ("dibao_spend_total", "x"),
    "dibao_elderly_recipients": ("dibao_persons_elderly", "x"),
    "tekun_persons_urban": ("tekun_persons_urban", "x"),
    "tekun_persons_rural": ("tekun_persons_rural", "x"),
    "tekun_persons_total": ("tekun_persons_total", "x"),
    "wubao_persons_rural": ("tekun_persons_rural", "x"),
    "wubao_persons_centralised": ("tekun_persons_institutional", "x"),
    "wubao_persons_dispersed": ("tekun_persons_home", "x"),
    "tekun_spend_urban": ("tekun_spend_urban", "x"),
    "tekun_spend_rural": ("tekun_spend_rural", "x"),
    "tekun_spend_total": ("tekun_spend_total", "x"),
    "tekun_spend_q1": ("tekun_spend_total", "x"),
    "tekun_spend_cum_jan_sep": ("tekun_spend_total", "x"),
    "wubao_spend_rural": ("tekun_spend_rural", "x"),
    "wubao_spend_centralised": ("tekun_spend_institutional", "x"),
    "wubao_spend_dispersed": ("tekun_spend_home", "x"),
    "temp_assist_person_times": ("temp_assist_cases", "x"),
    "temp_assist_persons": ("temp_assist_cases", "x"),
    "temp_assist_person_times_jan_sep": ("temp_assist_cases", "x"),
    "temp_assist_spend": ("temp_assist_spend", "x"),
    "temp_assist_spend_jan_sep": ("temp_assist_spend", "x"),
    "temp_assist_avg_per_case": ("temp_assist_avg_per_case", "x"),
    "temp_assist_covid_person_times_q1": ("temp_assist_covid_cases", "x"),
    "temp_assist_covid_spend_q1": ("temp_assist_covid_spend", "x"),
    "assist_spend_dibao_tekun_temp_h1": ("assist_spend_dibao_tekun_temp", "x"),
    "central_subsidy_needy_assistance_funds": ("central_subsidy_needy_assistance_funds", "x"),
    "low_income_database_persons": ("low_income_database_persons", "x"),
    "low_income_share_of_population": ("low_income_database_share", "x"),
    "low_income_db_dibao_persons": ("low_income_db_dibao_persons", "x"),
    "low_income_db_tekun_persons": ("low_income_db_tekun_persons", "x"),
    "low_income_db_marginal_family_members": ("marginal_persons", "x"),
    "registered_poor_in_dibao": ("registered_poor_in_dibao", "x"),
    "registered_poor_in_tekun": ("registered_poor_in_tekun", "x"),
    "disp_income_pc_national": ("income_pc_national", "x"),
    "disp_income_pc_urban": ("income_pc_urban", "x"),
    "disp_income_pc_rural": ("income_pc_rural", "x"),
    "disp_income_pc_median_national": ("income_pc_median_national", "x"),
    "disp_income_pc_median_urban": ("income_pc_median_urban", "x"),
    "disp_income_pc_median_rural": ("income_pc_median_rural", "x"),
    "disp_income_pc_urban_old_survey": ("income_pc_urban_old_survey", "x"),
    "net_income_pc_rural_old_survey": ("net_income_pc_rural_old_survey", "x"),
    "consumption_pc_national": ("consumption_pc_national", "x"),
    "consumption_pc_urban": ("consumption_pc_urban", "x"),
    "consumption_pc_rural": ("consumption_pc_rural", "x"),
    "cpi_inflation": ("cpi_index", "cpi"),
    "population_total": ("population_total", "10k"),
    "population_urban": ("population_urban", "10k"),
    "population_rural": ("population_rural", "10k"),
    "population_total_first_release": ("population_total_first_release", "10k"),
    "population_urban_first_release": ("population_urban_first_release", "10k"),
    "population_rural_first_release": ("population_rural_first_release", "10k"),
    "urbanization_rate": ("urbanization_rate", "x"),
    "urbanization_rate_first_release": ("urbanization_rate_first_release", "x"),
    "population_60plus": ("population_60plus", "10k"),
    "population_65plus": ("population_65plus", "10k"),
    "share_60plus": ("population_60plus_share", "x"),
    "share_65plus": ("population_65plus_share", "x"),
    "population_census": ("population_census", "10k"),
    "family_households_census": ("households_family_census", "10k"),
    "avg_family_household_size_census": ("household_size_family_census", "x"),
}
for _r in ("national", "urban", "rural"):
    for _q in ("q1_low", "q2_lower_mid", "q3_mid", "q4_upper_mid", "q5_high"):
        KEYMAP[f"disp_income_pc_{_r}_{_q}"] = (f"income_pc_{_r}_{_q}", "x")

# Source-file rows whose figure is a text with a qualifier: the number and the qualifier apart.
TEXT_VALUES = {
    ">44": ("44", "[page: more than 44 million; a lower bound]"),
    "~40": ("40", "[page: about 40 million]"),
    ">4.6": ("4.6", "[page: more than 4.6 million; a lower bound]"),
    ">6": ("6", "[page: more than 6 million; a lower bound]"),
}
IN_YEAR_2020 = "urdupoint.com/en/miscellaneous/china-sees-subsistence-allowances-rise-in-202"
WUBAO_NOTE = "[wubao (五保) support, the predecessor of rural tekun; MCA treats the series as continuous] "
CENSUS_NOTE = "[census reference moment 1 November 00:00, i.e. the end of October] "


def quarter_range(year, q):
    first = 3 * (q - 1) + 1
    return f"{year}-{first:02d}/{year}-{first + 2:02d}"


def norm_date(old_key, year, kind):
    """Date in the output convention for a row of the shared files, and a note, or raise."""
    note = ""
    m = re.fullmatch(r"(\d{4}(?:-\d{2})?) \(inferred\)", year)
    if m:
        year = m.group(1)
        note = "[year inferred in the source from the standards quoted (734/554)] "
    if re.fullmatch(r"\d{4}-Q[1-4]", year):
        return quarter_range(int(year[:4]), int(year[-1])), note + "[quarterly average] "
    if re.fullmatch(r"\d{4}-\d{2}", year):
        if kind == "flow":
            raise ValueError(f"flow {old_key} dated by a month {year}")
        return year, note
    if not re.fullmatch(r"\d{4}", year):
        raise ValueError(f"{old_key}: date {year!r} not understood")
    y = int(year)
    if old_key.endswith(("_cum_jan_may",)):
        return f"{y}-01/{y}-05", note
    if old_key.endswith(("_cum_jan_sep", "_jan_sep")):
        return f"{y}-01/{y}-09", note
    if old_key.endswith("_q1"):
        return f"{y}-01/{y}-03", note
    if old_key.endswith("_h1"):
        return f"{y}-01/{y}-06", note
    if old_key.endswith("_census"):
        return f"{y}-10", note + CENSUS_NOTE
    if kind == "stock":
        return f"{y}-12", note
    if kind == "flow":
        return f"{y}-01/{y}-12", note
    return year, note


def fmt(d):
    """Plain decimal text without exponent or trailing zeros."""
    s = format(d.normalize(), "f")
    return s


def convert(r, origin):
    """One shared row -> (normalised row, None) or (None, reason it was left out)."""
    old = r["key"]
    if IN_YEAR_2020 in r["source"]:
        return None, "in-year release of 2020-12-28 giving no month; the year-end 2020 figures are kept"
    if old not in KEYMAP:
        return None, "key outside the history vocabulary"
    new, tf = KEYMAP[old]
    unit, kind = VOCAB[new]
    value, qual = r["value"].strip(), ""
    if value in TEXT_VALUES:
        value, qual = TEXT_VALUES[value]
    try:
        v = Decimal(value)
    except Exception:
        return None, f"value {value!r} is not a number"
    src = r["source"].strip()
    pre = ""
    if tf == "10k":
        v = v / 100
    elif tf == "annual_std":
        pre = f"[converted: {r['value']} yuan/person/year / 12] "
        v = (v / 12).quantize(Decimal("0.01"))
    elif tf == "cpi":
        pre = f"[converted: +{r['value']} % on the previous year -> index {100 + v}] "
        v = 100 + v
    if old.startswith("wubao_"):
        pre = WUBAO_NOTE + pre
    if old == "temp_assist_persons":
        pre += "[page: 13.8 million, unit given as persons; MCA counts person-times] "
    if old.startswith("dibao_spend_cum") or old in ("dibao_spend_q1", "dibao_spend_h1"):
        pre += "[urban + rural] "
    date, dnote = norm_date(old, r["year"].strip(), kind)
    conf = r["confirmed"].strip()
    flag = "yes" if conf.lower().startswith("yes") else "no"
    extra = conf[len(flag):].strip()
    if extra and "from memory" not in extra:
        pre += f"[confirmed: {flag} {extra}] "
    source = (dnote + pre + qual + " " + src).strip().replace("  ", " ")
    return {"key": new, "date": date, "unit": unit, "value": fmt(v), "source": source,
            "confirmed": flag, "_origin": origin}, None


def decimals(s):
    return len(s.split(".")[1]) if "." in s else 0


def agree(a, b):
    """Same figure within half a unit of the last digit of the coarser one."""
    tol = Decimal(5) * Decimal(10) ** (-(min(decimals(a), decimals(b)) + 1))
    return abs(Decimal(a) - Decimal(b)) <= tol


def url(source):
    m = re.search(r"https?://\S+", source)
    return m.group(0) if m else source


def merge(rows):
    """One row per (key, date) where rows agree; log of what was merged or dropped."""
    groups, log = {}, []
    for r in rows:
        groups.setdefault((r["key"], r["date"]), []).append(r)
    out = []
    for (key, date), g in groups.items():
        # Best first: confirmed, then more decimals, then added rows (read by this project).
        g.sort(key=lambda r: (r["confirmed"] != "yes", -decimals(r["value"]), r["_origin"] != "added"))
        kept = [g[0]]
        for r in g[1:]:
            same = [k for k in kept if agree(r["value"], k["value"])]
            if same:
                best = same[0]
                if r["confirmed"] == "yes" and url(r["source"]) not in best["source"]:
                    best["source"] += f" [also: {url(r['source'])} gives {r['value']}]"
                log.append(f"merged {key} {date}: {r['value']} ({r['confirmed']}, {r['_origin']}) into {best['value']}")
            elif r["confirmed"] == "no" and any(k["confirmed"] == "yes" for k in kept):
                log.append(f"dropped recalled {key} {date} = {r['value']}: read figure {kept[0]['value']} differs")
            else:
                kept.append(r)
                log.append(f"CONFLICT kept both {key} {date}: {kept[0]['value']} and {r['value']}")
        out.extend(kept)
    return out, log


def read(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def churn(r, origin):
    """The 2019 entry and exit rows hold persons and households in one text: two rows."""
    m = re.fullmatch(r"([\d.]+) million \(([\d,]+) hh\)", r["value"].strip())
    what = "entries" if "entries" in r["key"] else "exits"
    out = []
    for key, v in ((f"dibao_{what}_persons", Decimal(m.group(1))),
                   (f"dibao_{what}_households", Decimal(m.group(2).replace(",", "")) / 1000000)):
        out.append({"key": key, "date": "2019-06/2019-09", "unit": VOCAB[key][0], "value": fmt(v),
                    "source": f"[page: {r['value']}, 'June to September'; the months are taken as inclusive] "
                              + r["source"], "confirmed": "yes", "_origin": origin})
    return out


def main():
    rows, left_out = [], []
    for name in ("history-2013-2023.csv", "china-social-assistance-facts.csv", "confirmations-of-facts.csv"):
        for r in read(os.path.join(SRC, name)):
            if r["key"] in ("dibao_entries_added_jun_sep", "dibao_exits_removed_jun_sep"):
                rows.extend(churn(r, name))
                continue
            n, why = convert(r, name)
            if n:
                rows.append(n)
            else:
                left_out.append(f"{name}: {r['key']} {r['year']} ({why})")
    if os.path.exists(ADDED):
        for r in read(ADDED):
            r = dict(r)
            r["_origin"] = "added"
            rows.append(r)
    rows, log = merge(rows)
    rows.sort(key=lambda r: (r["key"], r["date"], r["value"]))
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, HEADER, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    verbose = "-v" in sys.argv
    for line in log:
        if verbose or not line.startswith("merged"):
            print(line)
    if verbose:
        for line in left_out:
            print("left out:", line)
    print(f"wrote {OUT}: {len(rows)} rows ({sum(1 for _ in log if _.startswith('merged'))} merged, "
          f"{len(left_out)} shared rows outside the vocabulary)")


if __name__ == "__main__":
    main()
