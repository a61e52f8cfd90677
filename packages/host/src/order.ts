/** A node of the requirement graph. */
export interface Requiring {
  /** Plugin id. */
  readonly id: string;
  /** Ids it requires. */
  readonly requires: readonly string[];
}

/** The outcome of ordering plugins by `requires`. */
export interface PluginOrder {
  /** Ids in an order where every plugin comes after what it requires. Excludes cycle members. */
  readonly order: readonly string[];
  /** Plugins requiring ids that are not in the set, with those ids. */
  readonly missing: ReadonlyMap<string, readonly string[]>;
  /** Plugins in a requirement cycle, with the cycle as a path (`a -> b -> a`). */
  readonly cycles: ReadonlyMap<string, readonly string[]>;
}

/**
 * Orders plugins so each comes after the plugins it requires, keeping the
 * given order wherever requirements allow (so startup is predictable).
 * Plugins with missing requirements stay in the order (the host fails them
 * when their turn comes); plugins on a cycle are taken out.
 */
export function orderByRequirements(nodes: readonly Requiring[]): PluginOrder {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const missing = new Map<string, string[]>();
  for (const n of nodes) {
    const absent = n.requires.filter((r) => !byId.has(r));
    if (absent.length > 0) missing.set(n.id, absent);
  }

  const cycles = new Map<string, string[]>();
  for (const component of stronglyConnected(nodes, byId)) {
    const first = component[0]!;
    const cyclic = component.length > 1 || byId.get(first)!.requires.includes(first);
    if (!cyclic) continue;
    const members = new Set(component);
    for (const id of component) cycles.set(id, cyclePath(id, members, byId));
  }

  // Kahn's algorithm, always taking the earliest ready node in input order.
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const n of nodes) {
    if (cycles.has(n.id)) continue;
    const deps = n.requires.filter((r) => byId.has(r) && r !== n.id);
    pending.set(n.id, deps.length);
    for (const d of deps) {
      const list = dependents.get(d);
      if (list) list.push(n.id);
      else dependents.set(d, [n.id]);
    }
  }
  // `ready` stays sorted by input position, so taking the first is enough.
  const ready = [...pending].filter(([, count]) => count === 0).map(([id]) => id);
  ready.sort((a, b) => index.get(a)! - index.get(b)!);
  const order: string[] = [];
  const placed = new Set<string>();
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    placed.add(id);
    for (const d of dependents.get(id) ?? []) {
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0) insertSorted(ready, d, index);
    }
  }
  // Plugins that depend on a cycle never become ready: keep them, in input
  // order, at the end; the host fails them as missing a requirement.
  for (const n of nodes) if (!cycles.has(n.id) && !placed.has(n.id)) order.push(n.id);

  return { order, missing, cycles };
}

function insertSorted(list: string[], id: string, index: Map<string, number>): void {
  const position = index.get(id)!;
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (index.get(list[mid]!)! < position) low = mid + 1;
    else high = mid;
  }
  list.splice(low, 0, id);
}

// Tarjan's algorithm; components come out in input order of their first member.
function stronglyConnected(nodes: readonly Requiring[], byId: Map<string, Requiring>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];

  const visit = (id: string): void => {
    index.set(id, next);
    low.set(id, next);
    next++;
    stack.push(id);
    onStack.add(id);
    for (const r of byId.get(id)!.requires) {
      if (!byId.has(r)) continue;
      if (!index.has(r)) {
        visit(r);
        low.set(id, Math.min(low.get(id)!, low.get(r)!));
      } else if (onStack.has(r)) {
        low.set(id, Math.min(low.get(id)!, index.get(r)!));
      }
    }
    if (low.get(id) === index.get(id)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== id);
      out.push(component);
    }
  };
  for (const n of nodes) if (!index.has(n.id)) visit(n.id);
  const position = new Map(nodes.map((n, i) => [n.id, i]));
  for (const c of out) c.sort((a, b) => position.get(a)! - position.get(b)!);
  return out;
}

// A shortest requirement path from `start` back to itself inside `members`.
function cyclePath(start: string, members: Set<string>, byId: Map<string, Requiring>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const r of byId.get(id)!.requires) {
      if (!members.has(r)) continue;
      if (r === start) {
        const path = [start];
        for (let at = id; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (seen.has(r)) continue;
      seen.add(r);
      previous.set(r, id);
      queue.push(r);
    }
  }
  return [start, start];
}
