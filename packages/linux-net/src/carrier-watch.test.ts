// watchCarrier over a fake addon: link notices crafted as the kernel
// sends them, and the reads each notice triggers answered from a link
// state the test sets, so the order of notices and reads is the test's.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { watchCarrier } from "./carrier.js";
import type { NativeAddon, NativeSocketHandle } from "./native-addon.js";

interface FakeLink {
  flags: number;
  index: number;
  carrierDownCount?: number;
}

const fake = vi.hoisted(() => ({
  link: undefined as FakeLink | undefined,
  onMessage: undefined as ((bytes: Buffer) => void) | undefined,
}));

vi.mock("./native-addon.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("./native-addon.js")>();
  const addon: Partial<NativeAddon> = {
    watchNetlink(onMessage) {
      fake.onMessage = onMessage;
      return {} as NativeSocketHandle;
    },
    close() {
      fake.onMessage = undefined;
      return true;
    },
    linkInfo(name) {
      const link = fake.link!;
      return {
        name,
        index: link.index,
        type: 1,
        flags: link.flags,
        mtu: 1500,
        address: Buffer.alloc(6),
        ...(link.carrierDownCount === undefined ? {} : { carrierUpCount: link.carrierDownCount + 1, carrierDownCount: link.carrierDownCount }),
      };
    },
  };
  return { ...original, nativeAddon: () => ({ addon }) };
});

const USABLE = 0x1 | 0x40 | 0x10000;

// One RTM_NEWLINK for `name` with its index, flags and, when given, IFLA_CARRIER_DOWN_COUNT.
function notice(name: string, link: FakeLink): Buffer {
  const nameAttribute = Buffer.alloc(4 + ((name.length + 1 + 3) & ~3));
  nameAttribute.writeUInt16LE(4 + name.length + 1, 0);
  nameAttribute.writeUInt16LE(3, 2);
  nameAttribute.write(name, 4);
  const count = Buffer.alloc(link.carrierDownCount === undefined ? 0 : 8);
  if (link.carrierDownCount !== undefined) {
    count.writeUInt16LE(8, 0);
    count.writeUInt16LE(48, 2);
    count.writeUInt32LE(link.carrierDownCount, 4);
  }
  const message = Buffer.alloc(32 + nameAttribute.length + count.length);
  message.writeUInt32LE(message.length, 0);
  message.writeUInt16LE(16, 4);
  message.writeInt32LE(link.index, 20);
  message.writeUInt32LE(link.flags, 24);
  nameAttribute.copy(message, 32);
  count.copy(message, 32 + nameAttribute.length);
  return message;
}

// Lets the reads a notice triggered run (they are chained promises).
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("watchCarrier over rtnetlink, a flap the kernel announced with one notice", () => {
  let watch: { close(): void } | undefined;
  let reports: boolean[];
  beforeEach(async () => {
    reports = [];
    fake.link = { flags: USABLE, index: 2, carrierDownCount: 3 };
    watch = watchCarrier("eth0", (usable) => reports.push(usable));
    await settle();
    expect(reports).toEqual([true]);
  });
  afterEach(() => watch?.close());

  it("reports down, then up, once, for the notice and the read after it", async () => {
    fake.link = { flags: USABLE, index: 2, carrierDownCount: 4 };
    fake.onMessage!(notice("eth0", fake.link));
    await settle();
    expect(reports).toEqual([true, false, true]);
    // Another notice of the same state (any link notice makes it read again).
    fake.onMessage!(notice("eth1", { flags: USABLE, index: 3, carrierDownCount: 9 }));
    await settle();
    expect(reports).toEqual([true, false, true]);
  });

  it("reports it once when a read sees it before the notice does", async () => {
    fake.link = { flags: USABLE, index: 2, carrierDownCount: 4 };
    fake.onMessage!(notice("eth1", { flags: USABLE, index: 3 }));
    await settle();
    expect(reports).toEqual([true, false, true]);
    fake.onMessage!(notice("eth0", fake.link));
    await settle();
    expect(reports).toEqual([true, false, true]);
  });

  it("reports a loss it saw as it was, and nothing more without counts", async () => {
    fake.link = { flags: 0x1, index: 2, carrierDownCount: 4 };
    fake.onMessage!(notice("eth0", fake.link));
    await settle();
    fake.link = { flags: USABLE, index: 2, carrierDownCount: 4 };
    fake.onMessage!(notice("eth0", fake.link));
    await settle();
    expect(reports).toEqual([true, false, true]);
    fake.link = { flags: USABLE, index: 2 };
    fake.onMessage!(notice("eth0", fake.link));
    await settle();
    expect(reports).toEqual([true, false, true]);
  });
});
