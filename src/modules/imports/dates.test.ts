import { describe, expect, it } from 'vitest';
import { parseIsoDateTime, parseUsDateTime } from './dates.js';

describe(parseIsoDateTime.name, () => {
  const iso = (text: string) => {
    const r = parseIsoDateTime(text);
    return r.ok ? r.value : r.reason;
  };
  it('accepts a date, a date and time, seconds, Z and offsets, and answers in UTC', () => {
    expect(iso('2024-05-31')).toBe('2024-05-31T00:00:00Z');
    expect(iso('2024-05-31T14:30')).toBe('2024-05-31T14:30:00Z');
    expect(iso('2024-05-31T14:30:15Z')).toBe('2024-05-31T14:30:15Z');
    expect(iso('2024-05-31T00:30:00+02:00')).toBe('2024-05-30T22:30:00Z');
    expect(iso('2024-12-31T23:30:00-01:00')).toBe('2025-01-01T00:30:00Z');
    expect(iso('2024-05-31 14:30:15.123')).toBe('2024-05-31T14:30:15Z');
  });
  it('rejects days that do not exist, leap years included', () => {
    expect(iso('2024-02-30')).toBe('is not a real calendar date');
    expect(iso('2023-02-29')).toBe('is not a real calendar date');
    expect(iso('2024-02-29')).toBe('2024-02-29T00:00:00Z');
    expect(iso('2024-02-30T10:00:00Z')).toBe('is not a real calendar date');
    expect(iso('1900-02-29')).toBe('is not a real calendar date');
  });
  it('rejects impossible times, other formats and far-off years', () => {
    expect(iso('2024-05-31T24:00:00Z')).toMatch(/time of day/);
    expect(iso('31/05/2024')).toMatch(/is not a date like/);
    expect(iso('0024-05-31')).toMatch(/year outside/);
  });
});

describe(parseUsDateTime.name, () => {
  it('reads the UCI form M/D/YYYY H:MM as UTC', () => {
    const r = parseUsDateTime('12/1/2010 8:26');
    expect(r).toEqual({ ok: true, value: '2010-12-01T08:26:00Z' });
    expect(parseUsDateTime('2/30/2011 10:00').ok).toBe(false);
  });
});
