"""The key vocabulary of history.csv: key -> (unit, kind). Documented in SOURCES.md.

kind: "stock" is dated YYYY-MM (end of that month); "flow" YYYY-MM/YYYY-MM (summed over
those months, inclusive); "annual" YYYY (a figure for the calendar year); "level" (a
standard or a rate in force) any of the three: YYYY for the figure published for the year,
YYYY-MM for the level at the end of that month, a range for the average over those months.
"""

M_PERSONS = "million persons"
M_HH = "million households"
BN = "billion yuan"
STD = "yuan/person/month"
INC = "yuan/person/year"
PCT = "percent"

VOCAB = {
    # Dibao (minimum living guarantee)
    "dibao_persons_urban": (M_PERSONS, "stock"),
    "dibao_persons_rural": (M_PERSONS, "stock"),
    "dibao_persons_total": (M_PERSONS, "stock"),
    "dibao_persons_elderly": (M_PERSONS, "stock"),
    "dibao_households_urban": (M_HH, "stock"),
    "dibao_households_rural": (M_HH, "stock"),
    "dibao_households_total": (M_HH, "stock"),
    "dibao_std_urban": (STD, "level"),
    "dibao_std_rural": (STD, "level"),
    "dibao_std_urban_growth_yoy": (PCT, "level"),
    "dibao_std_rural_growth_yoy": (PCT, "level"),
    "dibao_spend_urban": (BN, "flow"),
    "dibao_spend_rural": (BN, "flow"),
    "dibao_spend_total": (BN, "flow"),
    "dibao_entries_persons": (M_PERSONS, "flow"),
    "dibao_entries_households": (M_HH, "flow"),
    "dibao_exits_persons": (M_PERSONS, "flow"),
    "dibao_exits_households": (M_HH, "flow"),
    # Tekun (extreme poverty support; rural wubao before 2014/15)
    "tekun_persons_urban": (M_PERSONS, "stock"),
    "tekun_persons_rural": (M_PERSONS, "stock"),
    "tekun_persons_total": (M_PERSONS, "stock"),
    "tekun_persons_institutional": (M_PERSONS, "stock"),
    "tekun_persons_home": (M_PERSONS, "stock"),
    "tekun_spend_urban": (BN, "flow"),
    "tekun_spend_rural": (BN, "flow"),
    "tekun_spend_total": (BN, "flow"),
    "tekun_spend_institutional": (BN, "flow"),
    "tekun_spend_home": (BN, "flow"),
    # Temporary assistance
    "temp_assist_cases": ("million person-times", "flow"),
    "temp_assist_spend": (BN, "flow"),
    "temp_assist_avg_per_case": ("yuan/person-time", "flow"),
    "temp_assist_covid_cases": ("million person-times", "flow"),
    "temp_assist_covid_spend": (BN, "flow"),
    # One-off payments of 2022 to recipients (dibao and tekun: a one-off living subsidy;
    # the price-linkage subsidy to needy groups)
    "one_off_subsidy_persons": (M_PERSONS, "flow"),
    "one_off_subsidy_spend": (BN, "flow"),
    "price_linkage_subsidy_persons": (M_PERSONS, "flow"),
    "price_linkage_subsidy_spend": (BN, "flow"),
    # Totals, funds, monitoring
    "assist_spend_dibao_tekun_temp": (BN, "flow"),
    "central_subsidy_needy_assistance_funds": (BN, "annual"),
    "low_income_database_persons": (M_PERSONS, "stock"),
    "low_income_database_share": (PCT, "stock"),
    "low_income_db_dibao_persons": (M_PERSONS, "stock"),
    "low_income_db_tekun_persons": (M_PERSONS, "stock"),
    "marginal_persons": (M_PERSONS, "stock"),
    "registered_poor_in_dibao": (M_PERSONS, "stock"),
    "registered_poor_in_tekun": (M_PERSONS, "stock"),
    # Incomes, consumption, prices (NBS household survey; yuan per person per year)
    "income_pc_national": (INC, "annual"),
    "income_pc_urban": (INC, "annual"),
    "income_pc_rural": (INC, "annual"),
    # Rural residents of the poor areas (贫困地区 to 2020, 脱贫县 from 2021: the 832 counties),
    # NBS rural poverty monitoring; growth nominal, from the year before
    "income_pc_poor_area_rural": (INC, "annual"),
    "income_pc_poor_area_rural_growth": (PCT, "annual"),
    "income_pc_median_national": (INC, "annual"),
    "income_pc_median_urban": (INC, "annual"),
    "income_pc_median_rural": (INC, "annual"),
    "income_pc_urban_old_survey": (INC, "annual"),
    "net_income_pc_rural_old_survey": (INC, "annual"),
    "consumption_pc_national": (INC, "annual"),
    "consumption_pc_urban": (INC, "annual"),
    "consumption_pc_rural": (INC, "annual"),
    "cpi_index": ("previous year = 100", "annual"),
    # Population (NBS resident population, year-end unless said)
    "population_total": (M_PERSONS, "stock"),
    "population_urban": (M_PERSONS, "stock"),
    "population_rural": (M_PERSONS, "stock"),
    "population_total_first_release": (M_PERSONS, "stock"),
    "population_urban_first_release": (M_PERSONS, "stock"),
    "population_rural_first_release": (M_PERSONS, "stock"),
    "urbanization_rate": (PCT, "stock"),
    "urbanization_rate_first_release": (PCT, "stock"),
    "urbanization_rate_hukou": (PCT, "stock"),
    "population_60plus": (M_PERSONS, "stock"),
    "population_65plus": (M_PERSONS, "stock"),
    "population_60plus_share": (PCT, "stock"),
    "population_65plus_share": (PCT, "stock"),
    "population_census": (M_PERSONS, "stock"),
    "households_family_census": (M_HH, "stock"),
    "household_size_family_census": ("persons/household", "stock"),
    "births": (M_PERSONS, "flow"),
    "deaths": (M_PERSONS, "flow"),
    "crude_birth_rate": ("per mille", "annual"),
    "crude_death_rate": ("per mille", "annual"),
    "natural_growth_rate": ("per mille", "annual"),
    "births_first_release": (M_PERSONS, "flow"),
    "deaths_first_release": (M_PERSONS, "flow"),
    "crude_birth_rate_first_release": ("per mille", "annual"),
    "crude_death_rate_first_release": ("per mille", "annual"),
    "natural_growth_rate_first_release": ("per mille", "annual"),
    "life_expectancy": ("years", "annual"),
}
for _r in ("national", "urban", "rural"):
    for _q in ("q1_low", "q2_lower_mid", "q3_mid", "q4_upper_mid", "q5_high"):
        VOCAB[f"income_pc_{_r}_{_q}"] = (INC, "annual")
