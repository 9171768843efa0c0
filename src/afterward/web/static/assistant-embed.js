// The assistant's chat on a store's own site, from one tag:
//   <script src="(Afterward's address)/embed/STORE/assistant.js" async></script>
// Afterward serves this file after assistant-chat.js (what it shares with the chat on
// our own pages), both inside one function, with the store's settings in place of
// CONFIG below. It draws a button and a chat panel in a shadow root (the page's CSS
// cannot reach in, ours cannot leak out), loads nothing, and posts the shopper's messages to
// /embed/STORE/messages on the server this script came from (no cookies). Every answer
// is put in the log as text, never markup; the log is an aria-live region. Escape
// closes the panel and gives the focus back to the button. Phone first: the panel
// takes the whole width of a narrow screen. Once a person has the conversation, it
// asks /embed/STORE/conversations/ID/messages?after=N while the panel is open, every
// 15 s or so (longer while nothing comes, longer still after a failure) and at once
// when the tab comes back, and shows the team's answers (labelled "Support team",
// never a name or address) and the CSAT question when they close it.
(function (config) {
  "use strict";
  if (!config || !window.fetch || !document.documentElement.attachShadow) { return; }
  var script = document.currentScript || document.querySelector(
    'script[src*="/embed/' + config.store + '/assistant.js"]');
  var base = script && script.src ? new URL(script.src).origin : "";
  if (!base || document.querySelector("[data-afterward-assistant]")) { return; }
  if ((config.origins || []).indexOf(window.location.origin) < 0) {
    if (window.console) {
      window.console.warn("Afterward: " + window.location.origin + " may not embed the " +
                          "chat of " + config.store + " (afterward assistant embed " +
                          config.store + " --origin " + window.location.origin + ")");
    }
    return;
  }

  function language() {
    var wanted = [document.documentElement.lang || ""];
    wanted = wanted.concat(navigator.languages || [navigator.language || ""]);
    for (var i = 0; i < wanted.length; i++) {
      var primary = String(wanted[i]).toLowerCase().split(/[-_]/)[0];
      if (primary === "pt") { return "pt_BR"; }
      if (primary === "en" || primary === "de" || primary === "fr") { return primary; }
    }
    return config.words[config.locale] ? config.locale : "en";
  }
  var lang = language();
  var words = config.words[lang] || config.words.en;

  var CSS = [
    ":host{all:initial}",
    ".aw{font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f24}",
    ".aw *,.aw *::before,.aw *::after{box-sizing:border-box}",
    ".aw button,.aw input{font:inherit;color:inherit}",
    ".launch{position:fixed;right:12px;bottom:12px;z-index:2147483000;min-height:48px;",
    "max-width:calc(100vw - 24px);padding:10px 18px;border:0;border-radius:24px;",
    "background:" + config.primary + ";color:" + config.on_primary + ";font-weight:600;",
    "cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.3)}",
    ".panel{position:fixed;left:0;right:0;bottom:0;z-index:2147483001;display:flex;",
    "flex-direction:column;width:100%;max-height:85vh;background:#fff;",
    "border-top:1px solid #c4ccd6;border-radius:12px 12px 0 0;",
    "box-shadow:0 -2px 16px rgba(0,0,0,.25)}",
    ".panel[hidden]{display:none}",
    ".head{display:flex;align-items:center;justify-content:space-between;gap:8px;",
    "padding:8px 8px 8px 16px;background:" + config.primary + ";color:" + config.on_primary + ";",
    "border-radius:12px 12px 0 0}",
    "h2{margin:0;font-size:18px;font-weight:600}",
    ".close{min-width:44px;min-height:44px;border:0;background:transparent;",
    "color:" + config.on_primary + ";font-size:24px;line-height:1;cursor:pointer}",
    ".log{list-style:none;margin:0;padding:12px 16px;overflow-y:auto;flex:1 1 auto;",
    "min-height:120px}",
    ".log li{margin:8px 0;padding:8px 12px;border-radius:8px;overflow-wrap:anywhere}",
    ".log p{margin:0 0 4px}",
    ".shopper{background:#eef2f7;margin-left:32px}",
    ".bot{border:1px solid #c4ccd6;margin-right:32px}",
    ".team{border:1px solid #0b4f8a;margin-right:32px}",
    ".who{font-weight:600;font-size:14px}",
    ".log a{display:inline-block;margin:4px 8px 0 0;color:#0b4f8a}",
    ".log button{display:inline-block;margin:4px 8px 0 0;min-height:44px;padding:6px 14px;",
    "border:1px solid #0b4f8a;border-radius:6px;background:#fff;color:#0b4f8a;cursor:pointer}",
    "form{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end;padding:12px 16px 16px;",
    "border-top:1px solid #e1e6ec}",
    "label{flex-basis:100%;font-weight:600}",
    "input{flex:1 1 10em;min-width:0;min-height:44px;padding:8px 10px;",
    "border:1px solid #6b7685;border-radius:6px;background:#fff}",
    "form button{min-height:44px;padding:8px 16px;border:0;border-radius:6px;",
    "background:" + config.primary + ";color:" + config.on_primary + ";font-weight:600;",
    "cursor:pointer}",
    ":focus-visible{outline:3px solid #1a73e8;outline-offset:2px}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);",
    "white-space:nowrap}",
    "@media (min-width:600px){.panel{left:auto;right:16px;bottom:72px;width:380px;",
    "max-height:70vh;border:1px solid #c4ccd6;border-radius:12px}",
    ".launch{right:16px;bottom:16px}}"
  ].join("");

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) { node.textContent = text; }
    return node;
  }

  var host = el("div", { "data-afterward-assistant": "" });
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (ignored) { root.appendChild(el("style", {}, CSS)); }
  } else { root.appendChild(el("style", {}, CSS)); }

  var box = el("div", { "class": "aw", lang: lang.replace("_", "-") });
  var launch = el("button", { type: "button", "class": "launch", "aria-expanded": "false",
                              "aria-controls": "aw-panel" }, words.open);
  var panel = el("section", { id: "aw-panel", "class": "panel", role: "dialog",
                              "aria-modal": "false", "aria-labelledby": "aw-title" });
  panel.hidden = true;
  var head = el("div", { "class": "head" });
  head.appendChild(el("h2", { id: "aw-title" }, words.title));
  var close = el("button", { type: "button", "class": "close", "aria-label": words.close },
                 "\u00d7");
  head.appendChild(close);
  var log = el("ol", { "class": "log", "aria-live": "polite", "aria-label": words.title });
  var form = el("form", {});
  form.appendChild(el("label", { "for": "aw-input" }, words.question));
  var input = el("input", { id: "aw-input", name: "text", maxlength: "4000",
                            autocomplete: "off", required: "" });
  form.appendChild(input);
  form.appendChild(el("button", { type: "submit" }, words.send));
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(form);
  box.appendChild(launch);
  box.appendChild(panel);
  root.appendChild(box);

  var greeted = false;
  // The conversation goes on over the store's page loads in this tab: its id and the
  // words said (not the buttons) are kept in the tab's sessionStorage, at most 40 lines.
  var KEPT = "afterward-assistant:" + config.store;
  var said = [];
  var chat = null;

  function keep() {
    try {
      window.sessionStorage.setItem(KEPT, JSON.stringify(
        { conversation: chat.state.conversation, lang: lang, said: said.slice(-40),
          handed: chat.state.handed, after: chat.state.after }));
    } catch (ignored) { /* storage off or full: this page only */ }
  }

  function kept() {
    try {
      var value = JSON.parse(window.sessionStorage.getItem(KEPT) || "null");
      return value && typeof value.conversation === "string" && value.said instanceof Array
        ? value : null;
    } catch (ignored) { return null; }
  }

  function line(author, text) {
    var item = el("li", { "class": author });
    if (author === "team") { item.appendChild(el("p", { "class": "who" }, words.team)); }
    item.appendChild(el("p", {}, text));
    log.appendChild(item);
    said.push([author, text]);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  var store = base + "/embed/" + encodeURIComponent(config.store);
  chat = afterwardChat({
    send: store + "/messages",
    messages: function (conversation, after) {
      return store + "/conversations/" + encodeURIComponent(conversation) +
        "/messages?after=" + after;
    },
    request: { mode: "cors", credentials: "omit" },
    body: function (body) { body.locale = lang; },
    line: line,
    button: function (label) { return el("button", { type: "button" }, label); },
    link: function (action) {
      var link = el("a", { href: base + action.url, target: "_blank", rel: "noopener" },
                    action.label);
      link.appendChild(el("span", { "class": "sr" }, " " + words.new_tab));
      return link;
    },
    active: function () { return !panel.hidden; },
    changed: keep,
    failed: words.failed
  });

  function open() {
    panel.hidden = false;
    launch.setAttribute("aria-expanded", "true");
    if (!greeted) { line("bot", words.hello); greeted = true; }
    input.focus();
    chat.back();
  }

  function shut() {
    panel.hidden = true;
    launch.setAttribute("aria-expanded", "false");
    chat.later(0);
    launch.focus();
  }

  launch.addEventListener("click", function () {
    if (panel.hidden) { open(); } else { shut(); }
  });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      event.preventDefault();
      shut();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    chat.send({ text: text }, text);
  });

  var before = kept();
  if (before && before.lang === lang) {  // before the log is on the page: not read out
    chat.state.conversation = before.conversation;
    greeted = true;
    chat.state.handed = before.handed === true;
    chat.state.after = typeof before.after === "number" && before.after >= 0
      ? before.after : 0;
    before.said.forEach(function (pair) {
      if (pair instanceof Array && typeof pair[1] === "string") {
        line(pair[0] === "shopper" || pair[0] === "team" ? pair[0] : "bot", pair[1]);
      }
    });
  }

  function attach() { document.body.appendChild(host); }
  if (document.body) { attach(); } else { document.addEventListener("DOMContentLoaded", attach); }
})(/*CONFIG*/null);
