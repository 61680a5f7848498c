// Builds every entry point in src/*.js (and src/*.css) twice, and copies OpenSeadragon's navigation
// images into each. Run with `npm run build`.
//   dist/       the production build: what collectstatic gathers and the pages load.
//   dist-test/  the same code with TEST_HOOKS true, so that the `if (TEST_HOOKS)` blocks put the
//               window.__* objects the browser tests and benchmarks drive on the page; the settings
//               serve it instead of dist/ inside pytest (webapp/settings.py, FRONTEND_DIST).
// In dist/ TEST_HOOKS is false and esbuild drops those blocks and the code only they use.
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const src = "src";
const entries = readdirSync(src)
  .filter((f) => f.endsWith(".js") || f.endsWith(".css"))
  .map((f) => join(src, f));

async function bundle(dist, testHooks) {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  await build({
    entryPoints: entries,
    outdir: dist,
    bundle: true,
    minify: true,
    sourcemap: true,
    format: "iife",
    target: ["chrome110", "firefox110", "safari16"],
    define: { TEST_HOOKS: String(testHooks) },
    logLevel: testHooks ? "warning" : "info",
  });
  cpSync("node_modules/openseadragon/build/openseadragon/images", join(dist, "openseadragon-images"), {
    recursive: true,
  });
  writeFileSync(join(dist, ".built"), new Date().toISOString() + "\n");
}

await bundle("dist-test", true);
await bundle("dist", false); // last: Makefile's stamp is dist/.built
