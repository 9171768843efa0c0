// The assistant's chat on a store's own site, from one tag:
//   <script src="(Afterward's address)/embed/STORE/assistant.js" async></script>
// Afterward serves this file with the store's settings in place of CONFIG below. It
// draws a button and a chat panel in a shadow root (the page's CSS cannot reach in,
// ours cannot leak out), loads nothing, and posts the shopper's messages to
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
  var endpoint = base + "/embed/" + encodeURIComponent(config.store) + "/messages";
  var QUICK = 15000, IDLE = 60000, SLOWEST = 120000;
  var handed = false, after = 0, wait = QUICK, timer = null, busy = false;

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

  var conversation = null;
  var greeted = false;
  // The conversation goes on over the store's page loads in this tab: its id and the
  // words said (not the buttons) are kept in the tab's sessionStorage, at most 40 lines.
  var KEPT = "afterward-assistant:" + config.store;
  var said = [];

  function keep() {
    try {
      window.sessionStorage.setItem(KEPT, JSON.stringify(
        { conversation: conversation, lang: lang, said: said.slice(-40), handed: handed,
          after: after }));
    } catch (ignored) { /* storage off or full: this page only */ }
  }

  function kept() {
    try {
      var value = JSON.parse(window.sessionStorage.getItem(KEPT) || "null");
      return value && typeof value.conversation === "string" && value.said instanceof Array
        ? value : null;
    } catch (ignored) { return null; }
  }

  function id() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return "e-" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
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

  function ours(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/";
  }

  function actions(item, list) {
    (list || []).forEach(function (action) {
      if (action.confirm && action.id) {
        var button = el("button", { type: "button" }, action.label);
        button.addEventListener("click", function () {
          button.disabled = true;
          send({ text: "", confirm: action.id }, action.label);
        });
        item.appendChild(button);
      } else if (ours(action.url)) {
        var link = el("a", { href: base + action.url, target: "_blank", rel: "noopener" },
                      action.label);
        link.appendChild(el("span", { "class": "sr" }, " " + words.new_tab));
        item.appendChild(link);
      }
    });
  }

  function send(body, shown) {
    line("shopper", shown);
    body.client_message_id = id();
    body.locale = lang;
    if (conversation) { body.conversation_id = conversation; }
    var post = function () {
      return fetch(endpoint, {
        method: "POST", mode: "cors", credentials: "omit",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      });
    };
    post().catch(post).then(function (response) {
      return response.json().then(function (data) { return [response.ok, data]; });
    }).then(function (result) {
      var data = result[1];
      if (!result[0]) {
        if (data.error && data.error.code === "conversation_not_found") {
          conversation = null;  // gone (another store's, or erased): start afresh
          handed = false;
          after = 0;
        }
        line("bot", (data.error && data.error.message) || words.failed);
        keep();
        return;
      }
      conversation = data.conversation_id;
      actions(line("bot", data.reply), data.actions);
      if (data.handoff && !handed) { handed = true; wait = QUICK; later(wait); }
      keep();
    }).catch(function () { line("bot", words.failed); });
  }

  function later(ms) {
    window.clearTimeout(timer);
    timer = handed && !panel.hidden ? window.setTimeout(poll, ms) : null;
  }

  function poll() {
    if (!handed || !conversation || busy || panel.hidden) { return; }
    if (document.hidden) { later(wait); return; }
    busy = true;
    fetch(base + "/embed/" + encodeURIComponent(config.store) + "/conversations/" +
          encodeURIComponent(conversation) + "/messages?after=" + after,
          { mode: "cors", credentials: "omit", cache: "no-store" })
      .then(function (response) {
        return response.json().then(function (data) { return [response.status, data]; });
      }).then(function (result) {
        busy = false;
        var data = result[1];
        if (result[0] === 404) {
          handed = false;  // gone (erased): the next message starts afresh
          if (data.error && data.error.code === "conversation_not_found") {
            conversation = null;
            after = 0;
          }
          keep();
          return;
        }
        if (result[0] !== 200 || !(data.messages instanceof Array)) {
          wait = Math.min(wait * 2, SLOWEST);
          later(wait);
          return;
        }
        wait = data.messages.length ? QUICK : Math.min(Math.round(wait * 1.2), IDLE);
        data.messages.forEach(function (message) {
          if (typeof message.id !== "number" || message.id <= after) { return; }
          after = message.id;
          line(message.from === "team" ? "team" : "bot", String(message.text));
        });
        if (data.status === "closed" || data.status === "bot") { handed = false; }
        keep();
        later(wait);
      }).catch(function () {
        busy = false;
        wait = Math.min(wait * 2, SLOWEST);
        later(wait);
      });
  }

  function back() {
    if (handed && !panel.hidden && !document.hidden) { wait = QUICK; poll(); }
  }
  window.addEventListener("focus", back);
  document.addEventListener("visibilitychange", back);

  function open() {
    panel.hidden = false;
    launch.setAttribute("aria-expanded", "true");
    if (!greeted) { line("bot", words.hello); greeted = true; }
    input.focus();
    back();
  }

  function shut() {
    panel.hidden = true;
    launch.setAttribute("aria-expanded", "false");
    later(0);
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
    send({ text: text }, text);
  });

  var before = kept();
  if (before && before.lang === lang) {  // before the log is on the page: not read out
    conversation = before.conversation;
    greeted = true;
    handed = before.handed === true;
    after = typeof before.after === "number" && before.after >= 0 ? before.after : 0;
    before.said.forEach(function (pair) {
      if (pair instanceof Array && typeof pair[1] === "string") {
        line(pair[0] === "shopper" || pair[0] === "team" ? pair[0] : "bot", pair[1]);
      }
    });
  }

  function attach() { document.body.appendChild(host); }
  if (document.body) { attach(); } else { document.addEventListener("DOMContentLoaded", attach); }
})(/*CONFIG*/null);
