import { isInterfaceName, isNetworkMAC, isNetworkMTU, isNetworkVLAN } from "./link.js";
import { table } from "./validator-table.test-helper.js";




const badMac = "Invalid MAC address, must be 6 bytes of hex separated by colons";
table("isNetworkMAC accepts six colon separated hex bytes", isNetworkMAC, [
  ["00:16:3e:aa:bb:cc", undefined],
  ["00:16:3E:AA:BB:CC", undefined],
  ["00-16-3e-aa-bb-cc", badMac],
  ["0016.3eaa.bbcc", badMac],
  ["00:16:3e:aa:bb", badMac],
  ["00:16:3e:aa:bb:cc:dd", badMac],
  ["00:16:3e:aa:bb:cg", badMac],
  ["0:16:3e:aa:bb:cc", badMac],
  ["", badMac],
]);

table("isInterfaceName accepts what Incus and Linux both accept", isInterfaceName, [
  ["eth0", undefined],
  ["br-int_1.100", undefined],
  ["abcdefghijklmno", undefined],
  ["e1", undefined],
  ["", "Network interface is too short (minimum 2 characters)"],
  ["e", "Network interface is too short (minimum 2 characters)"],
  ["abcdefghijklmnop", "Network interface is too long (maximum 15 characters)"],
  ["eth/0", "Network interface contains invalid characters"],
  ["eth 0", "Network interface contains invalid characters"],
  ["eth:0", "Network interface contains invalid characters"],
  ["éth0", "Network interface contains invalid characters"],
  ["ééééééééé", "Network interface is too long (maximum 15 characters)"],
  ["..", 'Network interface name cannot be ".."'],
]);

table("isNetworkMTU accepts 1280 to 16384", isNetworkMTU, [
  ["1280", undefined],
  ["1500", undefined],
  ["16384", undefined],
  ["1279", 'Out of MTU range (1280-16384) "1279"'],
  ["16385", 'Out of MTU range (1280-16384) "16385"'],
  ["99999999999", 'Invalid MTU "99999999999"'],
  ["-1500", 'Invalid MTU "-1500"'],
  ["1500 ", 'Invalid MTU "1500 "'],
  ["", 'Invalid MTU ""'],
]);

table("isNetworkVLAN accepts 0 to 4094", isNetworkVLAN, [
  ["0", undefined],
  ["4094", undefined],
  ["+10", undefined],
  ["4095", 'Out of VLAN ID range (0-4094) "4095"'],
  ["-1", 'Out of VLAN ID range (0-4094) "-1"'],
  ["none", 'Invalid VLAN ID "none"'],
  ["", 'Invalid VLAN ID ""'],
]);
