// Python's round(), which the reference implementations (torchvision, ultralytics) use for image geometry.

/** Rounds to the nearest integer; halves go to the even neighbour, as Python's round() does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
