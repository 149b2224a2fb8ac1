// The participant's voting page: follows the room through one event stream and sends votes as JSON.
// Without this script the page still works: every button is a plain form post.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("room-data").textContent);
  var live = data.mode === "live";
  var items = data.items;
  var mine = data.mine;
  var current = data.current;
  var easy = data.easy;
  var word = live ? "vote" : "answer";
  var $ = function (id) { return document.getElementById(id); };
  // The label of an answer in the wording chosen (Easy Read has its own "don't know").
  function label(value) {
    for (var k = 0; k < data.answers.length; k++) {
      var a = data.answers[k];
      if (a.value === value) return easy ? a.easy_label : a.label;
    }
    return value;
  }
  function saidFor(value) {
    if (easy && data.saved_easy) return data.saved_easy + " (" + label(value) + ")";
    return "Your " + word + " is in: " + label(value) + ". Press another to change it.";
  }

  function indexOf(id) {
    for (var n = 0; n < items.length; n++) if (items[n].id === id) return n;
    return 0;
  }

  function say(el, text) {
    el.textContent = text;
    el.hidden = !text;
  }

  function render() {
    var n = indexOf(current);
    var item = items[n];
    $("item-position").textContent = "Item " + (n + 1) + " of " + items.length;
    $("item-title").textContent = item.title;
    $("item-statement").textContent = easy ? item.easy_statement : item.statement;
    $("vote-item").value = item.id;
    for (var level = 0; level <= 4; level++) {
      $("describe-" + level).textContent = (easy ? item.easy_levels : item.levels)[level];
    }
    data.answers.forEach(function (a) {
      var button = $("answer-" + a.value);
      var chosen = mine[item.id] === a.value;
      button.textContent = label(a.value);
      button.classList.toggle("chosen", chosen);
      button.setAttribute("aria-pressed", chosen ? "true" : "false");
    });
    say($("mine"), item.id in mine ? saidFor(mine[item.id]) : "");
    say($("error"), "");
    if (!live) {
      $("item-pick").value = item.id;
      var answered = Object.keys(mine).length;
      $("progress").textContent = answered + " of " + items.length + " items answered" +
        (answered === items.length ? ". Thank you: every item is answered. You can change any answer until the lead closes this." : "");
    }
    document.body.dataset.item = item.id;
  }

  function nextUnanswered() {
    var n = indexOf(current);
    for (var k = 1; k < items.length; k++) {
      var candidate = items[(n + k) % items.length].id;
      if (!(candidate in mine)) return candidate;
    }
    return null;
  }

  $("easy").addEventListener("change", function () {
    easy = this.checked;
    var url = new URL(window.location.href);
    if (easy) url.searchParams.set("easy", "1"); else url.searchParams.delete("easy");
    url.searchParams.delete("said");
    history.replaceState(null, "", url);
    render();
  });

  if (!live) {
    $("item-pick").addEventListener("change", function () {
      current = this.value;
      render();
      $("item-title").focus();
    });
  }
  $("item-title").setAttribute("tabindex", "-1");

  $("vote-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var button = event.submitter;
    if (!button) return;
    var item = $("vote-item").value;
    var value = button.value;
    button.setAttribute("aria-busy", "true");
    fetch("/join/vote", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ item: item, level: value })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      button.removeAttribute("aria-busy");
      if (result.body.ok) {
        mine[item] = value;
        var said = saidFor(value);
        if (!live) {
          var next = nextUnanswered();
          if (next) { current = next; render(); say($("mine"), (easy && data.saved_easy ? data.saved_easy : "Answer saved: " + label(value) + ".") + " Here is the next item."); $("item-title").focus(); return; }
        }
        render();
        say($("mine"), said);
      } else if (result.body.ended) {
        window.location.reload();
      } else {
        say($("error"), result.body.error || "The vote was not saved. Please try again.");
      }
    }).catch(function () {
      button.removeAttribute("aria-busy");
      say($("error"), "The vote could not be sent: check your connection and press again.");
    });
  });

  var bannerTimer = null;
  function announce(text) {
    var banner = $("changed");
    banner.textContent = text;
    banner.hidden = false;
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(function () { banner.hidden = true; }, 6000);
  }

  if (live && window.EventSource) {
    var stream = new EventSource("/join/events");
    stream.onmessage = function (event) {
      var state = JSON.parse(event.data);
      document.body.dataset.version = state.v;
      if (state.status !== "open") { stream.close(); window.location.reload(); return; }
      if (state.item && state.item !== current) {
        current = state.item;
        render();
        var n = indexOf(current);
        announce("Now item " + (n + 1) + ": " + items[n].title);
        if ($("item").getBoundingClientRect().top < 0) $("item").scrollIntoView({ block: "start" });
      }
    };
    // A stream the server refused (the workshop ended, or too many open: 429) is closed for good: load the page
    // again, after 3 s, then 6, 12 ... up to a minute while it keeps being refused, spread out so a room of
    // phones does not come back all at once.
    var tries = 0;
    try { tries = Number(sessionStorage.getItem("stream-retries")) || 0; } catch (e) { /* storage off */ }
    stream.onopen = function () {
      try { sessionStorage.removeItem("stream-retries"); } catch (e) { /* storage off */ }
    };
    stream.onerror = function () {
      if (stream.readyState !== EventSource.CLOSED) return;
      try { sessionStorage.setItem("stream-retries", String(tries + 1)); } catch (e) { /* storage off */ }
      var wait = Math.min(60000, 3000 * Math.pow(2, tries)) * (1 + Math.random());
      setTimeout(function () { window.location.reload(); }, wait);
    };
  }
  render();
  if (new URL(window.location.href).searchParams.get("said")) say($("mine"), new URL(window.location.href).searchParams.get("said"));
  document.body.dataset.ready = "1";
})();
