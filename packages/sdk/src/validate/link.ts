import type { Validator } from "./combinators.js";
import { parseInt64, parseUintError } from "./scalars.js";
import { quote, ValidationError } from "./validation-error.js";

const utf8 = new TextEncoder();

/**
 * An Ethernet MAC address: six bytes of hex separated by colons, in any
 * case (`00:16:3e:aa:bb:cc`). Dashes, dots and other lengths are refused,
 * as Incus refuses them.
 */
export const isNetworkMAC: Validator = (value) => {
  if (!/^(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(value)) {
    throw new ValidationError("Invalid MAC address, must be 6 bytes of hex separated by colons");
  }
};

/**
 * A network interface name as Incus accepts it: 2 to 15 bytes of
 * `A-Z a-z 0-9 - _ .`. That is stricter than Linux (which takes any 1 to
 * 15 bytes but `/`, white space, `.` and `..`), so a name valid here is
 * valid for both. `..` fits Incus's pattern but Linux refuses it, so it is
 * refused too.
 *
 * @example
 * isInterfaceName("eth0");        // passes
 * isInterfaceName("a-very-long-name"); // throws: Network interface is too long (maximum 15 characters)
 */
export const isInterfaceName: Validator = (value) => {
  const length = utf8.encode(value).length;
  if (length < 2) throw new ValidationError("Network interface is too short (minimum 2 characters)");
  if (length > 15) throw new ValidationError("Network interface is too long (maximum 15 characters)");
  if (!/^[-_a-zA-Z0-9.]+$/.test(value)) throw new ValidationError("Network interface contains invalid characters");
  if (value === "..") throw new ValidationError(`Network interface name cannot be ${quote(value)}`);
};

/**
 * An MTU Incus allows: 1280 (the least IPv6 works with) to 16384 (the
 * largest jumbo frame).
 *
 * @example
 * isNetworkMTU("9000"); // passes
 * isNetworkMTU("576");  // throws: Out of MTU range (1280-16384) "576"
 */
export const isNetworkMTU: Validator = (value) => {
  if (parseUintError(value, 2n ** 32n - 1n) !== undefined) throw new ValidationError(`Invalid MTU ${quote(value)}`);
  const mtu = Number(value);
  if (mtu < 1280 || mtu > 16384) throw new ValidationError(`Out of MTU range (1280-16384) ${quote(value)}`);
};

/**
 * A VLAN ID from 0 to 4094, as Incus's default NIC rule checks it. (Some
 * NIC types narrow it: OVN nesting wants 1 to 4095, bridges allow `none`.)
 */
export const isNetworkVLAN: Validator = (value) => {
  const id = parseInt64(value);
  if (id === undefined) throw new ValidationError(`Invalid VLAN ID ${quote(value)}`);
  if (id < 0n || id > 4094n) throw new ValidationError(`Out of VLAN ID range (0-4094) ${quote(value)}`);
};
