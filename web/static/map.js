// The report form's map: tap or drag a pin to fill the form's latitude/longitude (WGS-84), say
// which district and street that is, show the cases being handled nearby and list those of the
// same category as possible duplicates. Without JavaScript (or Leaflet) the boxes stay.
(function () {
  var box = document.getElementById("map");
  if (!box || !window.L) return;
  var lat = document.getElementById("latitude");
  var lon = document.getElementById("longitude");
  var district = document.getElementById("district");
  var said = document.getElementById("pin-place");
  var category = document.getElementById("category");
  var duplicates = document.getElementById("duplicates");
  var list = document.getElementById("duplicate-list");
  var d = box.dataset;
  var centre = d.center.split(",").map(Number);

  box.hidden = false;
  document.getElementById("map-hint").hidden = false;
  document.getElementById("point-boxes").hidden = true;
  var map = L.map(box).setView(centre, Number(d.zoom));
  L.tileLayer(d.tiles, { attribution: d.attribution, maxZoom: 19 }).addTo(map);
  var pin = null;
  var others = L.layerGroup().addTo(map);
  var nearby = [];

  function place(point) {
    lat.value = point.lat.toFixed(6);
    lon.value = point.lng.toFixed(6);
    if (!pin) {
      pin = L.marker(point, { draggable: true, title: "pin" }).addTo(map);
      pin.on("dragend", function () { place(pin.getLatLng()); });
    } else {
      pin.setLatLng(point);
    }
    var query = "?lat=" + lat.value + "&lon=" + lon.value;
    getJson("/map/place" + query, showPlace);
    getJson("/map/nearby" + query, function (answer) { nearby = answer.cases; showNearby(); });
  }

  function getJson(url, then) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer) then(answer); })
      .catch(function () {});
  }

  function showPlace(answer) {
    said.hidden = false;
    if (!answer.district) {
      said.textContent = d.saysNowhere;
      district.value = "";
    } else {
      var where = [answer.district, answer.street].filter(Boolean).join(" ");
      said.textContent = d.saysHere.replace("{place}", where);
      district.value = answer.district_code;
    }
    localFirst(district.value, answer.district || "");
  }

  // Leaves whose department has a branch serving this district go to the top of the list.
  function localFirst(code, name) {
    if (!category) return;
    var group = document.getElementById("local-leaves");
    if (group) {
      group.querySelectorAll("option").forEach(function (option) {
        var home = category.querySelector('optgroup[data-code="' + option.dataset.group + '"]');
        if (home) home.appendChild(option);
      });
      group.remove();
    }
    if (!code) return;
    var local = Array.prototype.filter.call(category.querySelectorAll("option[data-districts]"),
      function (option) { return option.dataset.districts.split(" ").indexOf(code) >= 0; });
    if (!local.length) return;
    group = document.createElement("optgroup");
    group.id = "local-leaves";
    group.label = category.dataset.localLabel + ": " + name;
    local.forEach(function (option) {
      option.dataset.group = option.parentNode.dataset.code;
      group.appendChild(option);
    });
    category.insertBefore(group, category.querySelector("optgroup"));
  }

  function showNearby() {
    others.clearLayers();
    list.textContent = "";
    var chosen = category ? category.value : "";
    var shown = 0;
    nearby.forEach(function (item) {
      var text = item.number + " · " + (item.category || "—") + " · " + item.status_name;
      L.circleMarker([item.latitude, item.longitude], { radius: 7, color: "#b3261e" })
        .bindTooltip(text).addTo(others);
      var same = !chosen || item.category_code === chosen
        || (item.category_code || "").slice(0, 2) === chosen.slice(0, 2);
      if (!same || shown >= 5) return;
      shown += 1;
      var li = document.createElement("li");
      li.className = "duplicate";
      li.textContent = text + " · " + (item.area || "") + " · "
        + d.saysAway.replace("{metres}", item.distance_m) + " ";
      var a = document.createElement("a");
      a.href = "/track?number=" + encodeURIComponent(item.number);
      a.textContent = d.saysFollow;
      li.appendChild(a);
      list.appendChild(li);
    });
    duplicates.hidden = shown === 0;
  }

  map.on("click", function (event) { place(event.latlng); });
  if (category) category.addEventListener("change", showNearby);
  if (lat.value && lon.value && !isNaN(Number(lat.value)) && !isNaN(Number(lon.value))) {
    var start = L.latLng(Number(lat.value), Number(lon.value));
    map.setView(start, 15);
    place(start);
  }
  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    box.parentNode.insertBefore(locate, said);
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        var here = L.latLng(position.coords.latitude, position.coords.longitude);
        map.setView(here, 16);
        place(here);
      });
    });
  }
})();
