import { describe, expect, it } from 'vitest';
import {
  FINAL_STATUSES,
  NAMED_TRANSITIONS,
  ORDER_STATUSES,
  REFUND_STATUSES,
  TRANSITIONS,
  TRANSITION_NAMES,
  canTransition,
  isFinal,
  refundStatusCheckSql,
  statusCheckSql,
  transitionGuard,
  type OrderStatus,
} from './order.state.js';

const allowed: Array<[OrderStatus, OrderStatus]> = [
  ['pending', 'reserved'],
  ['pending', 'failed'],
  ['pending', 'cancelled'],
  ['reserved', 'completed'],
  ['reserved', 'payment_failed'],
  ['reserved', 'cancelled'],
  ['completed', 'shipped'],
  ['completed', 'cancelled'],
  ['shipped', 'delivered'],
];

describe('order state machine', () => {
  describe('TRANSITIONS', () => {
    it.each(allowed)('allows %s -> %s', (from, to) => {
      expect(canTransition(from, to)).toBe(true);
    });

    it('allows nothing else', () => {
      for (const from of ORDER_STATUSES) {
        for (const to of ORDER_STATUSES) {
          const expected = allowed.some(([f, t]) => f === from && t === to);
          expect(canTransition(from, to), `${from} -> ${to}`).toBe(expected);
        }
      }
    });

    it('has a row for every status and only known targets', () => {
      expect(Object.keys(TRANSITIONS).sort()).toEqual([...ORDER_STATUSES].sort());
      for (const targets of Object.values(TRANSITIONS)) {
        for (const to of targets) expect(ORDER_STATUSES).toContain(to);
      }
    });

    it('lists no status or target twice', () => {
      expect(new Set(ORDER_STATUSES).size).toBe(ORDER_STATUSES.length);
      expect(new Set(REFUND_STATUSES).size).toBe(REFUND_STATUSES.length);
      for (const targets of Object.values(TRANSITIONS)) expect(new Set(targets).size).toBe(targets.length);
    });
  });

  describe('final statuses', () => {
    it('are delivered, failed, payment_failed and cancelled', () => {
      expect([...FINAL_STATUSES].sort()).toEqual(['cancelled', 'delivered', 'failed', 'payment_failed']);
    });

    it.each([...FINAL_STATUSES])('%s has no exits', (status) => {
      expect(isFinal(status)).toBe(true);
      expect(TRANSITIONS[status]).toEqual([]);
      for (const to of ORDER_STATUSES) expect(canTransition(status, to)).toBe(false);
    });

    it('non-final statuses all have an exit', () => {
      for (const status of ORDER_STATUSES.filter((s) => !FINAL_STATUSES.includes(s))) {
        expect(isFinal(status)).toBe(false);
      }
    });
  });

  describe('NAMED_TRANSITIONS', () => {
    it('cover exactly the edges of TRANSITIONS, each once', () => {
      const named = TRANSITION_NAMES.flatMap((name) =>
        NAMED_TRANSITIONS[name].from.map((from) => `${from}->${NAMED_TRANSITIONS[name].to}`),
      );
      expect(new Set(named).size).toBe(named.length);
      expect(named.sort()).toEqual(allowed.map(([f, t]) => `${f}->${t}`).sort());
    });
  });

  describe('transitionGuard', () => {
    it('returns from and to when the transition is allowed', () => {
      expect(transitionGuard({ status: 'reserved' }, 'complete')).toEqual({
        ok: true,
        from: 'reserved',
        to: 'completed',
      });
      expect(transitionGuard({ status: 'completed' }, 'cancel')).toEqual({
        ok: true,
        from: 'completed',
        to: 'cancelled',
      });
    });

    it('explains which statuses a refused transition needs', () => {
      expect(transitionGuard({ status: 'shipped' }, 'cancel')).toEqual({
        ok: false,
        current: 'shipped',
        reason: 'order is shipped; it can be cancelled only while pending, reserved or completed',
      });
      expect(transitionGuard({ status: 'pending' }, 'ship')).toMatchObject({
        ok: false,
        reason: 'order is pending; it can be shipped only while completed',
      });
      expect(transitionGuard({ status: 'failed' }, 'payFail')).toMatchObject({
        ok: false,
        reason: 'order is failed; it can be marked payment_failed only while reserved',
      });
    });

    it('says "already" when the order is in the target status', () => {
      expect(transitionGuard({ status: 'cancelled' }, 'cancel')).toEqual({
        ok: false,
        current: 'cancelled',
        reason: 'order is already cancelled',
      });
    });

    it('agrees with canTransition for every status and name', () => {
      for (const status of ORDER_STATUSES) {
        for (const name of TRANSITION_NAMES) {
          const check = transitionGuard({ status }, name);
          expect(check.ok).toBe(canTransition(status, NAMED_TRANSITIONS[name].to));
        }
      }
    });
  });

  describe('statusCheckSql', () => {
    it('lists every status once, quoted', () => {
      const sql = statusCheckSql();
      expect(sql).toBe(
        "CHECK (status IN ('pending', 'reserved', 'completed', 'shipped', 'delivered', 'failed', 'payment_failed', 'cancelled'))",
      );
    });

    it('has a refund_status counterpart', () => {
      expect(refundStatusCheckSql()).toBe("CHECK (refund_status IN ('none', 'partial', 'full'))");
    });
  });
});
