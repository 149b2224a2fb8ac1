// The presenter screen: follows the room's presenter stream (the item on screen, the count, and the
// results once revealed) and drives the room from its own controls or a clicker's Page Up / Page Down.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var data = JSON.parse($("screen-data").textContent);
  var items = data.items;
  var shown = null; // the item on screen
  var revealed = false;
  var since = null;

  function indexOf(id) {
    for (var n = 0; n < items.length; n++) if (items[n].id === id) return n;
    return 0;
  }
  function count(n) { return Number(n).toLocaleString("en-GB"); } // as checklist.formatting.count
  function votes(n) { return count(n) + (n === 1 ? " vote" : " votes"); }
  // "Lived experience (disabled person or carer)" -> "Lived experience": short enough for a chart label.
  function shortSector(name) { return name.split(" (")[0].split(",")[0]; }
  function sentence(text) { return text ? text.charAt(0).toUpperCase() + text.slice(1) + "." : ""; }

  function showItem(id) {
    var n = indexOf(id);
    var item = items[n];
    $("position").textContent = "Item " + (n + 1) + " of " + items.length + " · " + item.domain;
    $("title").textContent = item.title;
    $("statement").textContent = item.statement;
    for (var level = 0; level < data.levels.length; level++) {
      $("descriptor-" + level).textContent = item.levels[level];
    }
    $("previous").disabled = n === 0;
    $("next").disabled = n === items.length - 1;
    document.body.dataset.item = item.id;
    shown = id;
  }

  function clearResults() {
    var cells = document.querySelectorAll(".result");
    for (var k = 0; k < cells.length; k++) cells[k].textContent = "";
    $("level-dont_know").hidden = true;
    $("summary").textContent = "";
  }

  function showResults(state) {
    // rows: {sector, answer, votes}, answer being the level's label ("2 · Developing") or "Don't know".
    var answers = data.levels.concat([data.dont_know]);
    var totals = {}, parts = {};
    answers.forEach(function (a) { totals[a] = 0; parts[a] = []; });
    (state.rows || []).forEach(function (row) {
      if (!(row.answer in totals)) return;
      totals[row.answer] += row.votes;
      parts[row.answer].push(shortSector(row.sector) + " " + count(row.votes));
    });
    var most = 1;
    answers.forEach(function (a) { most = Math.max(most, totals[a]); });
    answers.forEach(function (answer, position) {
      var id = position < data.levels.length ? String(position) : "dont_know";
      var cell = $("result-" + id);
      cell.textContent = "";
      if (id === "dont_know") $("level-dont_know").hidden = totals[answer] === 0;
      var line = document.createElement("span");
      line.className = "bar-line";
      if (totals[answer]) {
        var bar = document.createElement("span");
        bar.className = "bar";
        bar.style.width = (70 * totals[answer] / most) + "%";
        bar.style.background = "var(--level-" + id + ")";
        line.append(bar);
      }
      var number = document.createElement("span");
      number.className = "count";
      number.textContent = votes(totals[answer]);
      line.append(number);
      cell.append(line);
      if (parts[answer].length) {
        var sectors = document.createElement("span");
        sectors.className = "sectors";
        sectors.textContent = parts[answer].join(" · ");
        cell.append(sectors);
      }
    });
    $("summary").textContent = sentence(state.summary || "");
  }

  // Who the facilitator waits on: the phones in the room now (not everyone who ever joined), and how many of
  // them have still to vote on this item. Until the first count arrives from the stream, it says so.
  function roomLine(room) {
    if (!room) return "Counting who is in the room…";
    if (room.here === 0) return "No phones are in the room yet";
    var still = room.here - room.voted;
    if (still === 0) return "Everyone in the room has voted (" + count(room.voted) + " of " + count(room.here) + ")";
    return count(room.voted) + " of " + count(room.here) + " in the room " + (room.voted === 1 ? "has" : "have") +
      " voted · " + count(still) + " still to vote";
  }

  function show(state) {
    document.body.dataset.version = state.v;
    if (state.item && state.item !== shown) showItem(state.item);
    since = state.since ? Date.parse(state.since) : null;
    tick();
    $("room").textContent = roomLine(state.room);
    if (state.room) {
      document.body.dataset.here = state.room.here;
      document.body.dataset.stillToVote = state.room.here - state.room.voted;
    }
    $("votes").textContent = count(state.votes);
    $("votes-word").textContent = state.votes === 1 ? "vote" : "votes";
    $("joined").textContent = count(state.joined);
    revealed = Boolean(state.revealed && state.rows);
    document.body.classList.toggle("revealed", revealed);
    $("reveal").setAttribute("aria-pressed", revealed ? "true" : "false");
    $("reveal").textContent = revealed ? "Hide results" : "Reveal results";
    $("levels-caption").textContent = revealed
      ? "The five levels of this item and how the room voted"
      : "The five levels of this item";
    if (revealed) showResults(state); else clearResults();
    $("hidden-note").hidden = revealed || state.status !== "open";
    $("closed").hidden = state.status === "open";
    if (state.status !== "open") {
      $("closed").textContent = "This workshop is " + state.status + ".";
      ["previous", "next", "reveal"].forEach(function (b) { $(b).disabled = true; });
    }
    fit();
    document.body.dataset.revealed = revealed ? "1" : "0";
  }

  function tick() {
    if (!since) { $("timer").textContent = "0:00"; return; }
    var seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
    var rest = seconds % 60;
    var text = Math.floor(seconds / 60) + ":" + (rest < 10 ? "0" : "") + rest;
    var longer = text.length !== $("timer").textContent.length;  // 9:59 -> 10:00 can wrap a line
    $("timer").textContent = text;
    if (longer && document.body.dataset.ready) fit();
  }

  // Type that fits any projector: every size on the screen is a multiple of one unit (--u in screen.css). Find
  // the largest unit, up to LARGEST, at which the whole screen fits the window without scrolling (a binary search:
  // a handful of layouts). Once revealed, if the votes by sector would be drawn under SECTORS_LEGIBLE (they are
  // .75 of the unit) or would not fit, leave them to the facilitator's screen and say so; below SMALLEST the page
  // scrolls rather than become unreadable.
  var LARGEST = 30, SECTORS_LEGIBLE = 14, SMALLEST = 12;
  function fits() {
    var page = document.scrollingElement || document.documentElement;
    return page.scrollHeight <= window.innerHeight && page.scrollWidth <= window.innerWidth;
  }
  function largestThatFits() {
    var root = document.documentElement;
    var size = function (u) { root.style.setProperty("--u", u + "px"); };
    var high = Math.min(LARGEST, window.innerWidth / 34, window.innerHeight / 22), low = SMALLEST;
    size(high);
    if (fits()) return high;
    while (high - low > 0.25) {
      var middle = (high + low) / 2;
      size(middle);
      if (fits()) low = middle; else high = middle;
    }
    size(low);
    return low;
  }
  function fit() {
    document.body.classList.remove("compact");
    var u = largestThatFits();
    if (revealed && (u * 0.75 < SECTORS_LEGIBLE || !fits())) {
      document.body.classList.add("compact");
      largestThatFits();
    }
    document.body.dataset.unit = getComputedStyle(document.documentElement).getPropertyValue("--u").trim();
  }

  // Presses are sent one after another, so two quick clicks on Next move the room two items.
  var queue = Promise.resolve();
  function press(action) {
    queue = queue.then(function () { return send(action); });
  }
  function send(action) {
    $("problem").hidden = true;
    return fetch(data.control, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ action: action }) // the presenter key is in this workshop's cookie
    }).then(function (response) {
      return response.json();
    }).then(function (body) {
      if (!body.ok) { $("problem").textContent = body.error; $("problem").hidden = false; }
    }).catch(function () {
      $("problem").textContent = "The screen could not reach the server: check the connection and press again.";
      $("problem").hidden = false;
    });
  }

  $("previous").addEventListener("click", function () { press("previous"); });
  $("next").addEventListener("click", function () { press("next"); });
  $("reveal").addEventListener("click", function () { press(revealed ? "hide" : "reveal"); });
  $("fullscreen").addEventListener("click", function () {
    if (document.fullscreenElement) document.exitFullscreen(); else document.documentElement.requestFullscreen();
  });
  document.addEventListener("fullscreenchange", function () {
    $("fullscreen").textContent = document.fullscreenElement ? "Leave full screen" : "Full screen";
    fit();
  });
  // What a presentation clicker sends, as on the Workshop page's Previous and Next buttons.
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.key === "PageDown") { event.preventDefault(); if (!$("next").disabled) press("next"); }
    else if (event.key === "PageUp") { event.preventDefault(); if (!$("previous").disabled) press("previous"); }
  });
  window.addEventListener("resize", fit);
  if (document.fonts) document.fonts.ready.then(fit);

  setInterval(tick, 1000);
  show(data.state);
  if (window.EventSource) {
    var stream = new EventSource(data.stream);
    stream.onmessage = function (event) { show(JSON.parse(event.data)); };
  }
  document.body.dataset.ready = "1";
})();
