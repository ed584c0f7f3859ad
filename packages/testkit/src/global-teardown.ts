interface Stoppable { stop(): Promise<unknown> }

export default async function globalTeardown(): Promise<void> {
  const containers = (globalThis as Record<string, unknown>).__crmContainers as Stoppable[] | undefined;
  await Promise.all((containers ?? []).map((container) => container.stop()));
  // A local broker started by infra/kafka/start is left running: the next run reuses it in a second.
}
