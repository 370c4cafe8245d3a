// A JPEG's frame size read synchronously from its markers, on the main thread. sharp's metadata() parses the
// same header but as a round trip through libuv's thread pool (two thread wake-ups per request, ~0.4-1 ms on a
// busy machine); this walk costs microseconds. It answers only when the answer is certain: baseline, extended
// or progressive frames with no EXIF block (whose orientation may turn the image). Anything else, including
// every malformed file, is left to sharp, so its checks and error messages stay the ones clients get.

/** Baseline, extended sequential and progressive Huffman frames: what libjpeg decodes everywhere. */
const SOF = new Set([0xc0, 0xc1, 0xc2]);
const EXIF = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]; // "Exif\0\0"

/** Width and height from the frame header, or undefined when sharp must read the header (see above). */
export function jpegFrameSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  let size: { width: number; height: number } | undefined;
  let at = 2; // after SOI
  // Every segment up to the scan: an EXIF block may follow the frame header.
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] as number;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xda) return size; // start of scan: the header is complete
    const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    const payload = at + 4;
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) return undefined;
    if (marker === 0xe1 && EXIF.every((b, i) => payload + i < end && bytes[payload + i] === b))
      return undefined;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      // A second frame header, or a kind or precision (12-bit) libjpeg may refuse: sharp decides.
      if (size || !SOF.has(marker) || length < 8 || bytes[payload] !== 8) return undefined;
      const height = ((bytes[payload + 1] as number) << 8) | (bytes[payload + 2] as number);
      const width = ((bytes[payload + 3] as number) << 8) | (bytes[payload + 4] as number);
      // A height of 0 is set later by a DNL marker: sharp decides.
      if (width === 0 || height === 0) return undefined;
      size = { width, height };
    }
    at = end;
  }
  return undefined;
}
