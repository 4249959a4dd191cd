// Build the web chat's static assets from the npm packages into
// assistant/web/static/vendor/ (generated, not committed):
//
//   widget/chat.js    socket.io-client + strings.da.json + DKFDS icons + src/widget.js,
//                     one self-contained script with no globals
//   widget/chat.css   IBM Plex Sans (from dkfds) + src/widget.css
//   widget/fonts/     the IBM Plex Sans files chat.css uses
//   dkfds/            dkfds.min.css with exactly the fonts and images it references
//   LICENSES.txt      licences of what is bundled
//
// Run with `npm run build` (or `make web`). No network access at run time: everything the
// browser loads is served by assistant/web/server.py from this folder.

import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, "..", "assistant", "web", "static", "vendor");

const pkgDir = (name) => join(here, "node_modules", name);
const read = (path) => readFileSync(path, "utf8");
const version = (name) => JSON.parse(read(join(pkgDir(name), "package.json"))).version;

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "widget", "fonts"), { recursive: true });

// --- DKFDS: the stylesheet and exactly the files its url(...) references point to ----------
const dkfds = join(pkgDir("dkfds"), "dist");
const dkfdsCss = read(join(dkfds, "css", "dkfds.min.css")).replace(/\/\*# sourceMappingURL=.*?\*\//g, "");
mkdirSync(join(out, "dkfds", "css"), { recursive: true });
writeFileSync(join(out, "dkfds", "css", "dkfds.min.css"), dkfdsCss);
const referenced = new Set();
for (const m of dkfdsCss.matchAll(/url\(\s*["']?(\.\.\/[^"')?#]+)/g)) referenced.add(m[1]);
for (const rel of referenced) copy(join(dkfds, "css", rel), join(out, "dkfds", "css", rel));

// --- the widget stylesheet: IBM Plex Sans from dkfds + our CSS ---------------------------
const plex = join(dkfds, "fonts", "IBMPlexSans", "complete");
const faces = [
  ["Regular", 400, "normal"],
  ["Italic", 400, "italic"],
  ["SemiBold", 600, "normal"],
];
let fontCss = "";
for (const [name, weight, style] of faces) {
  for (const ext of ["woff2", "woff"]) {
    copy(join(plex, ext, `IBMPlexSans-${name}.${ext}`), join(out, "widget", "fonts", `IBMPlexSans-${name}.${ext}`));
  }
  fontCss +=
    `@font-face{font-family:"IBM Plex Sans";font-style:${style};font-weight:${weight};` +
    `font-display:swap;src:url(fonts/IBMPlexSans-${name}.woff2) format("woff2"),` +
    `url(fonts/IBMPlexSans-${name}.woff) format("woff")}\n`;
}
const banner = `/*! Kommunens digitale vejleder – chat widget. Bundles dkfds ${version("dkfds")} ` +
  `(IBM Plex Sans: SIL OFL 1.1; icons: Apache-2.0) and socket.io-client ` +
  `${version("socket.io-client")} (MIT). See LICENSES.txt. */\n`;
writeFileSync(join(out, "widget", "chat.css"), banner + fontCss + read(join(here, "src", "widget.css")));

// --- the widget script ------------------------------------------------------------------
const icons = {};
for (const [key, file] of Object.entries({ chat: "chat", send: "send", minimize: "minus" })) {
  icons[key] = read(join(dkfds, "img", "svg-icons", `${file}.svg`))
    .trim()
    .replace("<svg ", '<svg aria-hidden="true" focusable="false" ');
}
const strings = JSON.parse(read(join(here, "src", "strings.da.json")));
delete strings._comment;
const socketIo = read(join(pkgDir("socket.io-client"), "dist", "socket.io.min.js"))
  .replace(/\/\/# sourceMappingURL=.*$/gm, "");

// socket.io's UMD wrapper sees `module`/`exports` and stays out of the global scope.
const js = `${banner}(function () {
var io = (function () {
var module = { exports: {} }, exports = module.exports, define;
${socketIo}
return module.exports;
})();
(function (io, STRINGS, ICONS) {
"use strict";
${read(join(here, "src", "widget.js"))}
})(io, ${JSON.stringify(strings)}, ${JSON.stringify(icons)});
})();
`;
writeFileSync(join(out, "widget", "chat.js"), js);

// --- licences -----------------------------------------------------------------------------
const licences = [
  `dkfds ${version("dkfds")} (Det Fælles Designsystem)\n\n` + read(join(pkgDir("dkfds"), "LICENSE.md")),
  `socket.io-client ${version("socket.io-client")}\n\n` + read(join(pkgDir("socket.io-client"), "LICENSE")),
];
writeFileSync(join(out, "LICENSES.txt"), licences.join("\n\n" + "-".repeat(78) + "\n\n"));

// A stamp for make: what was built from which inputs.
const digest = createHash("sha256").update(js).update(dkfdsCss).digest("hex").slice(0, 16);
writeFileSync(join(out, "built-with.txt"),
  `dkfds ${version("dkfds")}\nsocket.io-client ${version("socket.io-client")}\nchat.js ${digest}\n`);
console.log(`Built ${out}: widget/chat.js (${(js.length / 1024).toFixed(0)} kB), ` +
  `widget/chat.css, dkfds/ (${referenced.size} referenced files).`);
