"""Helpers shared by the analysis scripts (decompose-change.py, elasticity.py): read a finished
run's replications.csv and summarise paired differences."""
import collections, csv, math, os


def read(out):
    """replications.csv of the results folder `out`: {(year, period, region, metric): [value per
    replication]}."""
    rows = collections.defaultdict(list)
    with open(os.path.join(out, "replications.csv")) as f:
        for r in csv.DictReader(f):
            rows[(int(r["year"]), r["period"], r["region"], r["metric"])].append(float(r["value"]))
    return rows


def ms(v):
    """Mean of `v` and the standard error of that mean."""
    n = len(v)
    m = sum(v) / n
    return m, math.sqrt(sum((x - m) ** 2 for x in v) / (n - 1) / n)
