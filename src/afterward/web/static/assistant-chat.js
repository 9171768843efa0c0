// What the assistant's two chats share: the one on our tracking page and returns portal
// (assistant-widget.js) and the one on a store's own site (assistant-embed.js, served
// with this file inside it, so nothing of it is left on the store's page).
// It sends a message (once more if the network dropped it), offers an answer's actions
// (a button to confirm, a link that is ours), and once a person has the conversation
// (an answer with handoff) asks for what they wrote every 15 s or so (longer while
// nothing comes, longer still after a failure) and at once when the tab comes back,
// until the conversation is closed. It draws nothing itself: each chat gives it
//   send       the URL messages are POSTed to
//   messages   function (conversation, after): the URL of what was written after `after`
//   request    fetch options of its own (credentials, CORS)
//   body       function (body): adds its fields to a message (locale, the order's link)
//   line       function (author, text): shows a line ("shopper", "bot" or "team"), as
//              text, never markup; returns it, for the actions
//   button     function (label): a button for an action to confirm
//   link       function (action): the link of an action whose URL is a path of ours
//   active     function (): whether it may ask for messages now (its panel is open)
//   changed    function (): the state moved (the embed keeps it for the next page)
//   failed     what to say when the server cannot be reached
function afterwardChat(chat) {
  "use strict";
  var QUICK = 15000, IDLE = 60000, SLOWEST = 120000;
  var state = { conversation: null, handed: false, after: 0 };
  var wait = QUICK, timer = null, busy = false;

  function id() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return "c-" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function ours(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/";
  }

  function options(extra) {
    var all = {};
    Object.keys(chat.request || {}).forEach(function (key) { all[key] = chat.request[key]; });
    Object.keys(extra).forEach(function (key) { all[key] = extra[key]; });
    return all;
  }

  function forget() {  // gone (another store's, or erased): the next message starts afresh
    state.conversation = null;
    state.handed = false;
    state.after = 0;
  }

  function actions(item, list) {
    (list || []).forEach(function (action) {
      if (action.confirm && action.id) {
        var button = chat.button(action.label);
        button.addEventListener("click", function () {
          button.disabled = true;
          send({ text: "", confirm: action.id }, action.label);
        });
        item.appendChild(button);
      } else if (ours(action.url)) {
        item.appendChild(chat.link(action));
      }
    });
  }

  function send(body, shown) {
    chat.line("shopper", shown);
    body.client_message_id = id();
    if (state.conversation) { body.conversation_id = state.conversation; }
    chat.body(body);
    var post = function () {
      return fetch(chat.send, options({
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body)
      }));
    };
    post().catch(post).then(function (response) {
      return response.json().then(function (data) { return [response.ok, data]; });
    }).then(function (result) {
      var data = result[1];
      if (!result[0]) {
        if (data.error && data.error.code === "conversation_not_found") { forget(); }
        chat.line("bot", (data.error && data.error.message) || chat.failed);
        chat.changed();
        return;
      }
      state.conversation = data.conversation_id;
      actions(chat.line("bot", data.reply), data.actions);
      if (data.handoff && !state.handed) { state.handed = true; wait = QUICK; later(wait); }
      chat.changed();
    }).catch(function () { chat.line("bot", chat.failed); });
  }

  function later(ms) {
    window.clearTimeout(timer);
    timer = state.handed && chat.active() ? window.setTimeout(poll, ms) : null;
  }

  function slower() {
    busy = false;
    wait = Math.min(wait * 2, SLOWEST);
    later(wait);
  }

  function poll() {
    if (!state.handed || !state.conversation || busy || !chat.active()) { return; }
    if (document.hidden) { later(wait); return; }
    busy = true;
    fetch(chat.messages(state.conversation, state.after), options({ cache: "no-store" }))
      .then(function (response) {
        return response.json().then(function (data) { return [response.status, data]; });
      }).then(function (result) {
        var data = result[1];
        if (result[0] === 404) {
          busy = false;
          state.handed = false;  // gone (erased): the next message starts afresh
          if (data.error && data.error.code === "conversation_not_found") { forget(); }
          chat.changed();
          return;
        }
        if (result[0] !== 200 || !(data.messages instanceof Array)) { slower(); return; }
        busy = false;
        wait = data.messages.length ? QUICK : Math.min(Math.round(wait * 1.2), IDLE);
        data.messages.forEach(function (message) {
          if (typeof message.id !== "number" || message.id <= state.after) { return; }
          state.after = message.id;
          chat.line(message.from === "team" ? "team" : "bot", String(message.text));
        });
        if (data.status === "closed" || data.status === "bot") { state.handed = false; }
        chat.changed();
        later(wait);
      }).catch(slower);
  }

  function back() {
    if (state.handed && chat.active() && !document.hidden) { wait = QUICK; poll(); }
  }
  window.addEventListener("focus", back);
  document.addEventListener("visibilitychange", back);

  return { state: state, send: send, later: later, back: back };
}
