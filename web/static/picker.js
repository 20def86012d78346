// Filters the category list as the citizen types (without JavaScript the search button posts
// the form back with the matches). Chinese matches anywhere in a name; Latin letters only at
// the start of a word, so "road" finds "Roads" but not "abroad" or "broadband".
(function () {
  var input = document.getElementById("category-search");
  var select = document.getElementById("category");
  if (!input || !select) return;
  function escape(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  function matcher(needle) {
    needle = needle.trim().toLowerCase().split(/\s+/).join(" ");
    if (!needle) return function () { return true; };
    if (!/[a-z0-9]/.test(needle)) return function (text) { return text.indexOf(needle) >= 0; };
    var pattern = new RegExp("(^|[^a-z0-9])" + escape(needle));
    return function (text) { return pattern.test(text); };
  }
  input.addEventListener("input", function () {
    var hit = matcher(input.value);
    select.querySelectorAll("optgroup").forEach(function (group) {
      var shown = 0;
      group.querySelectorAll("option").forEach(function (option) {
        var found = hit(option.dataset.search || "");
        option.hidden = !found;
        if (found) shown += 1;
      });
      group.hidden = shown === 0;
    });
  });
})();
