import { allowLongStatements, lockForTransaction, problem, Problems, type Runtime } from '@crm/platform';
import type { Selectable } from 'kysely';
import { ScoringLocks, type ScoringDb } from '../../db/scoring.repository';
import type { ClvModelTable } from '../../db/tables';
import { fitBgNbd, fitGammaGamma, type TimeUnit } from '../clv';
import { calibrationSummaries } from './clv-summaries.query';

export type ClvModelRow = Selectable<ClvModelTable>;

/** Serialises model version numbering. */

/**
 * Fits BG/NBD on every known customer's calibration summary up to `calibrationEnd` (SQL aggregation, see
 * calibrationSummaries) and Gamma-Gamma on those with a repeat purchase of positive mean value; stores the
 * next model version, activating it (and deactivating the previous one) when asked, in the transaction given.
 * 422 when the calibration end lies in the future or before any sale.
 */
export async function fitClvModel(
  trx: ScoringDb,
  runtime: Runtime,
  { calibrationEnd, timeUnit, activate }: { calibrationEnd: string; timeUnit: TimeUnit; activate: boolean },
): Promise<ClvModelRow> {
  const today = runtime.now().toISOString().slice(0, 10);
  if (calibrationEnd > today) throw problem(Problems.unprocessable, `calibrationEnd ${calibrationEnd} lies in the future (today is ${today} UTC)`);
  await allowLongStatements(trx);
  const summaries = await calibrationSummaries(trx, calibrationEnd, timeUnit);
  if (summaries.length === 0) throw problem(Problems.unprocessable, `no sale of a known customer on or before calibrationEnd ${calibrationEnd}`);
  const bgNbd = fitBgNbd(summaries);
  const spenders = summaries.filter((s) => s.x > 0 && s.meanValue > 0);
  const gammaGamma = spenders.length > 0 ? fitGammaGamma(spenders).params : null;

  await lockForTransaction(trx, ScoringLocks.clvModel);
  const { max } = await trx.selectFrom('clv_model').select((eb) => eb.fn.max('version').as('max')).executeTakeFirstOrThrow();
  if (activate) await trx.updateTable('clv_model').set({ active: false }).where('active', '=', true).execute();
  const row = await trx
    .insertInto('clv_model')
    .values({
      id: runtime.newId(),
      version: (max ?? 0) + 1,
      active: activate,
      calibration_end: calibrationEnd,
      time_unit: timeUnit,
      bg_nbd: JSON.stringify(bgNbd.params),
      gamma_gamma: JSON.stringify(gammaGamma),
      log_likelihood: bgNbd.logLikelihood,
      sample_size: bgNbd.sampleSize,
      fitted_at: runtime.now().toISOString(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return row;
}
