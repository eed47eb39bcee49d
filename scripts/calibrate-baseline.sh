#!/usr/bin/env bash
# Re-run the two shipped calibrations: scenarios/baseline.toml on the 2023 figures and
# scenarios/baseline-2022.toml on the 2022 figures (the out-of-sample check), from the same
# start and with the same free keys and bounds. Each writes a calibrated scenario and a fit
# table under results/; copy the fitted values into the scenario's "Calibrated" section by
# hand (the calibrated file extends its input, so it is not a drop-in replacement).
#
#   scripts/calibrate-baseline.sh [2023|2022|both]      (about 10 minutes each on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-both}"

# Start values: round numbers, the same for both years, so neither fit starts from the other.
start=(
  --set programs.dibao.take_up.ever_apply=0.4
  --set programs.dibao.take_up.monthly_apply_prob=0.1
  --set population.income.no_worker_log_shift=-0.5
  --set programs.dibao.assessment.income_counted_share=0.8
  --set programs.tekun.no_supporter_share_urban=0.027
  --set programs.tekun.no_supporter_share_rural=0.15
  --set programs.tekun.institutional_share=0.25
  --set programs.temporary.take_up=0.1
  --set programs.temporary.months_job_loss=1.5
  --set population.income.low_income_share=0.15
  --set programs.dibao.benefit.floor_share=0.3
  --set programs.tekun.institutional_cost=1800.0
)
free=(
  --free programs.dibao.take_up.ever_apply=0.1..0.95
  --free programs.dibao.take_up.monthly_apply_prob=0.02..0.6
  --free population.income.no_worker_log_shift=-4..0
  --free programs.dibao.assessment.income_counted_share=0.4..0.999
  --free programs.tekun.no_supporter_share_rural=0.005..0.6
  --free programs.tekun.institutional_share=0.02..0.6
  --free programs.temporary.take_up=0.02..0.9
  --free programs.temporary.months_job_loss=0.5..4
  --free population.income.low_income_share=0.01..0.95
  --free programs.dibao.benefit.floor_share=0.05..0.8
  --free programs.tekun.institutional_cost=600..3000
)
cargo build --release --quiet
bin=target/release/safetynet
sample=(--households 10000 --reps 20 --years 1 --max-iters 1500)

if [[ "$which" == 2023 || "$which" == both ]]; then
  "$bin" calibrate scenarios/baseline.toml --targets synthetic-data/targets-2023.toml \
    "${sample[@]}" "${start[@]}" "${free[@]}" --out results/calibration-2023/calibrated.toml
fi
if [[ "$which" == 2022 || "$which" == both ]]; then
  "$bin" calibrate scenarios/baseline-2022.toml --targets synthetic-data/targets-2022.toml \
    "${sample[@]}" "${start[@]}" "${free[@]}" --out results/calibration-2022/calibrated.toml
fi
