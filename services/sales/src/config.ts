import { CurrencyCode, TimeZone } from '@crm/domain';
import { withServiceSettings, type BaseConfig } from '@crm/platform';
import { z } from 'zod';

const salesSettingsSchema = z.object({
  /** Forecasts, quotas and commissions are reported in this currency; amounts in others convert at the rates set here. */
  SALES_BASE_CURRENCY: CurrencyCode.default('CNY'),
  /** Business hours (first-contact SLAs, lead aging) and "today" (daily hot-lead lists) are in this zone. */
  SALES_TIME_ZONE: TimeZone.default('Asia/Shanghai'),
  /** The customers service, for conversions (lead → customer) and matching leads to known customers. */
  CUSTOMERS_URL: z.url().default('http://127.0.0.1:8081'),
  /** How long a call to the customers service may take. */
  SALES_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** How often first-contact SLAs are checked for breaches. */
  SALES_SLA_CHECK_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** How often the weekly forecast snapshot (Monday 00:00 in SALES_TIME_ZONE) is checked for being due. */
  SALES_FORECAST_SNAPSHOT_CHECK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
});
export type SalesConfig = BaseConfig & z.infer<typeof salesSettingsSchema>;

/** The sales settings, read once at boot from `env`, joined to the base config. */
export function salesConfigOf(config: BaseConfig, env: NodeJS.ProcessEnv): SalesConfig {
  return withServiceSettings(config, salesSettingsSchema, env);
}
