/** Shape guards for untrusted JSON, shared by every parser (tuf-js `models/utils/guard.ts` plays this role). */

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Any value `JSON.parse` can return. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Whether a JSON value is an object (not null, not an array); `isRecord` typed for `JsonValue` trees. */
export function isJsonObject(v: unknown): v is JsonObject {
  return isRecord(v);
}
