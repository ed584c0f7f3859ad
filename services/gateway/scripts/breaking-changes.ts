import { apiCompare } from 'api-smart-diff';

export interface BreakingChange {
  path: string;
  description: string;
}

export interface ContractVerdict {
  ok: boolean;
  /** Why it passes or fails, in one sentence. */
  reason: string;
  breaking: BreakingChange[];
}

interface Versioned {
  info?: { version?: string };
}

const majorOf = (document: Versioned): number | undefined => {
  const match = /^(\d+)\./.exec(document.info?.version ?? '');
  return match ? Number(match[1]) : undefined;
};

/**
 * Compares two versions of the contract (api-smart-diff classifies every change). A breaking change
 * (an operation or field removed, a parameter newly required, a type narrowed, …) passes only with a
 * higher major `info.version`: clients then know they must look before upgrading.
 */
export function judgeContractChange(before: object, after: object): ContractVerdict {
  const { diffs } = apiCompare(before, after);
  const breaking = diffs
    .filter((diff) => diff.type === 'breaking')
    .map((diff) => ({ path: diff.path.join('.'), description: diff.description ?? `${diff.action} ${diff.path.join('.')}` }));
  const [from, to] = [majorOf(before), majorOf(after)];
  if (breaking.length === 0) return { ok: true, reason: 'no breaking change', breaking };
  if (from !== undefined && to !== undefined && to > from) {
    return { ok: true, reason: `${breaking.length} breaking changes with the major version bumped (${from} → ${to})`, breaking };
  }
  return { ok: false, reason: `${breaking.length} breaking changes without a major version bump (info.version ${(before as Versioned).info?.version ?? '?'} → ${(after as Versioned).info?.version ?? '?'})`, breaking };
}
