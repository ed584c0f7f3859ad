import { z } from 'zod';
import { decodeCursor, encodeCursor, ifMatchHolds, paginate, ProblemError, requireIfMatch } from '../src';

describe('cursors and pages', () => {
  const shape = z.object({ id: z.string() });
  it('round-trips a cursor and rejects a forged one', () => {
    expect(decodeCursor(encodeCursor({ id: 'x' }), shape)).toEqual({ id: 'x' });
    expect(decodeCursor(undefined, shape)).toBeUndefined();
    expect(() => decodeCursor('bm90LWpzb24', shape)).toThrow(ProblemError);
    expect(() => decodeCursor(encodeCursor({ other: 1 }), shape)).toThrow(ProblemError);
  });

  it('returns a next cursor only when there is more', () => {
    const rows = [1, 2, 3].map((n) => ({ id: String(n) }));
    const full = paginate(rows, 2, (r) => r.id, (r) => ({ id: r.id }));
    expect(full.items).toEqual(['1', '2']);
    expect(decodeCursor(full.nextCursor ?? undefined, shape)).toEqual({ id: '2' });
    expect(paginate(rows, 3, (r) => r.id, (r) => r).nextCursor).toBeNull();
  });
});

describe('If-Match', () => {
  it('matches strong, weak, listed and wildcard tags', () => {
    expect(ifMatchHolds('"3"', 3)).toBe(true);
    expect(ifMatchHolds('W/"3"', 3)).toBe(true);
    expect(ifMatchHolds('"1", "3"', 3)).toBe(true);
    expect(ifMatchHolds('*', 3)).toBe(true);
    expect(ifMatchHolds('"2"', 3)).toBe(false);
  });

  it('answers 428 when missing and 412 when stale', () => {
    expect(() => requireIfMatch(undefined, 1)).toThrow(expect.objectContaining({ problem: expect.objectContaining({ status: 428 }) }));
    expect(() => requireIfMatch('"1"', 2)).toThrow(expect.objectContaining({ problem: expect.objectContaining({ status: 412 }) }));
    expect(() => requireIfMatch('"2"', 2)).not.toThrow();
  });
});
