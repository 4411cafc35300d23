// Builds web/src into web/dist: esbuild bundles the ES modules and stylesheets into content-hashed files
// under dist/assets/, then the HTML pages are written with those names filled in. Nothing in the output
// points outside this origin: the libraries come from node_modules, pinned by package-lock.json.
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, "dist");
const assets = path.join(dist, "assets");

await rm(dist, { recursive: true, force: true });
await mkdir(assets, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { app: "src/main.js", docs: "src/docs.js" },
  bundle: true,
  splitting: true, // MSAL.js is loaded only when Entra ID sign-in is configured
  format: "esm",
  target: ["es2022"],
  minify: true,
  legalComments: "linked", // licences in a .LEGAL.txt beside each file, not in the code
  outdir: assets,
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  logLevel: "warning",
});

// The entry point's script and the stylesheet esbuild gathered from its imports.
const outputs = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!out.entryPoint) continue;
  const name = path.basename(out.entryPoint, ".js");
  outputs[name] = { js: "/assets/" + path.basename(file), css: out.cssBundle && "/assets/" + path.basename(out.cssBundle) };
}

async function hashedCopy(source) {
  const data = await readFile(path.join(root, source));
  const hash = createHash("sha256").update(data).digest("hex").slice(0, 10);
  const ext = path.extname(source);
  const name = `${path.basename(source, ext)}-${hash}${ext}`;
  await copyFile(path.join(root, source), path.join(assets, name));
  return "/assets/" + name;
}

const favicon = await hashedCopy("src/favicon.svg");
for (const page of ["index", "docs"]) {
  const entry = outputs[page === "index" ? "main" : page];
  const template = await readFile(path.join(root, "src", `${page}.html`), "utf8");
  const html = template
    .replaceAll("%FAVICON%", favicon)
    .replaceAll("%SCRIPT%", entry.js)
    .replaceAll("%STYLESHEET%", entry.css);
  if (/%[A-Z]+%/.test(html)) throw new Error(`${page}.html has a placeholder the build does not fill`);
  await writeFile(path.join(dist, `${page}.html`), html);
}
console.log(`built ${path.relative(process.cwd(), dist)}: ${Object.keys(result.metafile.outputs).length} assets`);
