import type { DhcpInvalidOption } from "@incusx/dhcp-wire";
import type { Logger } from "@incusx/sdk";

/**
 * What a client does with a message holding an option the decoder marked
 * invalid (a `DhcpInvalidOption` of `@incusx/dhcp-wire`):
 * - `ignore-message`: the message cannot be trusted without that option;
 *   it is ignored as if it never came;
 * - `ignore-option`: the message is used and the option treated as absent;
 * - `treat-as-present`: the option's presence is its meaning (DHCPv6
 *   Rapid Commit), so it counts as present whatever its value.
 */
export type InvalidOptionAction = "ignore-message" | "ignore-option" | "treat-as-present";

/** One row of a family's acceptance table: the action and why, for the README and the log. */
export interface InvalidOptionRule {
  readonly action: InvalidOptionAction;
  readonly why: string;
}

/**
 * A family's acceptance table: a rule per option code; codes not listed
 * get `otherwise`.
 */
export interface InvalidOptionTable {
  readonly rules: ReadonlyMap<number, InvalidOptionRule>;
  readonly otherwise: InvalidOptionRule;
}

/**
 * The most (server, option) pairs an {@link InvalidOptionScreen} remembers
 * as logged. Past it the oldest is forgotten (and may be logged again), so
 * a link full of forged server identifiers costs bounded memory.
 */
export const INVALID_OPTION_LOG_MAX_KEYS = 1024;

const screens = new WeakMap<object, InvalidOptionScreen>();

/**
 * Applies a family's acceptance table to the invalid options of the
 * messages one client receives, and logs each (server, option code) pair
 * once, at debug level: a misbehaving server sending the same bad option in
 * every packet must not flood the log.
 *
 * @example
 * const screen = new InvalidOptionScreen(DHCPV6_ACCEPTANCE, log, "DHCPv6");
 * if (!screen.accepts(invalidDhcpv6Options(reply), serverHex)) return; // ignored
 */
export class InvalidOptionScreen {
  readonly #table: InvalidOptionTable;
  readonly #log: Pick<Logger, "debug">;
  readonly #protocol: string;
  readonly #logged = new Set<string>();

  constructor(table: InvalidOptionTable, log: Pick<Logger, "debug">, protocol: string) {
    this.#table = table;
    this.#log = log;
    this.#protocol = protocol;
  }

  /** The rule for option `code`. */
  ruleFor(code: number): InvalidOptionRule {
    return this.#table.rules.get(code) ?? this.#table.otherwise;
  }

  /**
   * Whether a message from `server` (its identifier as text, for the log)
   * holding `invalid` may be used: false when one of them is
   * `ignore-message`.
   */
  accepts(invalid: readonly DhcpInvalidOption[], server: string): boolean {
    let accepted = true;
    for (const option of invalid) {
      const rule = this.ruleFor(option.code);
      if (rule.action === "ignore-message") accepted = false;
      this.#logOnce(option, rule, server);
    }
    return accepted;
  }

  /**
   * The screen of `owner` (one per client: its exchange context), made on
   * first use with `table`, `log` and `protocol`; it lives as long as `owner`.
   *
   * @example
   * const screen = InvalidOptionScreen.of(context, DHCPV4_ACCEPTANCE, context.log, "DHCPv4");
   */
  static of(owner: object, table: InvalidOptionTable, log: Pick<Logger, "debug">, protocol: string): InvalidOptionScreen {
    let screen = screens.get(owner);
    if (screen === undefined) screens.set(owner, (screen = new InvalidOptionScreen(table, log, protocol)));
    return screen;
  }

  #logOnce(option: DhcpInvalidOption, rule: InvalidOptionRule, server: string): void {
    const key = `${option.code} ${server}`;
    if (this.#logged.has(key)) return;
    if (this.#logged.size >= INVALID_OPTION_LOG_MAX_KEYS) this.#logged.delete(this.#logged.values().next().value!);
    this.#logged.add(key);
    const what = rule.action === "ignore-message" ? "ignoring its messages that carry it" : rule.action === "treat-as-present" ? "taking it as present" : "ignoring the option";
    this.#log.debug(`${this.#protocol} server ${server} sent an invalid option ${option.code}: ${option.invalid.reason}; ${what} (${rule.why})`, {
      option: option.code,
      problem: option.invalid.problem,
      server,
    });
  }
}
