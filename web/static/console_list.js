// Console case list: new-case alerts (count in the tab title, optional sound) and keys for
// the queue (j/k next/previous, o or Enter open, d dispatch). The page works without this.
(function () {
  var me = document.currentScript;
  var body = document.querySelector("#cases tbody");
  if (!body) return;

  // ---- alerts: poll a count, never case details
  var url = me && me.getAttribute("data-alerts");
  var title = document.title;
  var since = "";
  var fresh = 0;
  var sound = document.getElementById("alert-sound");
  if (sound) {
    sound.checked = localStorage.getItem("hotline.alertSound") === "1";
    sound.addEventListener("change", function () {
      localStorage.setItem("hotline.alertSound", sound.checked ? "1" : "0");
    });
  }
  function beep() {
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator();
      tone.frequency.value = 880;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.2);
    } catch (e) {}
  }
  function poll() {
    var query = since ? "?since=" + encodeURIComponent(since) : "";
    fetch(url + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        since = data.since;
        if (data["new"] > 0) {
          fresh += data["new"];
          if (sound && sound.checked) beep();
        }
        document.title = (fresh > 0 ? "(" + fresh + ") " : "") + title;
      })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 10000); });
  }
  if (url) poll();
  window.addEventListener("focus", function () { fresh = 0; document.title = title; });

  // ---- keys
  var current = null; // the selected case number, kept across live refreshes
  function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr[data-number]")); }
  function mark() {
    rows().forEach(function (row) {
      row.classList.toggle("selected", row.getAttribute("data-number") === current);
    });
  }
  function move(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.findIndex(function (row) { return row.getAttribute("data-number") === current; });
    at = Math.max(0, Math.min(all.length - 1, at < 0 ? 0 : at + step));
    current = all[at].getAttribute("data-number");
    mark();
    all[at].scrollIntoView({ block: "nearest" });
  }
  function selected() {
    return rows().find(function (row) { return row.getAttribute("data-number") === current; });
  }
  new MutationObserver(mark).observe(body, { childList: true });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) return;
    var row = selected();
    if (event.key === "j") move(1);
    else if (event.key === "k") move(-1);
    else if ((event.key === "o" || event.key === "Enter") && row) {
      window.location.href = row.getAttribute("data-href");
    } else if (event.key === "d" && row && row.getAttribute("data-dispatch")) {
      window.location.href = row.getAttribute("data-dispatch");
    } else if (event.key === "/") {
      event.preventDefault();
      document.getElementById("q").focus();
    } else return;
  });
})();
