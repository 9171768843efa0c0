// The assistant on the tracking page and the returns portal: the page renders the chat
// (hidden) with its parcel's token or the portal's signed order link; this script shows
// it and talks to POST /assistant/messages. Every answer is put in the log as text
// (never as markup), which is an aria-live region so screen readers read it; links are ours only (a path on this site); an action to
// confirm is a button. Nothing is loaded from anywhere else.
// Once a person has the conversation (an answer with handoff), it asks
// GET /assistant/conversations/ID/messages?after=N every 15 s or so (longer while
// nothing comes, longer still after a failure), at once when the tab comes back, and
// shows what the team wrote (labelled "Support team", never a name or address) and
// the CSAT question when they close it; it stops once the conversation is closed.
(function () {
  "use strict";
  var box = document.getElementById("assistant");
  if (!box || !window.fetch) { return; }
  var log = document.getElementById("assistant-log");
  var form = document.getElementById("assistant-form");
  var input = document.getElementById("assistant-input");
  var conversation = null;
  var QUICK = 15000, IDLE = 60000, SLOWEST = 120000;
  var handed = false, after = 0, wait = QUICK, timer = null, busy = false;

  function id() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return "w-" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function line(author, text, label) {
    var item = document.createElement("li");
    item.className = "assistant-" + author;
    if (label) {
      var who = document.createElement("p");
      who.className = "assistant-who";
      who.textContent = label;
      item.appendChild(who);
    }
    var words = document.createElement("p");
    words.textContent = text;
    item.appendChild(words);
    log.appendChild(item);
    return item;
  }

  function ours(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/";
  }

  function actions(item, list) {
    (list || []).forEach(function (action) {
      if (action.confirm && action.id) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = action.label;
        button.addEventListener("click", function () {
          button.disabled = true;
          send({ text: "", confirm: action.id }, action.label);
        });
        item.appendChild(button);
      } else if (ours(action.url)) {
        var link = document.createElement("a");
        link.href = action.url;
        link.textContent = action.label;
        item.appendChild(link);
      }
    });
  }

  function send(body, shown) {
    line("shopper", shown);
    body.client_message_id = id();
    body.locale = box.getAttribute("data-lang") || undefined;
    if (conversation) { body.conversation_id = conversation; }
    else if (box.getAttribute("data-token")) { body.token = box.getAttribute("data-token"); }
    else { body.order_token = box.getAttribute("data-order"); }
    var post = function () {
      return fetch("/assistant/messages", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      });
    };
    post().catch(post).then(function (response) {
      return response.json().then(function (data) { return [response.ok, data]; });
    }).then(function (result) {
      var data = result[1];
      if (!result[0]) {
        line("bot", (data.error && data.error.message) || box.getAttribute("data-failed"));
        return;
      }
      conversation = data.conversation_id;
      actions(line("bot", data.reply), data.actions);
      if (data.handoff && !handed) { handed = true; wait = QUICK; later(wait); }
    }).catch(function () { line("bot", box.getAttribute("data-failed")); });
  }

  function later(ms) {
    window.clearTimeout(timer);
    timer = handed ? window.setTimeout(poll, ms) : null;
  }

  function poll() {
    if (!handed || !conversation || busy) { return; }
    if (document.hidden) { later(wait); return; }
    busy = true;
    fetch("/assistant/conversations/" + encodeURIComponent(conversation) +
          "/messages?after=" + after, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        return response.json().then(function (data) { return [response.status, data]; });
      }).then(function (result) {
        busy = false;
        var data = result[1];
        if (result[0] === 404) { handed = false; later(0); return; }
        if (result[0] !== 200 || !(data.messages instanceof Array)) {
          wait = Math.min(wait * 2, SLOWEST);
          later(wait);
          return;
        }
        wait = data.messages.length ? QUICK : Math.min(Math.round(wait * 1.2), IDLE);
        data.messages.forEach(function (message) {
          if (typeof message.id !== "number" || message.id <= after) { return; }
          after = message.id;
          if (message.from === "team") {
            line("agent", String(message.text), box.getAttribute("data-team"));
          } else { line("bot", String(message.text)); }
        });
        if (data.status === "closed" || data.status === "bot") { handed = false; }
        later(wait);
      }).catch(function () {
        busy = false;
        wait = Math.min(wait * 2, SLOWEST);
        later(wait);
      });
  }

  function back() {
    if (handed && !document.hidden) { wait = QUICK; poll(); }
  }
  window.addEventListener("focus", back);
  document.addEventListener("visibilitychange", back);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send({ text: text }, text);
  });
  box.hidden = false;
})();
