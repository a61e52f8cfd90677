// Messages from other projects' test suites, for tests that check we accept
// what they accept.

const SYSTEMD_MSG_REPLY =
  "070fb4e50001000e00020000ab11617740de1342c3a20002000e0001000119405c53782bcbb36d53000e000100" +
  "000300660ecfa37d00000050000000780005001820010db8deadbeef78ee1cf3093c55ae00000096000000b4" +
  "0005001820010db8deadbeef78ee1cf3093c55ad00000096000000b4000d001e0000416c6c206164647265737365" +
  "7320776572652061737369676e65642e001900460ecfa37d0000005000000078001a001900000096000000b440" +
  "2a02810d988037c10000000000000000001a001900000096000000b4402a02810d988037c00000000000000000" +
  "0017002020010db8deadbeef000000000000000120010db8deadbeef0000000000000002001f002020010db8dead" +
  "beef000000000000000320010db8deadbeef0000000000000004003800370001001020010db8deadbeef00000000" +
  "000000050001001020010db8deadbeef00000000000000060003000b036e747005696e747261000016002020010d" +
  "b8deadbeef000000000000000720010db8deadbeef00000000000000080015000b0373697005696e747261000018" +
  "000b036c616205696e74726100002700130106636c69656e74036c616205696e74726100001100090000002000f7" +
  "000101";

/**
 * systemd's test DHCPv6 Reply: `msg_reply` in
 * src/libsystemd-network/test-dhcp6-client.c of
 * https://github.com/systemd/systemd, the C array written out as hex,
 * unchanged (458 bytes, transaction id 0x0fb4e5). It carries Rapid Commit
 * (option 14) with a 1-byte value where RFC 8415 wants none (systemd and
 * the Go library Incus uses accept it), an IA_NA (IAID 0x0ecfa37d) with
 * two addresses and a Success status, an IA_PD, DNS, SNTP, NTP, SIP
 * servers, domain list `lab.intra`, a Client FQDN and vendor options. Its
 * Client ID is DUID-EN, enterprise 0xab11, identifier 617740de1342c3a2.
 * A fresh copy on each call.
 *
 * @example
 * const reply = systemdDhcp6Reply(); reply.set([0x12, 0x34, 0x56], 1); // answer our transaction
 */
export function systemdDhcp6Reply(): Uint8Array {
  return Uint8Array.from(SYSTEMD_MSG_REPLY.match(/../g)!, (byte) => parseInt(byte, 16));
}
