// Encoders know their exact output size before writing, and every byte is
// then written. V8 allocates a Uint8Array over 64 bytes off-heap, which
// costs about a microsecond (more than a whole small encode), so small
// outputs are carved from a shared slab instead, as Node's Buffer pool does.
// The price: `result.buffer` is the slab, which holds other outputs too.

const SLAB_SIZE = 64 * 1024;
const POOLED_MAX = 8 * 1024;

let slab = new ArrayBuffer(SLAB_SIZE);
let used = 0;

/**
 * A Uint8Array of `size` bytes for an encoder that writes every byte of it.
 * Its contents start out unspecified (not necessarily zero).
 */
export function allocateOutput(size: number): Uint8Array {
  if (size > POOLED_MAX) return new Uint8Array(size);
  if (used + size > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    used = 0;
  }
  const out = new Uint8Array(slab, used, size);
  used += size;
  return out;
}

/** Copies `source` into `out` at `at`; a plain loop beats `set()` for the few bytes options hold. */
export function copyBytes(out: Uint8Array, at: number, source: Uint8Array): number {
  const length = source.length;
  if (length > 32) out.set(source, at);
  else for (let i = 0; i < length; i++) out[at + i] = source[i]!;
  return at + length;
}
