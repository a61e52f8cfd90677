import { IncusxError, ErrorCode, type LinkConfigurator, type LinkSnapshot } from "@incusx/sdk";

/**
 * The default {@link LinkConfigurator} of a host that was given none: every
 * call fails with a clear error instead of pretending to configure a link.
 */
export class UnavailableLinkConfigurator implements LinkConfigurator {
  private fail(): never {
    throw new IncusxError(
      ErrorCode.PluginFailed,
      "No link configurator is available in this host; pass one in HostOptions.services.linkConfigurator",
    );
  }
  async addAddress(): Promise<void> {
    this.fail();
  }
  async removeAddress(): Promise<void> {
    this.fail();
  }
  async addRoute(): Promise<void> {
    this.fail();
  }
  async removeRoute(): Promise<void> {
    this.fail();
  }
  async setMtu(): Promise<void> {
    this.fail();
  }
  async snapshot(): Promise<LinkSnapshot> {
    this.fail();
  }
}
