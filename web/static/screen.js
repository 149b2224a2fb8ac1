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

  function show(state) {
    document.body.dataset.version = state.v;
    if (state.item && state.item !== shown) showItem(state.item);
    since = state.since ? Date.parse(state.since) : null;
    tick();
    $("votes").textContent = count(state.votes);
    $("joined").textContent = count(state.joined);
    $("have").textContent = state.joined === 1 ? "has" : "have";  // "1 of 1 has voted"
    revealed = Boolean(state.revealed && state.rows);
    document.body.classList.toggle("revealed", revealed);
    $("reveal").setAttribute("aria-pressed", revealed ? "true" : "false");
    $("reveal").textContent = revealed ? "Hide results" : "Reveal results";
    $("levels-caption").textContent = revealed
      ? "The five levels of this item and how the room voted"
      : "The five levels of this item";
    if (revealed) showResults(state); else clearResults();
    $("hidden-note").hidden = revealed || state.status !== "open";
    if (state.status !== "open") {
      $("status").textContent = "This workshop is " + state.status + ".";
      ["previous", "next", "reveal"].forEach(function (b) { $(b).disabled = true; });
    }
    fit();
    document.body.dataset.revealed = revealed ? "1" : "0";
  }

  function tick() {
    if (!since) { $("timer").textContent = "0:00"; return; }
    var seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
    var rest = seconds % 60;
    $("timer").textContent = Math.floor(seconds / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  // Long items: step the body text down (never below 28 px) until the whole item fits the screen; if the
  // votes by sector still do not fit, leave them to the facilitator's screen and say so.
  var LARGEST = { body: 30, statement: 34 };
  function fit() {
    var root = document.documentElement;
    var body = LARGEST.body, statement = LARGEST.statement;
    var over = function () { return root.scrollHeight > window.innerHeight; };
    function size() {
      root.style.setProperty("--body", body + "px");
      root.style.setProperty("--statement", statement + "px");
    }
    document.body.classList.remove("compact");
    size();
    while (over() && (body > 28 || statement > 28)) {
      if (statement > 30) statement -= 2; else if (body > 28) body -= 1; else statement -= 1;
      size();
    }
    document.body.classList.toggle("compact", revealed && over());
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

  setInterval(tick, 1000);
  show(data.state);
  if (window.EventSource) {
    var stream = new EventSource(data.stream);
    stream.onmessage = function (event) { show(JSON.parse(event.data)); };
  }
  document.body.dataset.ready = "1";
})();
