/** Shape guards for untrusted JSON, shared by every parser (tuf-js `models/utils/guard.ts` plays this role). */

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
