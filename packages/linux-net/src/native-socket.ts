import type { NativeAddon, NativeSocketHandle } from "./native-addon.js";

/**
 * What every socket of the native addon shares (UDP/IPv4, UDP/IPv6, ARP):
 * its message listeners, its one failure and its close, over the native
 * handle. `F` is what a listener learns of the sender. Internal to this
 * package.
 */
export class NativeSocket<F> {
  /** The interface the socket is bound to. */
  readonly iface: string;
  protected readonly addon: NativeAddon;
  protected readonly handle: NativeSocketHandle;
  /** `The UDP/IPv4 socket on interface "eth0"`: the subject of its messages. */
  readonly #name: string;
  readonly #listeners = new Set<(bytes: Uint8Array, from: F) => void>();
  readonly #errorListeners = new Set<(error: NodeJS.ErrnoException) => void>();
  #failure: NodeJS.ErrnoException | undefined;
  #closed: Promise<void> | undefined;

  constructor(
    addon: NativeAddon,
    iface: string,
    name: string,
    open: (onMessage: (bytes: Buffer, address: string, port: number) => void, onError: (error: NodeJS.ErrnoException) => void) => NativeSocketHandle,
    from: (address: string, port: number) => F,
  ) {
    this.addon = addon;
    this.iface = iface;
    this.#name = name;
    this.handle = open(
      (bytes, address, port) => {
        const sender = from(address, port);
        for (const listener of [...this.#listeners]) listener(bytes, sender);
      },
      (error) => this.#fail(error),
    );
  }

  /** Why a send must be refused before it is tried (closed, or failed), if it must. */
  protected refusal(): Error | undefined {
    if (this.#closed !== undefined) return new Error(`${this.#name} is closed`);
    return this.#failure;
  }

  /**
   * Runs the addon's synchronous send. `ENODEV` fails the socket: the kernel
   * does not, yet the socket can never work again (its binding holds the old
   * interface index, which a re-created link of the same name does not get).
   */
  protected sendNow(send: () => void): Promise<void> {
    try {
      send();
      return Promise.resolve();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENODEV") this.#fail(error as NodeJS.ErrnoException);
      return Promise.reject(error as Error);
    }
  }

  #fail(error: NodeJS.ErrnoException): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    for (const listener of [...this.#errorListeners]) listener(error);
  }

  /** Adds a message listener until the returned handle is closed. */
  protected listen(listener: (bytes: Uint8Array, from: F) => void): { close(): void } {
    // Wrap so the same function can subscribe twice and close independently.
    const wrapped = (bytes: Uint8Array, from: F): void => listener(bytes, from);
    this.#listeners.add(wrapped);
    return { close: () => void this.#listeners.delete(wrapped) };
  }

  /** Calls `listener` once if the socket fails for good; at once (in a microtask) if it has. */
  onError(listener: (error: NodeJS.ErrnoException) => void): { close(): void } {
    const failure = this.#failure;
    if (failure !== undefined) {
      let open = true;
      queueMicrotask(() => open && listener(failure));
      return { close: () => void (open = false) };
    }
    const wrapped = (error: NodeJS.ErrnoException): void => listener(error);
    this.#errorListeners.add(wrapped);
    return { close: () => void this.#errorListeners.delete(wrapped) };
  }

  /** Closes the socket; harmless twice. */
  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      this.#listeners.clear();
      this.#errorListeners.clear();
      this.addon.close(this.handle, resolve);
    });
    return this.#closed;
  }
}
