import { defineConfig, type Plugin } from "vite";
import { fileURLToPath } from "node:url";

// The bundle ships inside the Python package (src/xunfang/web/dist) so `pip install` needs no Node.
const outDir = fileURLToPath(new URL("../src/xunfang/web/dist", import.meta.url));

// MapLibre carries a few web addresses that it never fetches (its logo link, a default attribution
// link, a docs link in a warning, a dummy base for URL parsing). They are rewritten so the shipped
// bundle names no external origin at all; tests/test_web_bundle.py checks that nothing else does.
const OFFLINE_REWRITES: [string, string][] = [
  ["https://maplibre.org/", "#maplibre"],
  ["https://github.com/mapbox/mapbox-gl-js/issues/2907", "mapbox-gl-js issue 2907"],
  ["https://maplibre.invalid/", "http://localhost/"],
];

function offline(): Plugin {
  return {
    name: "xunfang-offline",
    renderChunk(code) {
      let out = code;
      for (const [from, to] of OFFLINE_REWRITES) out = out.split(from).join(to);
      return out === code ? null : { code: out, map: null };
    },
  };
}

export default defineConfig({
  base: "/",
  plugins: [offline()],
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1400,
    license: false,
  },
  // Licence banners are kept in dist/THIRD_PARTY_LICENSES.txt (scripts/stamp.mjs), not inline.
  esbuild: { legalComments: "none" },
  server: {
    proxy: { "/api": { target: "http://127.0.0.1:8000", changeOrigin: false } },
  },
});
