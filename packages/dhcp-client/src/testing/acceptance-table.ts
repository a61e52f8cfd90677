import type { InvalidOptionTable } from "../invalid-options.js";

/**
 * The rows of a plugin README's acceptance table (`| 14 (Rapid Commit) |
 * \`treat-as-present\` | why |`, the last `| any other code | ... |`) and
 * the rows `table` says, as `[code, action, why]`, so a test can check
 * that the README documents the table the client applies.
 *
 * @example
 * const { documented, applied } = acceptanceTableRows(readme, DHCPV6_ACCEPTANCE);
 * expect(documented).toEqual(applied);
 */
export function acceptanceTableRows(readme: string, table: InvalidOptionTable): { documented: string[][]; applied: string[][] } {
  const documented = [...readme.matchAll(/^\| (\d+|any other) [^|]*\| `([a-z-]+)` \| ([^|]+) \|$/gm)].map((m) => [m[1]!, m[2]!, m[3]!.trim()]);
  const applied = [...table.rules].map(([code, rule]) => [String(code), rule.action, rule.why]);
  applied.push(["any other", table.otherwise.action, table.otherwise.why]);
  return { documented, applied };
}
