// Live case lists: every few seconds, fetch the list's rows again and swap them in.
(function () {
  var body = document.querySelector("[data-live]");
  if (!body) return;
  var url = body.getAttribute("data-live");
  var every = parseInt(body.getAttribute("data-every") || "5000", 10);
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && html !== body.innerHTML) body.innerHTML = html;
      })
      .catch(function () {})
      .finally(function () { setTimeout(refresh, every); });
  }
  setTimeout(refresh, every);
})();
