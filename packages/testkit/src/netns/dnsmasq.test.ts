import { describe, expect, it } from "vitest";
import { dnsmasqArgs, networkDnsmasqConfig, type DnsmasqConfig } from "./dnsmasq.js";

const base: DnsmasqConfig = { iface: "veth-srv", dir: "/tmp/x", v4: true, v6: "stateful", leaseTime: "1h", extraArgs: [] };

describe("dnsmasqArgs", () => {
  it("is the DESIGN.md test network command line, without config file, with files in the network's directory", () => {
    expect(dnsmasqArgs(base)).toEqual([
      "dnsmasq",
      "--conf-file=/dev/null",
      "--no-daemon",
      "--no-ping",
      "--port=0",
      "--interface=veth-srv",
      "--bind-interfaces",
      "--dhcp-range=192.0.2.100,192.0.2.200,255.255.255.0,1h",
      "--dhcp-range=2001:db8:1::100,2001:db8:1::200,64,1h",
      "--enable-ra",
      "--dhcp-option=option:dns-server,192.0.2.53",
      "--dhcp-option=option6:dns-server,[2001:db8:1::53]",
      "--dhcp-leasefile=/tmp/x/dnsmasq.leases",
      "--pid-file=/tmp/x/dnsmasq.pid",
      "--log-facility=/tmp/x/dnsmasq.log",
      "--log-dhcp",
    ]);
  });

  it("leaves out --log-dhcp when a benchmark turns the exchange log off, and keeps it by default", () => {
    expect(dnsmasqArgs({ ...base, logDhcp: false })).not.toContain("--log-dhcp");
    expect(networkDnsmasqConfig({ logDhcp: false }, { iface: "br0", dir: "/tmp/x" }).logDhcp).toBe(false);
    expect(dnsmasqArgs(networkDnsmasqConfig({}, { iface: "br0", dir: "/tmp/x" }))).toContain("--log-dhcp");
  });

  it("serves stateless DHCPv6 with ra-stateless and still announces DNS", () => {
    const args = dnsmasqArgs({ ...base, v4: false, v6: "stateless", leaseTime: "2m" });
    expect(args).toContain("--dhcp-range=2001:db8:1::,ra-stateless,64,2m");
    expect(args).toContain("--dhcp-option=option6:dns-server,[2001:db8:1::53]");
    expect(args).toContain("--enable-ra");
    expect(args.some((arg) => arg.includes("192.0.2."))).toBe(false);
  });

  it("leaves out IPv6 entirely when v6 is off, and appends extra arguments last", () => {
    const args = dnsmasqArgs({ ...base, v6: false, extraArgs: ["--dhcp-option=option:mtu,1400"] });
    expect(args.some((arg) => arg.includes("2001:db8") || arg === "--enable-ra")).toBe(false);
    expect(args.at(-1)).toBe("--dhcp-option=option:mtu,1400");
  });

  it("leases from the ranges it is given", () => {
    const args = dnsmasqArgs({ ...base, v4Range: ["192.0.2.10", "192.0.2.250"], v6Range: ["2001:db8:1::1000", "2001:db8:1::ffff"] });
    expect(args).toContain("--dhcp-range=192.0.2.10,192.0.2.250,255.255.255.0,1h");
    expect(args).toContain("--dhcp-range=2001:db8:1::1000,2001:db8:1::ffff,64,1h");
  });
});

describe("networkDnsmasqConfig", () => {
  it("gives a test network's options the testkit's defaults: DHCPv4, stateful DHCPv6, 1 h leases, no extra arguments", () => {
    expect(networkDnsmasqConfig({}, { iface: "veth-srv", dir: "/tmp/x" })).toEqual(base);
    expect(networkDnsmasqConfig({ v6: true }, { iface: "veth-srv", dir: "/tmp/x" }).v6).toBe("stateful");
  });

  it("takes the options' choices and the network's ranges", () => {
    const args = ["--dhcp-option=option:domain-search,demo.example"];
    const config = networkDnsmasqConfig(
      { v4: false, v6: "stateless", leaseTime: "2m", dnsmasqArgs: args },
      { iface: "br0", dir: "/tmp/y", v4Range: ["192.0.2.10", "192.0.2.250"], v6Range: ["2001:db8:1::1000", "2001:db8:1::ffff"] },
    );
    expect(config).toEqual({
      iface: "br0",
      dir: "/tmp/y",
      v4: false,
      v6: "stateless",
      leaseTime: "2m",
      extraArgs: args,
      v4Range: ["192.0.2.10", "192.0.2.250"],
      v6Range: ["2001:db8:1::1000", "2001:db8:1::ffff"],
    });
    expect(config.extraArgs).not.toBe(args);
    expect(networkDnsmasqConfig({ v6: false }, { iface: "br0", dir: "/tmp/y" }).v6).toBe(false);
  });
});
