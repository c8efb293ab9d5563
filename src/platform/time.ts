/**
 * Milliseconds in a UTC calendar day, or in a duration counted in days. A local day where the
 * clocks change is 23 or 25 hours: never step through a tenant's days with this.
 */
export const DAY_MS = 86_400_000;
