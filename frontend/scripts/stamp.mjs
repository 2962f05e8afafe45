// Records a hash of everything the bundle is built from into dist/build-stamp.json, so a Python
// test (tests/test_web_bundle.py) can tell when the committed bundle is stale. The same
// algorithm lives in xunfang.web.stamp: sorted posix paths, each hashed as path NUL bytes NUL.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = fileURLToPath(new URL("../../src/xunfang/web/dist", import.meta.url));
const INPUTS = ["src", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json", "scripts"];

function walk(path) {
  if (statSync(path).isDirectory()) return readdirSync(path).flatMap((n) => walk(join(path, n)));
  return [path];
}

const files = INPUTS.flatMap((p) => walk(join(root, p)))
  .map((f) => relative(root, f).split(sep).join("/"))
  .sort();
const hash = createHash("sha256");
for (const f of files) {
  hash.update(f + "\0");
  hash.update(readFileSync(join(root, f)));
  hash.update("\0");
}
const stamp = { sources_sha256: hash.digest("hex"), files: files.length };
writeFileSync(join(dist, "build-stamp.json"), JSON.stringify(stamp, null, 2) + "\n");
copyFileSync(join(root, "node_modules/maplibre-gl/LICENSE.txt"), join(dist, "THIRD_PARTY_LICENSES.txt"));
console.log(`build-stamp: ${stamp.sources_sha256} over ${stamp.files} files`);
