// Filters the category list as the citizen types (without JavaScript the search button does it),
// and fills the map point from the device's location when the citizen asks.
(function () {
  var input = document.getElementById("category-search");
  var select = document.getElementById("category");
  if (!input || !select) return;
  input.addEventListener("input", function () {
    var needle = input.value.trim().toLowerCase();
    var groups = select.querySelectorAll("optgroup");
    groups.forEach(function (group) {
      var shown = 0;
      group.querySelectorAll("option").forEach(function (option) {
        var hit = !needle || (option.dataset.search || "").indexOf(needle) >= 0;
        option.hidden = !hit;
        if (hit) shown += 1;
      });
      group.hidden = shown === 0;
    });
  });
})();

(function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (position) {
      document.querySelector("input[name=latitude]").value = position.coords.latitude.toFixed(6);
      document.querySelector("input[name=longitude]").value = position.coords.longitude.toFixed(6);
    });
  });
})();
