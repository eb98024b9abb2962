/**
 * face-api's detector preprocessing for a photo given as a tensor (`NetInput.toBatchTensor`
 * with `isCenterInputs` false): zero-pad the photo at the bottom or right to a square, then
 * resize that square to the network's side with `tf.image.resizeBilinear(x, size, false, false)`.
 *
 * The resize reproduces TF.js's WASM kernel (XNNPACK's bilinear resize in TensorFlow legacy
 * mode): source coordinate `y × (in / out)` in float32, its floor and the next row (clamped),
 * and the interpolation `t + (b − t) × α` in float32 arithmetic. Only the output pixels are
 * computed, reading the photo directly, so the padded square is never materialised.
 */
import type { RgbImage } from '../data/photo-decode.js';

/** A square network input made from one photo. */
export interface SquareInput {
  /** `side × side × 3` float32 RGB values in 0…255 (HWC), ready for the detector graphs. */
  pixels: Float32Array;
  side: number;
  /**
   * The photo's size once scaled to fit `side` (face-api's `computeReshapedDimensions`: each
   * side × side / max(width, height), rounded); face-api maps boxes back with these.
   */
  reshaped: { width: number; height: number };
}

const f32 = Math.fround;

/** Pads `image` to a square with zeros (bottom or right) and resizes it to `side × side`. */
export function squareInput(image: RgbImage, side: number): SquareInput {
  const { width, height, data } = image;
  const square = Math.max(width, height);
  const scale = f32(square / side);
  // Byte offsets of the source rows and columns each output pixel blends; -1 is the zero padding.
  const rows = sourceTaps(side, scale, square, height, width * 3);
  const cols = sourceTaps(side, scale, square, width, 3);
  const pixels = new Float32Array(side * side * 3);
  let o = 0;
  for (let oy = 0; oy < side; oy++) {
    const top = rows.low[oy]!;
    const bottom = rows.high[oy]!;
    const av = rows.alpha[oy]!;
    for (let ox = 0; ox < side; ox++) {
      const left = cols.low[ox]!;
      const right = cols.high[ox]!;
      const ah = cols.alpha[ox]!;
      const tl = top < 0 || left < 0 ? -1 : top + left;
      const tr = top < 0 || right < 0 ? -1 : top + right;
      const bl = bottom < 0 || left < 0 ? -1 : bottom + left;
      const br = bottom < 0 || right < 0 ? -1 : bottom + right;
      for (let c = 0; c < 3; c++) {
        const vtl = tl < 0 ? 0 : data[tl + c]!;
        const vtr = tr < 0 ? 0 : data[tr + c]!;
        const vbl = bl < 0 ? 0 : data[bl + c]!;
        const vbr = br < 0 ? 0 : data[br + c]!;
        const t = f32(vtl + f32(f32(vtr - vtl) * ah));
        const b = f32(vbl + f32(f32(vbr - vbl) * ah));
        pixels[o++] = f32(t + f32(f32(b - t) * av));
      }
    }
  }
  const fit = side / square;
  return {
    pixels,
    side,
    reshaped: { width: Math.round(width * fit), height: Math.round(height * fit) },
  };
}

/**
 * For each output index along one axis: the byte offsets (index × `stride`) of the two source
 * indices it blends in the padded square of side `size` (-1 past the photo's `extent`, i.e. in
 * the zero padding), and the weight of the second.
 */
function sourceTaps(
  out: number,
  scale: number,
  size: number,
  extent: number,
  stride: number,
): { low: Int32Array; high: Int32Array; alpha: Float32Array } {
  const low = new Int32Array(out);
  const high = new Int32Array(out);
  const alpha = new Float32Array(out);
  const offset = (i: number): number => (i < extent ? i * stride : -1);
  for (let i = 0; i < out; i++) {
    const source = f32(i * scale);
    const floor = Math.min(Math.floor(source), size - 1);
    low[i] = offset(floor);
    high[i] = offset(Math.min(floor + 1, size - 1));
    alpha[i] = f32(source - Math.floor(source));
  }
  return { low, high, alpha };
}
