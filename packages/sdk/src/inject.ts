import { tokenId, type Token } from "./token.js";

/** How one constructor parameter is resolved. */
export type ParameterInjection =
  | { readonly kind: "one"; readonly token: Token<unknown> }
  | { readonly kind: "all"; readonly token: Token<unknown> };

/** A class whose constructor parameters are all resolved by the host. */
export type Injectable<T> = abstract new (...args: never[]) => T;

const PARAMS = Symbol.for("incusx.inject.parameters");

type Annotated = { [PARAMS]?: ParameterInjection[] };

function record(target: object, index: number, injection: ParameterInjection): void {
  const ctor = target as Annotated;
  // Own property only: a subclass must declare its own constructor parameters.
  const params = Object.prototype.hasOwnProperty.call(ctor, PARAMS) ? ctor[PARAMS]! : [];
  params[index] = injection;
  Object.defineProperty(ctor, PARAMS, { value: params, configurable: true });
}

/**
 * Parameter decorator: resolve this constructor parameter from `token`.
 * Every parameter of a contributed class needs one: the host refuses a
 * class with an undecorated parameter instead of passing `undefined`.
 *
 * @example
 * class MtuValidator implements NicValidator {
 *   constructor(@inject(NetworkStateToken) private readonly state: NetworkState) {}
 * }
 */
export function inject<T>(token: Token<T>) {
  return (target: object, _key: string | symbol | undefined, index: number): void =>
    record(target, index, { kind: "one", token });
}

/**
 * Parameter decorator: resolve every contribution registered for `token`
 * (multi-injection), as an array, possibly empty.
 *
 * @example
 * constructor(@injectAll(NicValidatorToken) validators: NicValidator[]) {}
 */
export function injectAll<T>(token: Token<T>) {
  return (target: object, _key: string | symbol | undefined, index: number): void =>
    record(target, index, { kind: "all", token });
}

/**
 * The declared injections of a class, one per constructor parameter.
 * Throws a `TypeError` naming the class and the parameter index when a
 * parameter has no `@inject`/`@injectAll`.
 */
export function injectionPlan(ctor: Injectable<unknown>): readonly ParameterInjection[] {
  const params = Object.prototype.hasOwnProperty.call(ctor, PARAMS)
    ? (ctor as unknown as Annotated)[PARAMS]!
    : [];
  const count = Math.max(ctor.length, params.length);
  const plan: ParameterInjection[] = [];
  for (let i = 0; i < count; i++) {
    const p = params[i];
    if (p === undefined) {
      throw new TypeError(
        `Constructor parameter ${i} of class "${ctor.name || "(anonymous)"}" has no @inject or @injectAll token`,
      );
    }
    plan.push(p);
  }
  return plan;
}

/** A readable description of an injection, for error messages. */
export function describeInjection(p: ParameterInjection): string {
  return `${p.kind === "all" ? "@injectAll" : "@inject"}(${tokenId(p.token)})`;
}
