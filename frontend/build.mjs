// Builds every entry point in src/*.js (and src/*.css) into dist/, and copies
// OpenSeadragon's navigation images. Run with `npm run build`.
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const src = "src";
const dist = "dist";
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const entries = readdirSync(src)
  .filter((f) => f.endsWith(".js") || f.endsWith(".css"))
  .map((f) => join(src, f));

await build({
  entryPoints: entries,
  outdir: dist,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "iife",
  target: ["chrome110", "firefox110", "safari16"],
  logLevel: "info",
});

cpSync("node_modules/openseadragon/build/openseadragon/images", join(dist, "openseadragon-images"), {
  recursive: true,
});
writeFileSync(join(dist, ".built"), new Date().toISOString() + "\n");
