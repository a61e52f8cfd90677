/**
 * Formats rows as a plain-text table: a header line, then one line per row,
 * columns padded to their widest cell and separated by two spaces. Trailing
 * spaces are trimmed so the output diffs cleanly.
 *
 * @example
 * formatTable(["ID", "VERSION"], [["example.mtu-limit", "0.1.0"]]);
 * // "ID                 VERSION\nexample.mtu-limit  0.1.0\n"
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}
