import "reflect-metadata";
import {
  Lifecycle,
  container as globalContainer,
  injectable,
  instanceCachingFactory,
  type DependencyContainer,
} from "tsyringe";
import {
  tokenId,
  type AllOf,
  type Contribution,
  type Dependency,
  type DependencyMap,
  type DepsContribution,
  type Injectable,
  type Resolver,
  type Token,
} from "@incusx/sdk";
import { injectionPlan } from "@incusx/sdk/host";

/**
 * A fresh container for one host. Children of tsyringe's global container
 * are used so nothing is ever registered globally and two hosts in one
 * process (tests) never see each other's registrations.
 */
export function createHostContainer(): DependencyContainer {
  return globalContainer.createChildContainer();
}

/** A {@link Resolver} over `container`; `resolveAll` of an unknown token is `[]`. */
export function resolverOf(container: DependencyContainer): Resolver {
  return {
    resolve: <T>(token: Token<T>) => container.resolve<T>(token),
    resolveAll: <T>(token: Token<T>) => (container.isRegistered(token, true) ? container.resolveAll<T>(token) : []),
  };
}

/**
 * Registers `contribution` under `token` in `container` (a plugin's own
 * child container, so its logger, state store and config are the plugin's)
 * as a singleton provider: tsyringe builds it on the first
 * `container.resolve(token)`, resolving its dependencies from `container`.
 * Throws a `TypeError` for what is not a contribution, and for a class with
 * an undecorated constructor parameter (naming class and index).
 */
export function registerContribution<T>(container: DependencyContainer, token: Token<T>, contribution: Contribution<T>): void {
  if (typeof contribution === "function") {
    describeClass(contribution);
    container.register<T>(
      token,
      { useClass: contribution as unknown as new (...args: unknown[]) => T },
      { lifecycle: Lifecycle.Singleton },
    );
    return;
  }
  if (typeof contribution !== "object" || contribution === null) throw notAContribution(token);
  if ("useValue" in contribution) {
    container.register<T>(token, { useValue: contribution.useValue });
  } else if ("deps" in contribution && typeof contribution.create === "function") {
    const { deps, create } = contribution as DepsContribution<T>;
    checkDependencies(deps, token);
    container.register<T>(token, { useFactory: instanceCachingFactory((c) => create(resolveDependencies(c, deps, token) as never)) });
  } else if ("useFactory" in contribution && typeof contribution.useFactory === "function") {
    const { useFactory } = contribution;
    container.register<T>(token, { useFactory: instanceCachingFactory((c) => useFactory(resolverOf(c))) });
  } else {
    throw notAContribution(token);
  }
}

/** Registers a ready value under `token` for multi-injection. */
export function registerValue<T>(container: DependencyContainer, token: Token<T>, value: T): void {
  container.register<T>(token, { useValue: value });
}

// Where tsyringe's own @inject/@injectAll keep a class's parameter tokens
// (reflection-helpers' INJECTION_TOKEN_METADATA_KEY, not exported by tsyringe 4).
const TSYRINGE_PARAMETER_TOKENS = "injectionTokens";
// Resolves to `undefined` (optional, never registered): a parameter with a
// default value and no decorator, which `new` would also have left undefined.
const UNDECLARED = Symbol("incusx.undeclared-parameter");

// Classes already described: decorators run once, at class definition, so
// their metadata never changes and a class contributed again (another host
// in the process, another plugin) is not described twice.
const described = new WeakSet<Injectable<unknown>>();

// Translates our @inject/@injectAll records into tsyringe's metadata, so
// tsyringe constructs the class. Our decorators stay tsyringe-free: a plugin
// may bundle its own SDK copy, while the host's tsyringe does the wiring.
function describeClass(ctor: Injectable<unknown>): void {
  if (described.has(ctor)) return;
  const plan = injectionPlan(ctor);
  const declared = (Reflect.getMetadata("design:paramtypes", ctor) as unknown[] | undefined)?.length ?? 0;
  const tokens: Record<number, unknown> = {};
  for (let i = 0; i < Math.max(plan.length, declared); i++) {
    const p = plan[i];
    tokens[i] =
      p === undefined
        ? { token: UNDECLARED, multiple: false, isOptional: true }
        : p.kind === "all"
          ? // Optional: a token nobody registered gives [] rather than an error.
            { token: p.token, multiple: true, isOptional: true }
          : p.token;
  }
  Reflect.defineMetadata(TSYRINGE_PARAMETER_TOKENS, tokens, ctor);
  injectable()(ctor as unknown as new (...args: unknown[]) => unknown);
  described.add(ctor);
}

function isAllOf(dependency: Dependency): dependency is AllOf<unknown> {
  return typeof dependency === "object" && dependency !== null && typeof (dependency as AllOf<unknown>).allOf === "symbol";
}

function checkDependencies(deps: unknown, token: symbol): asserts deps is DependencyMap {
  if (typeof deps !== "object" || deps === null) {
    throw new TypeError(`The "deps" of contribution ${tokenId(token)} must be an object of tokens`);
  }
  for (const [name, dependency] of Object.entries(deps)) {
    if (typeof dependency !== "symbol" && !isAllOf(dependency as Dependency)) {
      throw new TypeError(`Dependency "${name}" of contribution ${tokenId(token)} is neither a token nor all(token)`);
    }
  }
}

function resolveDependencies(container: DependencyContainer, deps: DependencyMap, token: symbol): Record<string, unknown> {
  const resolver = resolverOf(container);
  const resolved: Record<string, unknown> = {};
  for (const [name, dependency] of Object.entries(deps)) {
    try {
      resolved[name] = isAllOf(dependency) ? resolver.resolveAll(dependency.allOf) : resolver.resolve(dependency);
    } catch (error) {
      const what = isAllOf(dependency) ? `all(${tokenId(dependency.allOf)})` : tokenId(dependency);
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`Cannot resolve dependency "${name}" (${what}) of contribution ${tokenId(token)}: ${reason}`, { cause: error });
    }
  }
  return resolved;
}

function notAContribution(token: symbol): TypeError {
  return new TypeError(
    `Contribution ${tokenId(token)} is not a class, { useValue }, { useFactory } or { deps, create }`,
  );
}
