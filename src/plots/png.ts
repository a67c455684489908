/**
 * SVG figures to PNG with resvg (WebAssembly, no native code, no network), for READMEs and slides where
 * SVG is not welcome. resvg draws text only with the fonts it is given: a sans-serif TrueType font found
 * on the system (DejaVu, Liberation or Noto), or the files named in the options. The WebAssembly module
 * is compiled on the first PNG asked for, so figures shown inline never pay for it.
 * @module
 */
import { initWasm, Resvg, RESVG_WASM_PACKAGE } from "../deps/resvg_wasm.ts";
import { npmPackageDir } from "../deps/npmFiles.ts";
import { readDataFile, readFileIfExists } from "../data/dataFile.ts";

/** Options of {@link svgToPng}. */
export interface PngOptions {
  /** Pixels per SVG unit (default 2: sharp on high-density screens). */
  scale?: number;
  /** TrueType/OpenType files to draw text with (default: the first system font of {@link SYSTEM_FONTS}). */
  fontFiles?: string[];
  /** The family those files hold, used for `sans-serif` and unnamed text (default: the found font's). */
  fontFamily?: string;
}

/** Sans-serif fonts looked for, with their family names (Debian: fonts-dejavu-core, fonts-liberation). */
export const SYSTEM_FONTS: readonly { family: string; files: readonly string[] }[] = [
  {
    family: "DejaVu Sans",
    files: [
      "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
      "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ],
  },
  {
    family: "Liberation Sans",
    files: [
      "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
      "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ],
  },
  {
    family: "Noto Sans",
    files: [
      "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
      "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    ],
  },
];

let ready: Promise<void> | undefined;

function initialised(): Promise<void> {
  ready ??= Deno.readFile(new URL("index_bg.wasm", npmPackageDir(RESVG_WASM_PACKAGE))).then(initWasm);
  return ready;
}

async function fonts(o: PngOptions): Promise<{ buffers: Uint8Array[]; family?: string }> {
  if (o.fontFiles?.length) {
    const buffers = await Promise.all(
      o.fontFiles.map((f) => readDataFile(f, (b) => b, (name) => `svgToPng: font file ${name} not found`)),
    );
    return { buffers, family: o.fontFamily };
  }
  const font = await systemFont();
  return { buffers: font.buffers, family: o.fontFamily ?? font.family };
}

let installed: Promise<{ buffers: Uint8Array[]; family: string }> | undefined;

/** The first installed font of {@link SYSTEM_FONTS}, read once per process (a failed look-up is retried). */
function systemFont(): Promise<{ buffers: Uint8Array[]; family: string }> {
  installed ??= (async () => {
    for (const font of SYSTEM_FONTS) {
      const buffers = (await Promise.all(font.files.map(readFileIfExists))).filter((b) => b !== undefined);
      if (buffers.length) return { buffers, family: font.family };
    }
    throw new Error(
      `svgToPng: no font to draw text with (looked for ${SYSTEM_FONTS.map((f) => f.family).join(", ")}): ` +
        "on Debian, apt-get install fonts-dejavu-core, or pass fontFiles",
    );
  })().catch((e) => {
    installed = undefined;
    throw e;
  });
  return installed;
}

/** Render an SVG document to PNG bytes, on a white background. */
export async function svgToPng(svg: string, o: PngOptions = {}): Promise<Uint8Array> {
  const scale = o.scale ?? 2;
  if (!(scale > 0 && scale <= 16)) throw new Error(`svgToPng: scale must be in (0, 16], got ${scale}`);
  const [font] = await Promise.all([fonts(o), initialised()]);
  const family = font.family ? { defaultFontFamily: font.family, sansSerifFamily: font.family } : {};
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: scale },
    font: { fontBuffers: font.buffers, ...family },
  });
  try {
    const image = resvg.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}
