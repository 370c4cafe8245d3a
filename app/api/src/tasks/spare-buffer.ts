// A model's input buffer kept from one run to the next: writing into freshly allocated megabytes costs a page
// fault per 4 KiB, more than filling them on a busy machine.

/** One kept Float32Array. Taken while in use, so that runs overlapping in one thread each get their own. */
export class SpareBuffer {
  private spare: Float32Array | undefined;

  /** `length` floats (contents left from an earlier run): the kept buffer when it is long enough, else a new one. */
  take(length: number): Float32Array {
    const kept = this.spare;
    if (!kept || kept.length < length) return new Float32Array(length);
    this.spare = undefined;
    return kept.subarray(0, length);
  }

  /** Keeps the whole buffer under `view` for the next take, unless a longer one is kept already. */
  give(view: Float32Array): void {
    const whole = view.length === view.buffer.byteLength / 4 ? view : new Float32Array(view.buffer);
    if (!this.spare || this.spare.length < whole.length) this.spare = whole;
  }
}
