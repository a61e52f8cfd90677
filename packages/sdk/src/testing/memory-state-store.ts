import type { JsonValue, StateStore } from "../services.js";

// Same rule as the host's file store, so a key that works here works there.
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * A {@link StateStore} in memory. Keys follow the same rule as the host's
 * file store (letters, digits, `.`, `-`, `_`, starting with a letter or
 * digit, at most 128), and values are JSON-cloned on the way in and out, so
 * a test sees exactly what a restart would read back from disk.
 *
 * @example
 * const store = new MemoryStateStore({ duid: "000100012c2f" });
 * const runner = new Dhcpv6Runner(clock, store);
 * expect(await store.get("duid")).toBe("000100012c2f");
 */
export class MemoryStateStore implements StateStore {
  readonly #values = new Map<string, string>();

  /** @param initial Values present from the start, as if persisted by an earlier run. */
  constructor(initial: Readonly<Record<string, JsonValue>> = {}) {
    for (const [key, value] of Object.entries(initial)) this.#values.set(checkKey(key), serialise(key, value));
  }

  async get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined> {
    const text = this.#values.get(checkKey(key));
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  async set(key: string, value: JsonValue): Promise<void> {
    this.#values.set(checkKey(key), serialise(key, value));
  }

  async delete(key: string): Promise<void> {
    this.#values.delete(checkKey(key));
  }

  async keys(): Promise<string[]> {
    return [...this.#values.keys()].sort();
  }

  /** Every stored value by key, as plain data, for assertions. */
  toJSON(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const key of [...this.#values.keys()].sort()) out[key] = JSON.parse(this.#values.get(key)!) as JsonValue;
    return out;
  }
}

function checkKey(key: string): string {
  if (typeof key !== "string" || !KEY.test(key)) {
    throw new TypeError(`Invalid state key "${String(key)}": use letters, digits, ".", "-" and "_" (at most 128)`);
  }
  return key;
}

function serialise(key: string, value: JsonValue): string {
  // JSON.stringify drops what JSON cannot hold; a test should hear about it, not lose data.
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === "number" && !Number.isFinite(v)) throw new TypeError(`State value of "${key}" holds ${v}, which JSON cannot store`);
    if (v === undefined || typeof v === "function" || typeof v === "symbol" || typeof v === "bigint") {
      throw new TypeError(`State value of "${key}" holds a ${typeof v}, which JSON cannot store`);
    }
    return v;
  });
  return text;
}
