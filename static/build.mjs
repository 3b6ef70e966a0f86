// Builds the council-branded front end into static/build (never committed).
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const out = join(here, "build");
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");

mkdirSync(join(out, "css"), { recursive: true });
mkdirSync(join(out, "js"), { recursive: true });

const result = sass.compile(join(here, "scss", "portal.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(join(out, "css", "portal.css"), result.css);
copyReferencedAssets(result.css, join(out, "css"));

copyFileSync(join(govuk, "govuk-frontend.min.js"), join(out, "js", "govuk-frontend.min.js"));
copyFileSync(join(here, "js", "portal.mjs"), join(out, "js", "portal.mjs"));
// Page-specific progressive enhancements (e.g. the forms engine's forms-*.mjs).
for (const name of readdirSync(join(here, "js")).filter((n) => /^forms-.*\.mjs$/.test(n))) {
  copyFileSync(join(here, "js", name), join(out, "js", name));
}
console.log(`built ${out}`);

// Every url() in the CSS must exist in the build: Django's ManifestStaticFilesStorage
// (collectstatic in production) refuses a stylesheet that refers to a missing file.
// Files under GOV.UK Frontend's assets (e.g. images/govuk-crest.svg) are copied in.
function copyReferencedAssets(css, cssDir) {
  const assets = join(govuk, "assets");
  const missing = [];
  for (const [, , url] of css.matchAll(/url\((["']?)([^"')]+)\1\)/g)) {
    if (/^(data:|[a-z]+:|\/\/|#)/i.test(url)) continue;
    if (url.startsWith("/")) {
      missing.push(`${url} (absolute: use a path relative to the stylesheet)`);
      continue;
    }
    const target = resolve(cssDir, url.split(/[?#]/)[0]);
    const inBuild = relative(out, target);
    if (inBuild.startsWith("..")) {
      missing.push(`${url} (outside the build directory)`);
      continue;
    }
    if (existsSync(target)) continue;
    const source = join(assets, inBuild);
    if (!existsSync(source)) {
      missing.push(url);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
  }
  if (missing.length) {
    throw new Error(`portal.css refers to files the build cannot provide:\n  ${missing.join("\n  ")}`);
  }
}
