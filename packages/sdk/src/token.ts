/**
 * A typed injection token.
 *
 * Tokens are registered symbols (`Symbol.for`), so two copies of the SDK in
 * one process (a plugin bundling its own) still agree on every token.
 *
 * @example
 * const Greeter = defineToken<Greeter>("example.greeter");
 */
export type Token<T> = symbol & { readonly __incusxTokenType?: () => T };

/** The value type carried by a token. */
export type TokenType<K> = K extends Token<infer T> ? T : never;

const TOKEN_PREFIX = "incusx.token:";

/**
 * Creates (or finds) the token with this id. The id is global: use a dotted
 * name that starts with your plugin id for private tokens.
 *
 * @example
 * export const Clock = defineToken<Clock>("service.clock");
 */
export function defineToken<T>(id: string): Token<T> {
  return Symbol.for(TOKEN_PREFIX + id) as Token<T>;
}

/** The id a token was defined with, for error messages. */
export function tokenId(token: symbol): string {
  const key = Symbol.keyFor(token);
  if (key !== undefined && key.startsWith(TOKEN_PREFIX)) return key.slice(TOKEN_PREFIX.length);
  return token.description ?? "(anonymous token)";
}
