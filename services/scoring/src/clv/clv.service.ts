import { performance } from 'node:perf_hooks';
import { allowLongStatements, lockForTransaction, problem, Problems, type Logger, type Runtime } from '@crm/platform';
import type { ScoringDb } from '../db/tables';
import { ScoringLocks } from '../locks';
import { fitBgNbd } from './bg-nbd.fit';
import { clvRepository, type ClvModelRow } from './clv.repository';
import type { ClvModel, FitClvModelBody } from './clv.schemas';
import { fitGammaGamma } from './gamma-gamma.fit';

export interface ClvModelService {
  /** Fits and stores the next model version (activating it unless told not to). */
  fit(input: FitClvModelBody, log: Logger): Promise<ClvModel>;
  list(): Promise<ClvModel[]>;
  /** 404 when no model is active. */
  active(): Promise<ClvModel>;
  /** 404 when there is no such version. */
  byVersion(version: number): Promise<ClvModel>;
}

const view = (row: ClvModelRow): ClvModel => ({
  id: row.id,
  version: row.version,
  active: row.active,
  calibrationEnd: String(row.calibration_end).slice(0, 10),
  timeUnit: row.time_unit,
  bgNbd: row.bg_nbd,
  gammaGamma: row.gamma_gamma,
  logLikelihood: row.log_likelihood,
  sampleSize: row.sample_size,
  fittedAt: new Date(row.fitted_at).toISOString(),
});

/**
 * Fits BG/NBD on every known customer's calibration summary up to `calibrationEnd` (SQL aggregation, see
 * calibrationSummaries) and Gamma-Gamma on those with a repeat purchase of positive mean value; stores the
 * next model version, activating it (and deactivating the previous one) when asked, in the transaction given.
 * 422 when the calibration end lies in the future or before any sale.
 */
export async function fitClvModel(trx: ScoringDb, runtime: Runtime, { calibrationEnd, timeUnit, activate }: FitClvModelBody): Promise<ClvModelRow> {
  const today = runtime.now().toISOString().slice(0, 10);
  if (calibrationEnd > today) throw problem(Problems.unprocessable, `calibrationEnd ${calibrationEnd} lies in the future (today is ${today} UTC)`);
  await allowLongStatements(trx);
  const summaries = await clvRepository.calibrationSummaries(trx, calibrationEnd, timeUnit);
  if (summaries.length === 0) throw problem(Problems.unprocessable, `no sale of a known customer on or before calibrationEnd ${calibrationEnd}`);
  const bgNbd = fitBgNbd(summaries);
  const spenders = summaries.filter((s) => s.x > 0 && s.meanValue > 0);
  const gammaGamma = spenders.length > 0 ? fitGammaGamma(spenders).params : null;

  // Serialises model version numbering.
  await lockForTransaction(trx, ScoringLocks.clvModel);
  const version = (await clvRepository.latestVersion(trx)) + 1;
  if (activate) await clvRepository.deactivateActive(trx);
  return clvRepository.insert(trx, {
    id: runtime.newId(),
    version,
    active: activate,
    calibrationEnd,
    timeUnit,
    bgNbd: bgNbd.params,
    gammaGamma,
    logLikelihood: bgNbd.logLikelihood,
    sampleSize: bgNbd.sampleSize,
    fittedAt: runtime.now().toISOString(),
  });
}

export function createClvModelService(deps: {
  db: ScoringDb;
  runtime: Runtime;
  write: <T>(work: (trx: ScoringDb) => Promise<T>) => Promise<T>;
}): ClvModelService {
  const { db, runtime, write } = deps;
  return {
    async fit(input, log) {
      const began = performance.now();
      log.info({ calibrationEnd: input.calibrationEnd }, 'CLV fit started');
      const row = await write((trx) => fitClvModel(trx, runtime, input));
      log.info({ modelVersion: row.version, sampleSize: row.sample_size, seconds: (performance.now() - began) / 1000 }, 'CLV fit finished');
      return view(row);
    },
    async list() {
      return (await clvRepository.list(db)).map(view);
    },
    async active() {
      const row = await clvRepository.findActive(db);
      if (!row) throw problem(Problems.notFound, 'no CLV model is active: fit one with POST /v1/scoring/models/clv/fit');
      return view(row);
    },
    async byVersion(version) {
      const row = await clvRepository.findByVersion(db, version);
      if (!row) throw problem(Problems.notFound, `CLV model version ${version} does not exist`);
      return view(row);
    },
  };
}
