import "reflect-metadata";
import { container as globalContainer, type DependencyContainer } from "tsyringe";
import { type Contribution, type Injectable, type Resolver, type Token } from "@incusx/sdk";
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
 * Builds one contribution in `container` (a plugin's own child container,
 * so a plugin's logger and state store are its own). Every constructor
 * parameter is resolved through its declared token.
 */
export function instantiate<T>(contribution: Contribution<T>, container: DependencyContainer): T {
  if (typeof contribution === "function") {
    const ctor = contribution as Injectable<T>;
    const resolver = resolverOf(container);
    const args = injectionPlan(ctor).map((p) =>
      p.kind === "all" ? resolver.resolveAll(p.token) : resolver.resolve(p.token),
    );
    return new (ctor as unknown as new (...a: unknown[]) => T)(...args);
  }
  if ("useValue" in contribution) return contribution.useValue;
  return contribution.useFactory(resolverOf(container));
}

/** Registers a ready value under `token` for multi-injection. */
export function registerValue<T>(container: DependencyContainer, token: Token<T>, value: T): void {
  container.register<T>(token, { useValue: value });
}
