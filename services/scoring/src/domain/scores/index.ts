export { calibrationSummaries } from './clv-summaries.query';
export type { CustomerCalibration } from './clv-summaries.query';
export { activeClvModel, recomputeOptionsOf, recomputeScores, rescoreCustomers } from './score.service';
export type { ActiveClvModel, RecomputeOptions } from './score.service';
export { scoreSettingsSchema } from './score.settings';
export type { ScoreSettings } from './score.settings';
export { executeRun, settleRuns, startNightlyRuns, startRun } from './scoring-run.service';
export type { NightlyRuns, RunContext, RunRow } from './scoring-run.service';
export { fitClvModel } from './clv-fit.service';
