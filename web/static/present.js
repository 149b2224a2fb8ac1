// The facilitator's live count: follows the room's presenter stream; results only once revealed.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  function show(state) {
    document.body.dataset.version = state.v;
    since = state.since ? Date.parse(state.since) : null;
    tick();
    $("votes").textContent = state.votes;
    $("joined").textContent = state.joined;
    $("bar-fill").style.width = (state.joined ? Math.min(100, 100 * state.votes / state.joined) : 0) + "%";
    var status = "";
    if (state.status !== "open") status = "This workshop is " + state.status + ".";
    else if (!state.revealed) status = state.joined && state.votes >= state.joined
      ? "Everyone has voted. Reveal the results when you are ready."
      : "Results are hidden until you reveal them, so nobody anchors on others' votes.";
    $("status").textContent = status;
    var results = $("results");
    results.hidden = !(state.revealed && state.rows);
    if (results.hidden) return;
    var byAnswer = {};
    var order = [];
    state.rows.forEach(function (row) {
      if (!(row.answer in byAnswer)) { byAnswer[row.answer] = { total: 0, parts: [] }; order.push(row.answer); }
      byAnswer[row.answer].total += row.votes;
      byAnswer[row.answer].parts.push(row.sector + " " + row.votes);
    });
    order.sort();
    var most = 1;
    order.forEach(function (a) { most = Math.max(most, byAnswer[a].total); });
    var chart = $("chart");
    chart.textContent = "";
    var body = $("table").tBodies[0];
    body.textContent = "";
    order.forEach(function (answer) {
      var line = document.createElement("div");
      line.className = "chart-row";
      var name = document.createElement("span");
      name.className = "chart-label";
      name.textContent = answer;
      var bar = document.createElement("span");
      bar.className = "chart-bar level-" + answer.charAt(0);
      bar.style.width = (80 * byAnswer[answer].total / most) + "%";
      var count = document.createElement("span");
      count.className = "chart-count";
      count.textContent = byAnswer[answer].total;
      line.append(name, bar, count);
      chart.append(line);
      var row = body.insertRow();
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = answer;
      row.append(th);
      row.insertCell().textContent = byAnswer[answer].total;
      row.insertCell().textContent = byAnswer[answer].parts.join("; ");
    });
    var summary = state.summary || "";
    $("summary").textContent = summary.charAt(0).toUpperCase() + summary.slice(1) + ".";
  }
  var since = null;
  function tick() {
    if (!since) { $("timer").textContent = "0:00"; return; }
    var seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
    var rest = seconds % 60;
    $("timer").textContent = Math.floor(seconds / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }
  setInterval(tick, 1000);
  show(JSON.parse($("present-data").textContent));
  if (window.EventSource) {
    // The presenter key travels in this workshop's cookie, never in the address.
    var stream = new EventSource(document.body.dataset.stream);
    stream.onmessage = function (event) { show(JSON.parse(event.data)); };
  }
})();
