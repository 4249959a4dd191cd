/*
 * Kommunens digitale vejleder – the web chat widget.
 *
 * web/build.mjs wraps this file in a function together with socket.io-client (`io`), the
 * Danish UI strings from strings.da.json (`STRINGS`) and a few DKFDS icons (`ICONS`), and
 * writes assistant/web/static/vendor/widget/chat.js. Nothing is added to `window`.
 *
 * Embed (one stylesheet, one script):
 *   <link rel="stylesheet" href="https://chat.example.dk/widget/chat.css">
 *   <script src="https://chat.example.dk/widget/chat.js" defer
 *           data-rasa-url="https://chat.example.dk:5005"
 *           data-municipality="Randers"></script>
 *
 * Data attributes on the <script> tag:
 *   data-rasa-url              Rasa server (socket.io channel). Default: this host, port 5005.
 *   data-socket-path           socket.io path on that server. Default: <rasa-url path>/socket.io
 *   data-municipality          sets the municipality for the session, so the assistant does
 *                              not ask; sent silently as /inform_municipality{…}.
 *   data-exit-url              where "Forlad siden" goes. Default: https://www.dr.dk/
 *   data-open="true"           open the chat when the page loads.
 *   data-session-persistence   "false" only if the server's socketio channel has
 *                              session_persistence: false. Default (true, as in this
 *                              project's credentials.yml): the random session id names the
 *                              conversation, so a reconnect continues it (the municipality
 *                              is not sent again) and the quick exit deletes all of it.
 *
 * Privacy: the conversation lives only in this page's DOM and memory. Nothing is written to
 * localStorage, sessionStorage, cookies or the page's URL; socket.io runs over WebSocket
 * only (no polling, so no cookies). The session id comes from crypto.randomUUID/
 * getRandomValues and is kept only in memory. It is also sent as `?sender=` on the socket.io
 * connection URL, because the scaled-out setup's nginx routes each conversation to one Rasa
 * replica by that parameter (deploy/nginx/assistant.conf).
 */

var script = document.currentScript || document.querySelector("script[data-rasa-url]");
if (document.querySelector("[data-kvc-root]")) {
  return; // loaded twice on the same page
}

var BURST_IDLE_MS = 900; // a reply is complete when nothing more arrived for this long
var SILENT_NO_REPLY_MS = 6000; // stop waiting for the reply to a silent message
var VISIBLE_NO_REPLY_MS = 20000;
var UNREACHABLE_DELAY_MS = 1500; // grace period before "kan ikke nås" after a disconnect
var DOUBLE_ESC_MS = 1000;
var EXIT_MIN_WAIT_MS = 120; // give the delete message time to leave …
var EXIT_MAX_WAIT_MS = 300; // … but never keep the person waiting longer than this
var MAX_MESSAGE_LENGTH = 1000;

var cfg = readConfig(script ? script.dataset : {});
var sessionId = randomId();
var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

var ui = {};
var socket = null;
var ready = false; // connected and session confirmed
var confirmedOnce = false;
var unreachable = false;
var unreachableTimer = null;
var queue = []; // messages waiting to be sent: {text, silent, kind}
var burst = null; // the reply being received: {silent, kind, count, lastEl, done}
var burstTimer = null;
var opened = false;
var lastEsc = 0;
var exiting = false;
var onExitReply = null;
var uid = randomId().slice(0, 8);

// --- configuration ---------------------------------------------------------------------

function readConfig(data) {
  var rasa = safeHttpUrl(data.rasaUrl) ||
    safeHttpUrl(location.protocol + "//" + location.hostname + ":5005");
  var rasaUrl = new URL(rasa);
  var basePath = rasaUrl.pathname.replace(/\/+$/, "");
  var municipality = (data.municipality || "").trim();
  if (!/^[A-Za-zÆØÅæøåÉéÜüÖöÄä .-]{2,40}$/.test(municipality)) {
    municipality = "";
  }
  return {
    origin: rasaUrl.origin,
    socketPath: data.socketPath || basePath + "/socket.io",
    municipality: municipality,
    exitUrl: safeHttpUrl(data.exitUrl) || "https://www.dr.dk/",
    open: data.open === "true",
    sessionPersistence: data.sessionPersistence !== "false",
  };
}

function safeHttpUrl(value) {
  if (!value) return "";
  try {
    var url = new URL(value, location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : "";
  } catch (e) {
    return "";
  }
}

function randomId() {
  var c = window.crypto;
  if (c && typeof c.randomUUID === "function") {
    return c.randomUUID().replace(/-/g, "");
  }
  var bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  var out = "";
  for (var i = 0; i < bytes.length; i++) out += (bytes[i] + 256).toString(16).slice(1);
  return out;
}

// --- DOM helpers -------------------------------------------------------------------------

function h(tag, attrs, children) {
  var el = document.createElement(tag);
  var key;
  for (key in attrs || {}) {
    var value = attrs[key];
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  (children || []).forEach(function (child) {
    if (child) el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return el;
}

function icon(name) {
  var span = h("span", { class: "kvc-icon", "aria-hidden": "true" });
  span.innerHTML = ICONS[name]; // build-time constants from dkfds (trusted markup)
  return span;
}

function srText(text) {
  return h("span", { class: "kvc-sr", text: text });
}

// --- building the widget -----------------------------------------------------------------

function mount() {
  var panelId = "kvc-panel-" + uid;
  var titleId = "kvc-title-" + uid;
  var inputId = "kvc-input-" + uid;
  var hintId = "kvc-hint-" + uid;

  ui.launcher = h("button", {
    type: "button", class: "kvc-launcher", "aria-controls": panelId,
    "aria-expanded": "false", onclick: function () { openPanel(); },
  }, [icon("chat"), h("span", { text: STRINGS.launcher })]);

  ui.exit = h("button", {
    type: "button", class: "kvc-exit", "aria-describedby": hintId,
    "aria-label": STRINGS.quickExitLabel, onclick: quickExit,
  }, [h("span", { text: STRINGS.quickExit })]);

  ui.minimize = h("button", {
    type: "button", class: "kvc-minimize", "aria-label": STRINGS.minimize,
    title: STRINGS.minimize, onclick: closePanel,
  }, [icon("minimize")]);

  ui.log = h("div", {
    class: "kvc-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": STRINGS.logLabel, tabindex: "0",
  });

  ui.alert = h("div", { class: "kvc-alert", role: "alert" });
  ui.status = h("div", { class: "kvc-sr", role: "status", "aria-live": "polite" });
  ui.typing = h("div", { class: "kvc-typing", "aria-hidden": "true", hidden: true }, [
    h("span", { class: "kvc-dot" }), h("span", { class: "kvc-dot" }),
    h("span", { class: "kvc-dot" }),
  ]);

  ui.input = h("input", {
    id: inputId, class: "kvc-input", type: "text", autocomplete: "off",
    maxlength: String(MAX_MESSAGE_LENGTH), enterkeyhint: "send",
  });
  ui.form = h("form", { class: "kvc-form", novalidate: true, onsubmit: onSubmit }, [
    h("label", { class: "kvc-label", for: inputId, text: STRINGS.inputLabel }),
    h("div", { class: "kvc-row" }, [
      ui.input,
      h("button", { type: "submit", class: "kvc-send" },
        [icon("send"), h("span", { class: "kvc-send-text", text: STRINGS.send })]),
    ]),
  ]);

  ui.panel = h("section", {
    id: panelId, class: "kvc-panel", "aria-labelledby": titleId, hidden: true,
  }, [
    h("div", { class: "kvc-header" }, [
      h("div", { class: "kvc-heading" }, [
        h("h2", { id: titleId, class: "kvc-title", text: STRINGS.title }),
        h("p", { class: "kvc-subtitle", text: STRINGS.subtitle }),
      ]),
      h("div", { class: "kvc-actions" }, [ui.exit, ui.minimize]),
    ]),
    h("p", { class: "kvc-safety" }, [
      h("strong", { text: STRINGS.safety }), " ",
      h("span", { id: hintId, text: STRINGS.quickExitHint }),
    ]),
    ui.alert,
    ui.log,
    ui.typing,
    ui.status,
    ui.form,
  ]);

  ui.root = h("div", { class: "kvc", lang: "da", "data-kvc-root": "" }, [ui.launcher, ui.panel]);
  document.body.appendChild(ui.root);
  addBotText(STRINGS.intro, true);

  document.addEventListener("keydown", onKeydown, true);
  window.addEventListener("pagehide", onPageHide);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) location.reload(); // never show a conversation from the bfcache
  });
  if (cfg.open) openPanel(true);
}

function openPanel(initial) {
  ui.panel.hidden = false;
  ui.launcher.hidden = true;
  ui.launcher.setAttribute("aria-expanded", "true");
  ui.root.classList.add("kvc--open");
  opened = true;
  if (!socket) connect();
  if (!initial) ui.input.focus();
}

function closePanel() {
  ui.panel.hidden = true;
  ui.launcher.hidden = false;
  ui.launcher.setAttribute("aria-expanded", "false");
  ui.root.classList.remove("kvc--open");
  ui.launcher.focus();
}

// --- messages in the log -----------------------------------------------------------------

function addUserText(text) {
  var el = h("div", { class: "kvc-msg kvc-msg--user" }, [
    srText(STRINGS.you + " "),
    h("div", { class: "kvc-bubble", text: text }),
  ]);
  ui.log.appendChild(el);
  scrollToBottom();
  return el;
}

function addBotText(text, first) {
  return addBotMessage({ text: text }, first);
}

function addBotMessage(message, first) {
  var el = h("div", { class: "kvc-msg kvc-msg--bot" });
  if (first) el.appendChild(srText(STRINGS.bot + " "));
  var text = typeof message === "string" ? message : message && message.text;
  if (typeof text === "string" && text.trim()) {
    var bubble = h("div", { class: "kvc-bubble" });
    renderText(bubble, text);
    el.appendChild(bubble);
  }
  var attachment = message && message.attachment;
  var src = attachment && attachment.payload && safeHttpUrl(attachment.payload.src);
  if (src) {
    el.appendChild(h("div", { class: "kvc-bubble" }, [link(src, src)]));
  }
  var buttons = message && (message.quick_replies || message.buttons);
  if (Array.isArray(buttons) && buttons.length) {
    el.appendChild(renderButtons(buttons));
    if (buttons.some(function (b) { return /^\/inform_municipality/.test(b && b.payload); })) {
      el.setAttribute("data-kvc-asks", "municipality");
    }
  }
  if (!el.querySelector(".kvc-bubble, .kvc-buttons")) return null;
  ui.log.appendChild(el);
  if (first) scrollIntoLog(el);
  return el;
}

// Bot text: lines starting with "• " become a list; URLs and phone numbers become links.
function renderText(container, text) {
  var list = null;
  text.split("\n").forEach(function (line) {
    var trimmed = line.trim();
    if (!trimmed) {
      list = null;
      return;
    }
    if (/^•\s/.test(trimmed)) {
      if (!list) {
        list = h("ul", { class: "kvc-list" });
        container.appendChild(list);
      }
      var item = h("li");
      appendInline(item, trimmed.replace(/^•\s+/, ""));
      list.appendChild(item);
    } else {
      list = null;
      var p = h("p");
      appendInline(p, trimmed);
      container.appendChild(p);
    }
  });
}

var URL_RE = new RegExp(
  "\\bhttps?://[^\\s<>\"]+" +
  "|\\bwww\\.[^\\s<>\"]+" +
  "|\\b[a-z0-9][a-z0-9-]*(?:\\.[a-z0-9-]+)*\\.(?:dk|com|org|net|eu|nu|info)\\b(?:/[^\\s<>\"]*)?",
  "gi");
var PHONE_RE = new RegExp(
  "(\\+45 ?)?\\b(\\d{2} \\d{2} \\d{2} \\d{2}|\\d{2} \\d{3} \\d{3}|\\d{8})\\b" +
  "|\\b((?:ring|Ring|på) )(112|1813|1888)\\b",
  "g");

function appendInline(el, text) {
  var last = 0;
  URL_RE.lastIndex = 0;
  var m;
  while ((m = URL_RE.exec(text)) !== null) {
    var raw = m[0];
    var start = m.index;
    var before = text.charAt(start - 1);
    var after = text.charAt(start + raw.length);
    if (before === "@" || after === "@") continue; // part of an e-mail address
    var trimmedUrl = trimUrl(raw);
    appendPhones(el, text.slice(last, start));
    var href = /^https?:\/\//i.test(trimmedUrl) ? trimmedUrl : "https://" + trimmedUrl;
    el.appendChild(link(href, trimmedUrl));
    last = start + trimmedUrl.length;
    URL_RE.lastIndex = last;
  }
  appendPhones(el, text.slice(last));
}

function trimUrl(url) {
  while (url.length) {
    var ch = url.charAt(url.length - 1);
    if (".,;:!?»\"'".indexOf(ch) >= 0) {
      url = url.slice(0, -1);
    } else if (ch === ")" && (url.match(/\(/g) || []).length < (url.match(/\)/g) || []).length) {
      url = url.slice(0, -1);
    } else {
      break;
    }
  }
  return url;
}

function appendPhones(el, text) {
  var last = 0;
  PHONE_RE.lastIndex = 0;
  var m;
  while ((m = PHONE_RE.exec(text)) !== null) {
    var start = m.index;
    var number;
    var shown;
    if (m[2]) {
      shown = (m[1] || "") + m[2];
      number = "+45" + m[2].replace(/\s/g, "");
    } else {
      start += m[3].length; // keep "ring " as text
      shown = m[4];
      number = m[4];
    }
    el.appendChild(document.createTextNode(text.slice(last, start)));
    el.appendChild(h("a", { class: "kvc-link", href: "tel:" + number, text: shown }));
    last = start + shown.length;
  }
  el.appendChild(document.createTextNode(text.slice(last)));
}

function link(href, text) {
  return h("a", {
    class: "kvc-link", href: href, target: "_blank", rel: "noopener noreferrer",
  }, [text, srText(" " + STRINGS.newWindow)]);
}

function renderButtons(buttons) {
  var group = h("div", { class: "kvc-buttons", role: "group", "aria-label": STRINGS.buttonsLabel });
  buttons.forEach(function (b) {
    var title = b && typeof b.title === "string" ? b.title : "";
    var payload = b && typeof b.payload === "string" ? b.payload : title;
    if (!title) return;
    group.appendChild(h("button", {
      type: "button", class: "kvc-choice", text: title,
      onclick: function () { sendVisible(payload, title); },
    }));
  });
  return group;
}

function addFeedback(messageEl) {
  if (!messageEl || !messageEl.parentNode) return;
  var qId = "kvc-fq-" + randomId().slice(0, 8);
  var question = h("span", { id: qId, class: "kvc-feedback-q", text: STRINGS.feedbackQuestion });
  var row = h("div", { class: "kvc-feedback", role: "group", "aria-labelledby": qId }, [question]);
  [["up", "👍", STRINGS.feedbackUp], ["down", "👎", STRINGS.feedbackDown]].forEach(function (f) {
    row.appendChild(h("button", {
      type: "button", class: "kvc-thumb", "aria-label": f[2], title: f[2],
      "aria-pressed": "false", "data-value": f[0],
      onclick: function (event) { giveFeedback(row, question, event.currentTarget, f[0]); },
    }, [h("span", { "aria-hidden": "true", text: f[1] })]));
  });
  messageEl.appendChild(row);
}

function giveFeedback(row, question, button, value) {
  if (row.getAttribute("data-sent")) return;
  row.setAttribute("data-sent", value);
  button.setAttribute("aria-pressed", "true");
  Array.prototype.forEach.call(row.querySelectorAll("button"), function (b) {
    b.setAttribute("aria-disabled", "true");
  });
  question.textContent = STRINGS.feedbackThanks;
  announce(STRINGS.feedbackThanks);
  enqueue({ text: "/feedback" + JSON.stringify({ value: value }), silent: true, kind: "feedback" });
}

function scrollToBottom() {
  ui.log.scrollTop = ui.log.scrollHeight;
}

function scrollIntoLog(el) {
  // Show the start of a new answer (long answers are read from the top).
  var top = el.getBoundingClientRect().top - ui.log.getBoundingClientRect().top;
  var target = ui.log.scrollTop + top - 8;
  if (target <= ui.log.scrollTop) return;
  if (ui.log.scrollTo && !(reduceMotion && reduceMotion.matches)) {
    ui.log.scrollTo({ top: target, behavior: "smooth" });
  } else {
    ui.log.scrollTop = target;
  }
}

function announce(text) {
  var status = ui.status;
  if (!status) return;
  status.textContent = "";
  setTimeout(function () {
    if (status.isConnected) status.textContent = text; // re-set, so it is read again
  }, 60);
}

function showTyping(on) {
  ui.typing.hidden = !on;
}

// --- sending -----------------------------------------------------------------------------

function onSubmit(event) {
  event.preventDefault();
  var text = ui.input.value.trim();
  if (!text) {
    announce(STRINGS.empty);
    ui.input.focus();
    return;
  }
  if (sendVisible(text, text)) ui.input.value = "";
  ui.input.focus();
}

// A message the person sends: shown as a bubble (title), sent as payload.
function sendVisible(payload, shown) {
  if (exiting) return false;
  if (unreachable && !ready) {
    announce(STRINGS.notSent);
    return false;
  }
  addUserText(shown);
  enqueue({ text: payload, silent: false, kind: "message" });
  return true;
}

function enqueue(item, first) {
  if (first) queue.unshift(item);
  else queue.push(item);
  pump();
}

// Replies carry no reference to the message they answer, but Rasa answers one
// conversation's messages in order. A silent message (municipality, feedback) is therefore
// only sent when the reply before it is complete, and the next message only after the
// silent one's reply is complete, so its reply can be recognised and left out.
function pump() {
  while (ready && queue.length) {
    var next = queue[0];
    var busy = burst && !burst.done;
    if (busy && (burst.silent || next.silent)) return;
    queue.shift();
    startBurst(next);
    socket.emit("user_uttered", { message: next.text, session_id: sessionId });
  }
}

function startBurst(item) {
  burst = { silent: item.silent, kind: item.kind, count: 0, lastEl: null, done: false };
  if (!item.silent) {
    showTyping(true);
    announce(STRINGS.typing);
  }
  armBurstTimer(item.silent ? SILENT_NO_REPLY_MS : VISIBLE_NO_REPLY_MS);
}

function armBurstTimer(ms) {
  clearTimeout(burstTimer);
  burstTimer = setTimeout(endBurst, ms);
}

function endBurst() {
  var b = burst;
  if (!b || b.done) return;
  b.done = true;
  showTyping(false);
  if (!b.silent && b.lastEl && !isQuestionOnly(b)) addFeedback(b.lastEl);
  pump();
}

// A reply that only asks something back gets no 👍/👎: the municipality question (its
// buttons set the municipality) or a single message that ends with a question mark.
function isQuestionOnly(b) {
  if (b.lastEl.hasAttribute("data-kvc-asks")) return true;
  if (b.count !== 1) return false;
  var bubble = b.lastEl.querySelector(".kvc-bubble");
  return !!bubble && /\?\s*$/.test(bubble.textContent);
}

function onBotMessage(message) {
  if (exiting) {
    if (onExitReply) onExitReply();
    return;
  }
  if (burst && !burst.done) {
    burst.count += 1;
    armBurstTimer(BURST_IDLE_MS);
    if (burst.silent) return; // the reply to a silent message is not shown
    var el = addBotMessage(message, burst.count === 1);
    if (el) burst.lastEl = el;
    return;
  }
  // A message that came after its reply was thought complete.
  burst = { silent: false, kind: "late", count: 1, lastEl: null, done: false };
  burst.lastEl = addBotMessage(message, true);
  armBurstTimer(BURST_IDLE_MS);
}

// --- connection --------------------------------------------------------------------------

function connect() {
  socket = io(cfg.origin, {
    path: cfg.socketPath,
    transports: ["websocket"], // no long-polling: no cookies
    withCredentials: false,
    // nginx (scaled out) hashes on ?sender= to keep a conversation on one Rasa replica.
    query: { sender: sessionId },
    reconnection: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    timeout: 8000,
  });
  socket.on("connect", function () {
    socket.emit("session_request", { session_id: sessionId });
  });
  socket.on("session_confirm", onSessionConfirm);
  socket.on("bot_uttered", onBotMessage);
  socket.on("disconnect", function (reason) {
    ready = false;
    if (exiting) return;
    if (burst && !burst.done) endBurst();
    showTyping(false);
    if (reason === "io server disconnect") socket.connect();
    scheduleUnreachable(UNREACHABLE_DELAY_MS);
  });
  socket.on("connect_error", function () {
    if (exiting) return;
    scheduleUnreachable(confirmedOnce ? UNREACHABLE_DELAY_MS : 0);
  });
}

function onSessionConfirm() {
  if (exiting) return;
  var fresh = !confirmedOnce || !cfg.sessionPersistence;
  confirmedOnce = true;
  ready = true;
  clearTimeout(unreachableTimer);
  unreachableTimer = null;
  if (unreachable) {
    unreachable = false;
    ui.alert.textContent = "";
    announce(STRINGS.reconnected);
  }
  if (fresh && cfg.municipality) {
    // A new conversation on the server: tell it the municipality, without a user bubble.
    var text = "/inform_municipality" + JSON.stringify({ municipality: cfg.municipality });
    enqueue({ text: text, silent: true, kind: "municipality" }, true);
  } else {
    pump();
  }
}

function scheduleUnreachable(delay) {
  if (unreachable || unreachableTimer) return;
  unreachableTimer = setTimeout(function () {
    unreachableTimer = null;
    if (!ready && !exiting) showUnreachable();
  }, delay);
}

function showUnreachable() {
  unreachable = true;
  showTyping(false);
  ui.alert.textContent = STRINGS.unreachable; // plain text: 112 and the hotlines
}

// --- leaving quickly ---------------------------------------------------------------------

function onKeydown(event) {
  if (event.key !== "Escape" && event.key !== "Esc") return;
  if (!opened || exiting) return;
  var now = Date.now();
  if (now - lastEsc <= DOUBLE_ESC_MS) {
    event.preventDefault();
    quickExit();
    return;
  }
  lastEsc = now;
  announce(STRINGS.escAgain);
}

// "Forlad siden": wipe the chat from the page, ask the server to delete the conversation
// and replace this page in the history with a neutral site (Back does not return).
function quickExit() {
  if (exiting) return;
  exiting = true;
  var started = Date.now();
  var gone = false;
  queue = [];
  clearTimeout(burstTimer);
  clearTimeout(unreachableTimer);
  document.removeEventListener("keydown", onKeydown, true);
  if (ui.root && ui.root.parentNode) ui.root.parentNode.removeChild(ui.root);
  ui = {};

  function leave() {
    if (gone) return;
    gone = true;
    try {
      if (socket) socket.disconnect();
    } catch (e) { /* leaving anyway */ }
    window.location.replace(cfg.exitUrl);
  }

  if (socket && socket.connected) {
    socket.emit("user_uttered", { message: "/delete_conversation", session_id: sessionId });
    onExitReply = function () {
      setTimeout(leave, Math.max(0, EXIT_MIN_WAIT_MS - (Date.now() - started)));
    };
    setTimeout(leave, EXIT_MAX_WAIT_MS);
  } else {
    leave();
  }
}

function onPageHide(event) {
  if (exiting || !ui.root) return;
  // Leaving the page some other way: take the conversation off the page before the
  // browser may keep it in its back/forward cache.
  if (event.persisted) {
    Array.prototype.forEach.call(ui.log.querySelectorAll(".kvc-msg"), function (m) {
      m.parentNode.removeChild(m);
    });
    if (socket) socket.disconnect();
  }
}

if (document.body) mount();
else document.addEventListener("DOMContentLoaded", mount);
