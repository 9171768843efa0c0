// The assistant on the tracking page and the returns portal: the page renders the chat
// (hidden) with its parcel's token or the portal's signed order link; this script shows
// it and talks to POST /assistant/messages through assistant-chat.js (loaded before
// it). Every answer is put in the log as text (never as markup), which is an aria-live
// region so screen readers read it; links are ours only (a path on this site); an
// action to confirm is a button. Once a person has the conversation, what the team
// writes comes from GET /assistant/conversations/ID/messages, labelled "Support team"
// (never a name or address). Nothing is loaded from anywhere else.
(function () {
  "use strict";
  var box = document.getElementById("assistant");
  if (!box || !window.fetch || typeof afterwardChat !== "function") { return; }
  var log = document.getElementById("assistant-log");
  var form = document.getElementById("assistant-form");
  var input = document.getElementById("assistant-input");
  var CLASSES = { shopper: "assistant-shopper", bot: "assistant-bot", team: "assistant-agent" };

  function line(author, text) {
    var item = document.createElement("li");
    item.className = CLASSES[author];
    if (author === "team") {
      var who = document.createElement("p");
      who.className = "assistant-who";
      who.textContent = box.getAttribute("data-team");
      item.appendChild(who);
    }
    var words = document.createElement("p");
    words.textContent = text;
    item.appendChild(words);
    log.appendChild(item);
    return item;
  }

  var chat = afterwardChat({
    send: "/assistant/messages",
    messages: function (conversation, after) {
      return "/assistant/conversations/" + encodeURIComponent(conversation) +
        "/messages?after=" + after;
    },
    request: { credentials: "same-origin" },
    body: function (body) {
      body.locale = box.getAttribute("data-lang") || undefined;
      if (body.conversation_id) { return; }
      if (box.getAttribute("data-token")) { body.token = box.getAttribute("data-token"); }
      else { body.order_token = box.getAttribute("data-order"); }
    },
    line: line,
    button: function (label) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = label;
      return button;
    },
    link: function (action) {
      var link = document.createElement("a");
      link.href = action.url;
      link.textContent = action.label;
      return link;
    },
    active: function () { return true; },
    changed: function () {},
    failed: box.getAttribute("data-failed")
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    chat.send({ text: text }, text);
  });
  box.hidden = false;
})();
