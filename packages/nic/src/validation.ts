import {
  checkRules,
  isAny,
  isInterfaceName,
  isListOf,
  isNetworkAddressV4,
  isNetworkAddressV6,
  isNetworkMAC,
  isNetworkMTU,
  isNetworkV4,
  isNetworkV6,
  isNetworkVLAN,
  isUint32,
  isUserKey,
  optional,
  quote,
  sortProblems,
  unknownOption,
  type NicDevice,
  type NicProblem,
  type NicValidator,
  type Rules,
  type Validator,
} from "@incusx/sdk";

/** Key of the problem reported for a failing validator that owns no set key. */
export const VALIDATOR_PROBLEM_KEY = "(validator)";

/** `none` (no address, Incus's bridged and OVN NICs) or what `validator` accepts. */
function noneOr(validator: Validator): Validator {
  return (value) => {
    if (value !== "none") validator(value);
  };
}

/**
 * Rules for the NIC keys Incus knows on (nearly) every NIC type, taken
 * from its `nicValidationRules` defaults as the bridged and OVN types use
 * them. All are optional, since which keys a type requires (OVN needs
 * `network`) is that type's business:
 *
 * - `network`, `parent`, `host_name`: any text (Incus checks them against
 *   host state, not by form)
 * - `name`: an interface name; `hwaddr`: a MAC; `mtu`: 1280 to 16384
 * - `vlan`: 0 to 4094; `boot.priority`: uint32
 * - `ipv4.address` / `ipv6.address`: an address of that family, or `none`
 * - `ipv4.routes`, `ipv4.routes.external` / `ipv6.routes`,
 *   `ipv6.routes.external`: comma separated networks of that family
 *
 * Type-specific twists (OVN forbids `mtu`, bridges allow `vlan=none`)
 * belong to a {@link NicValidator} that owns the key, which then replaces
 * the rule here.
 */
export const commonNicRules: Rules = Object.freeze({
  network: isAny,
  parent: isAny,
  host_name: isAny,
  name: optional(isInterfaceName),
  hwaddr: optional(isNetworkMAC),
  mtu: optional(isNetworkMTU),
  vlan: optional(isNetworkVLAN),
  "boot.priority": optional(isUint32),
  "ipv4.address": optional(noneOr(isNetworkAddressV4)),
  "ipv6.address": optional(noneOr(isNetworkAddressV6)),
  "ipv4.routes": optional(isListOf(isNetworkV4)),
  "ipv6.routes": optional(isListOf(isNetworkV6)),
  "ipv4.routes.external": optional(isListOf(isNetworkV4)),
  "ipv6.routes.external": optional(isListOf(isNetworkV6)),
});

/**
 * Validates one NIC's whole config: the common keys, every contributed
 * {@link NicValidator} covering the NIC's type, and unknown keys.
 *
 * - A key owned by a validator for the NIC's type is checked by that
 *   validator instead of the common rule, so a type can narrow or widen
 *   it (as Incus NIC types override `rules["vlan"]`).
 * - Two validators owning the same key both run and both problems are
 *   reported: ownership is not exclusive, and dropping one would hide a
 *   problem.
 * - Set keys that are neither common nor owned, and not `user.*`, are
 *   rejected with `Invalid device option "k"`.
 * - A validator that throws or rejects does not stop the others: it turns
 *   into one problem per owned key that is set (or one with key
 *   {@link VALIDATOR_PROBLEM_KEY} when none is), naming the failure.
 * - Every problem is returned, sorted by key (stable).
 *
 * @example
 * const service = new NicValidationService(validators);
 * const problems = await service.validate({ instance: "c1", device: "eth0", type: "ovn", config });
 * for (const problem of problems) console.error(problem.message);
 */
export class NicValidationService {
  private readonly validators: readonly NicValidator[];
  private readonly commonRules: Rules;

  constructor(validators: readonly NicValidator[], commonRules: Rules = commonNicRules) {
    this.validators = [...validators];
    this.commonRules = commonRules;
  }

  /** Every problem with `nic`'s config; empty when it is valid. */
  async validate(nic: NicDevice): Promise<NicProblem[]> {
    const applicable = this.validators.filter((v) => v.nicTypes.includes(nic.type));
    const owned = new Set(applicable.flatMap((v) => v.keys));

    const common = Object.fromEntries(Object.entries(this.commonRules).filter(([key]) => !owned.has(key)));
    const problems: NicProblem[] = checkRules(common, nic.config);

    for (const [key, value] of Object.entries(nic.config)) {
      if (!Object.hasOwn(this.commonRules, key) && !owned.has(key) && !isUserKey(key)) {
        problems.push(unknownOption(key, value));
      }
    }

    const results = await Promise.all(applicable.map((validator) => runValidator(validator, nic)));
    for (const result of results) problems.push(...result);
    return sortProblems(problems);
  }
}

async function runValidator(validator: NicValidator, nic: NicDevice): Promise<readonly NicProblem[]> {
  try {
    // Called inside the async function so a synchronous throw is caught too.
    return await validator.validate(nic);
  } catch (error) {
    return validatorFailure(validator, nic, error);
  }
}

function validatorFailure(validator: NicValidator, nic: NicDevice, error: unknown): NicProblem[] {
  const reason = error instanceof Error ? error.message : String(error);
  const name = validatorName(validator);
  const cause = `${name === undefined ? "Validator" : `Validator ${quote(name)}`} failed: ${reason}`;
  const setKeys = [...new Set(validator.keys)].filter((key) => Object.hasOwn(nic.config, key));
  if (setKeys.length === 0) {
    return [{ key: VALIDATOR_PROBLEM_KEY, message: `Failed validating device: ${cause}` }];
  }
  return setKeys.map((key) => ({
    key,
    value: nic.config[key]!,
    message: `Failed validating device option ${quote(key)}: ${cause}`,
  }));
}

/** The class name of a validator object, when it has a telling one. */
function validatorName(validator: NicValidator): string | undefined {
  const name = (validator as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" && name !== "Object" ? name : undefined;
}
