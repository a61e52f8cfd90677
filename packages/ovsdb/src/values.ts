// RFC 7047 section 5.1: how atoms, sets and maps travel as JSON, with
// builders for writing and readers that accept every legal spelling (a
// one-element set may arrive as a bare atom).

/** A UUID reference: `["uuid", "550e8400-..."]`. */
export type OvsdbUuid = readonly ["uuid", string];
/** A reference to a row inserted earlier in the same transaction. */
export type OvsdbNamedUuid = readonly ["named-uuid", string];
/** One scalar value. */
export type OvsdbAtom = string | number | boolean | OvsdbUuid | OvsdbNamedUuid;
/** A set of atoms. */
export type OvsdbSet = readonly ["set", readonly OvsdbAtom[]];
/** A map of atom pairs. */
export type OvsdbMap = readonly ["map", readonly (readonly [OvsdbAtom, OvsdbAtom])[]];
/** Any column value. */
export type OvsdbValue = OvsdbAtom | OvsdbSet | OvsdbMap;
/** A row: column name to value. */
export type OvsdbRow = Readonly<Record<string, OvsdbValue>>;

/**
 * A UUID atom.
 * @example uuid("550e8400-e29b-41d4-a716-446655440000")
 */
export function uuid(value: string): OvsdbUuid {
  return ["uuid", value];
}

/**
 * A named UUID: names a row inserted (with `uuidName`) in the same transaction.
 * @example namedUuid("newnat")
 */
export function namedUuid(name: string): OvsdbNamedUuid {
  return ["named-uuid", name];
}

/**
 * A set value.
 * @example ovsSet([uuid(a), uuid(b)])
 */
export function ovsSet(atoms: Iterable<OvsdbAtom>): OvsdbSet {
  return ["set", [...atoms]];
}

/**
 * A map value from a plain string record.
 * @example ovsMap({ "incusx:owner": "me" })
 */
export function ovsMap(entries: Readonly<Record<string, string>>): OvsdbMap {
  return ["map", Object.entries(entries).map(([k, v]) => [k, v] as const)];
}

function isTagged(value: unknown, tag: string): value is readonly [string, unknown] {
  return Array.isArray(value) && value.length === 2 && value[0] === tag;
}

/**
 * The atoms of a set column, accepting the bare-atom spelling of a
 * one-element set.
 * @example setAtoms(row.nat) // [["uuid", "..."], ...]
 */
export function setAtoms(value: unknown): OvsdbAtom[] {
  if (value === undefined) return [];
  if (isTagged(value, "set")) return [...(value[1] as OvsdbAtom[])];
  return [value as OvsdbAtom];
}

/**
 * The UUID strings of a set-of-references column (or a single reference).
 * @example uuidsOf(router.nat) // ["550e8400-..."]
 */
export function uuidsOf(value: unknown): string[] {
  return setAtoms(value)
    .filter((a): a is OvsdbUuid => isTagged(a, "uuid"))
    .map((a) => a[1]);
}

/**
 * The UUID string of a reference atom (`_uuid`), or `undefined`.
 * @example uuidOf(row._uuid)
 */
export function uuidOf(value: unknown): string | undefined {
  return isTagged(value, "uuid") && typeof value[1] === "string" ? value[1] : undefined;
}

/**
 * A string-to-string map column as a plain record (other atoms are
 * stringified).
 * @example mapRecord(row.external_ids)["incusx:owner"]
 */
export function mapRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isTagged(value, "map")) return out;
  for (const pair of value[1] as [unknown, unknown][]) {
    const [k, v] = pair;
    out[atomText(k)] = atomText(v);
  }
  return out;
}

/**
 * The optional scalar of a `min: 0, max: 1` column: the atom, or `undefined`
 * for the empty set.
 * @example optionalAtom(row.gateway_port)
 */
export function optionalAtom(value: unknown): OvsdbAtom | undefined {
  const atoms = setAtoms(value);
  return atoms[0];
}

function atomText(atom: unknown): string {
  if (Array.isArray(atom)) return String(atom[1]);
  return String(atom);
}
