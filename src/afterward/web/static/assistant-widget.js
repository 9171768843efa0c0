// The assistant on the tracking page and the returns portal: the page renders the chat
// (hidden) with its parcel's token or the portal's signed order link; this script shows
// it and talks to POST /assistant/messages. Every answer is put in the log as text
// (never as markup), which is an aria-live region so screen readers read it; links are ours only (a path on this site); an action to
// confirm is a button. Nothing is loaded from anywhere else.
(function () {
  "use strict";
  var box = document.getElementById("assistant");
  if (!box || !window.fetch) { return; }
  var log = document.getElementById("assistant-log");
  var form = document.getElementById("assistant-form");
  var input = document.getElementById("assistant-input");
  var conversation = null;

  function id() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return "w-" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function line(author, text) {
    var item = document.createElement("li");
    item.className = "assistant-" + author;
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
    }).catch(function () { line("bot", box.getAttribute("data-failed")); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send({ text: text }, text);
  });
  box.hidden = false;
})();
