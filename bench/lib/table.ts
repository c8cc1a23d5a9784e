/** Plain-text tables for the terminal and the same rows as markdown for the summary file. */

export type Cell = string | number | undefined;

export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** Lines printed under the table: what was measured and how to read it. */
  readonly notes?: readonly string[];
}

const text = (c: Cell): string => (c === undefined || (typeof c === 'number' && Number.isNaN(c)) ? '-' : String(c));

export function renderText(t: Table): string {
  const cells = [t.headers, ...t.rows].map((r) => r.map(text));
  const widths = t.headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `\n${t.title}`,
    line(cells[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
    ...(t.notes ?? []).map((n) => `  ${n}`),
  ].join('\n');
}

export function renderMarkdown(t: Table, level = '###'): string {
  const esc = (c: Cell) => text(c).replace(/\|/g, '\\|');
  return [
    `${level} ${t.title}`,
    '',
    `| ${t.headers.map(esc).join(' | ')} |`,
    `|${t.headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    '',
    ...(t.notes ?? []).map((n) => `- ${n}`),
    '',
  ].join('\n');
}
