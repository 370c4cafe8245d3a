// torchvision's classic eval transform: Resize(shorter side) then CenterCrop, as most ImageNet
// classifiers were trained and evaluated.
import { roundHalfEven } from '../round-half-even.js';

/** Bilinear, as torchvision's Resize. */
export const CLASSIFY_KERNEL = 'linear';

export interface ResizeCrop {
  /** Size after resizing the shorter side. */
  width: number;
  height: number;
  /** Top-left corner of the centre crop in the resized image. */
  left: number;
  top: number;
}

export function resizeCropGeometry(
  srcWidth: number,
  srcHeight: number,
  shorter: number,
  cropWidth: number,
  cropHeight: number,
): ResizeCrop {
  // The longer side keeps the ratio, truncated like torchvision's int(short * long / short_side).
  const width = srcWidth <= srcHeight ? shorter : Math.floor((shorter * srcWidth) / srcHeight);
  const height = srcWidth <= srcHeight ? Math.floor((shorter * srcHeight) / srcWidth) : shorter;
  if (width < cropWidth || height < cropHeight) {
    throw new Error(`resized image ${width}x${height} is smaller than the crop ${cropWidth}x${cropHeight}`);
  }
  return {
    width,
    height,
    left: roundHalfEven((width - cropWidth) / 2),
    top: roundHalfEven((height - cropHeight) / 2),
  };
}
