/**
 * Formats rows as a Markdown table with aligned columns, so the output of
 * the benchmark, the soak and the drills can be pasted into the docs as is.
 */
export function formatTable(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return "";
  const columns = Object.keys(rows[0]);
  const cells = [
    columns,
    ...rows.map((row) => columns.map((column) => String(row[column] ?? ""))),
  ];
  const widths = columns.map((_, i) =>
    Math.max(3, ...cells.map((line) => line[i].length))
  );
  const format = (line: string[]) =>
    `| ${line.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;

  return [
    format(cells[0]),
    format(widths.map((width) => "-".repeat(width))),
    ...cells.slice(1).map(format),
  ].join("\n");
}
