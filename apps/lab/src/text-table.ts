/** Rows of cells as text, each column as wide as its widest cell, two spaces apart. */
export function alignColumns(rows: string[][]): string {
  const columns = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, col) =>
    Math.max(...rows.map((r) => (r[col] ?? '').length)),
  );
  return rows
    .map((r) =>
      r
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
