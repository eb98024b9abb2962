/**
 * One synthetic "original" photo: a cluttered background, the person's head placed somewhere
 * in it at some size and roll, then lighting (brightness, contrast, a colour cast and a
 * gradient), sensor noise and an encoder (JPEG at some quality, PNG, PNG with alpha, or
 * grayscale), all drawn from one seed.
 *
 * The SVG is rasterised by sharp (librsvg) and the lighting and noise are applied to the raw
 * pixels in JavaScript, so the bytes depend only on the seed and the sharp/libvips versions:
 * the same seed gives byte-identical files.
 */
import sharp from 'sharp';
import type { FaceBox } from '../data/face-list.js';
import { createRng, type Rng } from '../random.js';
import { type FacePose, f, headSvg, rgb } from './face-svg.js';
import type { PersonTraits, Rgb } from './synthetic-people.js';

/** How a photo is stored. */
export type PhotoEncoding = 'jpeg' | 'jpeg-gray' | 'png' | 'png-alpha' | 'png-gray';

/** A rendered photo and where the face is in it. */
export interface SyntheticPhoto {
  /** The encoded file. */
  bytes: Buffer;
  encoding: PhotoEncoding;
  /** File extension: 'jpg' or 'png'. */
  ext: 'jpg' | 'png';
  /** Size in stored pixels. */
  width: number;
  height: number;
  /** The face box in stored pixels (x2, y2 exclusive); square and inside the photo. */
  box: FaceBox;
}

/** Options of `renderSyntheticPhoto`. */
export interface RenderPhotoOptions {
  /** Seed of everything that varies per photo. */
  seed: number;
  /** Force an encoding; default drawn from the seed (70 % JPEG, 6 % grayscale JPEG, 12 % PNG, 8 % PNG with alpha, 4 % grayscale PNG). */
  encoding?: PhotoEncoding;
}

/**
 * Renders one photo of `person`.
 *
 * @example
 * const photo = await renderSyntheticPhoto(syntheticPeople()[0], { seed: 7 });
 * await writeFile(`ada.${photo.ext}`, photo.bytes);
 */
export async function renderSyntheticPhoto(
  person: PersonTraits,
  options: RenderPhotoOptions,
): Promise<SyntheticPhoto> {
  const rng = createRng(options.seed);
  const u = (lo: number, hi: number): number => lo + (hi - lo) * rng.next();
  const width = Math.round(u(200, 400));
  const height = Math.round(u(200, 400));
  const side = Math.max(56, Math.round(u(0.3, 0.58) * Math.min(width, height)));
  // The drawn face and its annotated box differ a little, as hand-drawn boxes do.
  const boxSide = Math.round(side * u(0.9, 1.12));
  const x1 = Math.round(u(2, width - boxSide - 2));
  const y1 = Math.round(u(2, height - boxSide - 2));
  const box: FaceBox = { x1, y1, x2: x1 + boxSide, y2: y1 + boxSide };
  const cx = x1 + boxSide / 2 + u(-0.06, 0.06) * side;
  const cy = y1 + boxSide / 2 + u(-0.06, 0.06) * side;
  const roll = u(-15, 15);

  const pose: FacePose = {
    yaw: u(-1, 1),
    pitch: u(-1, 1),
    smile: u(-0.03, 0.05),
    mouthOpen: rng.next() < 0.25 ? u(0.3, 1) : 0,
    eyeOpen: rng.next() < 0.06 ? 0 : u(0.75, 1.15),
    browRaise: u(-0.03, 0.05),
    gazeX: u(-1, 1),
    gazeY: u(-0.6, 0.6),
    lightX: u(-1, 1),
    lightY: u(-1, 1),
    glassesOn: rng.next() < 0.85,
    clothes: randomColour(rng),
  };
  if (rng.next() < 0.15) pose.hat = randomColour(rng);
  const head = headSvg(person, pose);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<defs>${backgroundGradient(rng)}${head.defs}</defs>` +
    `<rect width="${width}" height="${height}" fill="url(#bg)"/>${clutter(rng, width, height)}` +
    `<g transform="translate(${f(cx)},${f(cy)}) rotate(${f(roll)}) scale(${f(side / 2)})">${head.body}</g>` +
    `${rng.next() < 0.12 ? occluder(rng, cx, cy, side) : ''}</svg>`;

  const { data } = await sharp(Buffer.from(svg), { density: 72 })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  applyLight(data, width, height, rng);

  const encoding = options.encoding ?? pickEncoding(rng.next());
  const image = sharp(data, { raw: { width, height, channels: 3 } });
  let bytes: Buffer;
  switch (encoding) {
    case 'jpeg':
    case 'jpeg-gray': {
      const quality = Math.round(u(62, 95));
      const pipeline = encoding === 'jpeg-gray' ? image.toColourspace('b-w') : image;
      bytes = await pipeline.jpeg({ quality, chromaSubsampling: '4:2:0', optimiseCoding: true }).toBuffer();
      break;
    }
    case 'png':
    case 'png-gray':
      bytes = await (encoding === 'png-gray' ? image.toColourspace('b-w') : image)
        .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false })
        .toBuffer();
      break;
    case 'png-alpha':
      bytes = await sharp(withVignetteAlpha(data, width, height), { raw: { width, height, channels: 4 } })
        .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false })
        .toBuffer();
      break;
  }
  return { bytes, encoding, ext: encoding.startsWith('png') ? 'png' : 'jpg', width, height, box };
}

function pickEncoding(r: number): PhotoEncoding {
  if (r < 0.7) return 'jpeg';
  if (r < 0.76) return 'jpeg-gray';
  if (r < 0.88) return 'png';
  if (r < 0.96) return 'png-alpha';
  return 'png-gray';
}

function randomColour(rng: Rng): Rgb {
  return [rng.int(256), rng.int(256), rng.int(256)];
}

function backgroundGradient(rng: Rng): string {
  const angle = rng.next() * 2 * Math.PI;
  const dx = Math.cos(angle) / 2;
  const dy = Math.sin(angle) / 2;
  return (
    `<linearGradient id="bg" x1="${f(0.5 - dx)}" y1="${f(0.5 - dy)}" x2="${f(0.5 + dx)}" y2="${f(0.5 + dy)}">` +
    `<stop offset="0" stop-color="${rgb(randomColour(rng))}"/><stop offset="1" stop-color="${rgb(randomColour(rng))}"/></linearGradient>`
  );
}

/** Random rectangles, discs and lines behind the person: furniture, windows, lamps. */
function clutter(rng: Rng, width: number, height: number): string {
  const shapes: string[] = [];
  const count = 4 + rng.int(9);
  for (let k = 0; k < count; k++) {
    const colour = rgb(randomColour(rng));
    const opacity = f(0.35 + 0.65 * rng.next());
    const x = rng.next() * width;
    const y = rng.next() * height;
    const size = (0.08 + 0.4 * rng.next()) * Math.min(width, height);
    switch (rng.int(4)) {
      case 0:
        shapes.push(
          `<rect x="${f(x - size / 2)}" y="${f(y - size / 2)}" width="${f(size)}" height="${f(size * (0.4 + rng.next() * 1.6))}" fill="${colour}" opacity="${opacity}" transform="rotate(${f((rng.next() - 0.5) * 30)},${f(x)},${f(y)})"/>`,
        );
        break;
      case 1:
        shapes.push(
          `<circle cx="${f(x)}" cy="${f(y)}" r="${f(size / 2)}" fill="${colour}" opacity="${opacity}"/>`,
        );
        break;
      case 2:
        shapes.push(
          `<line x1="${f(x)}" y1="${f(y)}" x2="${f(rng.next() * width)}" y2="${f(rng.next() * height)}" stroke="${colour}" stroke-width="${f(2 + rng.next() * 10)}" opacity="${opacity}"/>`,
        );
        break;
      default: {
        // A window: a frame with panes.
        const w = size * 1.2;
        const h = size;
        shapes.push(
          `<rect x="${f(x - w / 2)}" y="${f(y - h / 2)}" width="${f(w)}" height="${f(h)}" fill="${colour}" opacity="${opacity}" stroke="rgb(240,240,235)" stroke-width="4"/>` +
            `<path d="M${f(x)},${f(y - h / 2)} V${f(y + h / 2)} M${f(x - w / 2)},${f(y)} H${f(x + w / 2)}" stroke="rgb(240,240,235)" stroke-width="3"/>`,
        );
      }
    }
  }
  return shapes.join('');
}

/** Something in front of the lower face (a cup, a microphone, a sign), as in candid photos. */
function occluder(rng: Rng, cx: number, cy: number, side: number): string {
  const sign = rng.next() < 0.5 ? -1 : 1;
  const w = side * (0.25 + 0.2 * rng.next());
  const h = side * (0.5 + 0.5 * rng.next());
  const x = cx + sign * side * (0.15 + 0.3 * rng.next()) - w / 2;
  const y = cy + side * 0.2 * rng.next();
  return `<rect x="${f(x)}" y="${f(y)}" width="${f(w)}" height="${f(h)}" rx="${f(w * 0.2)}" fill="${rgb(randomColour(rng))}"/>`;
}

/**
 * Lighting and sensor noise on raw RGB pixels, in place: contrast around mid-gray, overall
 * brightness, a per-channel colour cast, a linear brightness gradient across the frame and
 * Gaussian noise.
 */
function applyLight(data: Buffer, width: number, height: number, rng: Rng): void {
  const u = (lo: number, hi: number): number => lo + (hi - lo) * rng.next();
  const contrast = u(0.6, 1.2);
  const brightness = u(0.6, 1.3);
  const cast = [u(0.75, 1.25), u(0.8, 1.2), u(0.75, 1.25)];
  const angle = rng.next() * 2 * Math.PI;
  const strength = u(0, 0.6);
  const gx = (Math.cos(angle) * strength) / width;
  const gy = (Math.sin(angle) * strength) / height;
  const sigma = u(2, 14);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gain = brightness * (1 + (x - width / 2) * gx + (y - height / 2) * gy);
      const at = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = ((data[at + c]! - 128) * contrast + 128) * gain * cast[c]! + sigma * rng.normal();
        data[at + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
      }
    }
  }
}

/** RGBA pixels whose alpha fades to transparent towards the corners; colour is kept under it. */
function withVignetteAlpha(rgbData: Buffer, width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (2 * x) / width - 1;
      const dy = (2 * y) / height - 1;
      const r = Math.sqrt(dx * dx + dy * dy);
      const i = y * width + x;
      out[4 * i] = rgbData[3 * i]!;
      out[4 * i + 1] = rgbData[3 * i + 1]!;
      out[4 * i + 2] = rgbData[3 * i + 2]!;
      out[4 * i + 3] = r < 1 ? 255 : Math.max(0, Math.round(255 * (1.4 - r) * 2.5));
    }
  }
  return out;
}
