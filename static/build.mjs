// Builds the council-branded front end into static/build (never committed).
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
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

copyFileSync(join(govuk, "govuk-frontend.min.js"), join(out, "js", "govuk-frontend.min.js"));
copyFileSync(join(here, "js", "portal.mjs"), join(out, "js", "portal.mjs"));
// Page-specific progressive enhancements (e.g. the forms engine's forms-*.mjs).
for (const name of readdirSync(join(here, "js")).filter((n) => /^forms-.*\.mjs$/.test(n))) {
  copyFileSync(join(here, "js", name), join(out, "js", name));
}
console.log(`built ${out}`);
