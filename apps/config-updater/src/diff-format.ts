/**
 * Changes between two config documents, and how they print. The old side may be raw data
 * the apps rejected (unknown keys, bad values), so this compares any JSON objects, key by
 * key; for two valid configs it says what diffConfig says.
 */

/** One key whose value differs; `from` or `to` is undefined where the key is absent. */
export interface ConfigChange {
  key: string;
  from: unknown;
  to: unknown;
}

export function configChanges(
  from: Readonly<Record<string, unknown>>,
  to: Readonly<Record<string, unknown>>,
): ConfigChange[] {
  const keys = [...new Set([...Object.keys(to), ...Object.keys(from)])];
  return keys
    .filter((key) => JSON.stringify(from[key]) !== JSON.stringify(to[key]))
    .map((key) => ({ key, from: from[key], to: to[key] }));
}

export function formatValue(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

/** `  key: old → new`, one line per change. */
export function formatChanges(changes: readonly ConfigChange[], indent = '  '): string[] {
  return changes.map(
    (change) => `${indent}${change.key}: ${formatValue(change.from)} → ${formatValue(change.to)}`,
  );
}

/** A JSON object from raw data, or null when the data is not one. */
export function jsonObjectOf(raw: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function indentLines(text: string, indent = '  '): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `${indent}${line}`)
    .join('\n');
}
