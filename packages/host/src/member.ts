// The cluster member name a host runs as: from the host config or options,
// else the machine's host name. Plugins get it as HostIdentityToken.

import { hostname } from "node:os";
import { InvalidConfigError, type HostIdentity } from "@incusx/sdk";

/** What a member name may be (the host config schema's `member` pattern): letters, digits, `.`, `-`, `_`, not starting with `.` or `-`. */
export const MEMBER_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
/** The longest member name, in characters (a DNS name's limit). */
export const MEMBER_NAME_MAX_LENGTH = 253;

/** Why `name` is no member name, or `undefined` when it is one. */
export function memberNameProblem(name: string): string | undefined {
  if (name.length === 0) return "Member name is empty";
  if (name.length > MEMBER_NAME_MAX_LENGTH) return `Member name "${name.slice(0, 40)}..." is longer than ${MEMBER_NAME_MAX_LENGTH} characters`;
  if (!MEMBER_NAME_PATTERN.test(name)) {
    return `Member name "${name}" may hold only letters, digits, ".", "-" and "_", and may not start with "." or "-"`;
  }
  return undefined;
}

/**
 * The identity of a host given `member` (its options' or config's), or
 * the host name. Throws {@link InvalidConfigError} for a bad name, naming
 * where it came from.
 *
 * @example
 * hostIdentity("node1") // { member: "node1" }
 */
export function hostIdentity(member: string | undefined): HostIdentity {
  const name = member ?? hostname();
  const problem = memberNameProblem(name);
  if (problem !== undefined) {
    const where = member === undefined ? `${problem} (the host name; give a member name: the host config's "member", or --member)` : problem;
    throw new InvalidConfigError(where, [{ path: "member", message: problem }]);
  }
  return Object.freeze({ member: name });
}
