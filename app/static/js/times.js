/* Times in the reader's time zone: the profile's, or else the browser's.
 *
 * Pages are written in UTC (and cached that way, shared by every reader); each <time datetime> whose
 * text the server wrote in UTC is rewritten here in the reader's zone, its UTC value kept as a tooltip.
 * Without this script the UTC times stay, and say so.
 */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="time-zone"]');
  var browserZone = (Intl.DateTimeFormat().resolvedOptions().timeZone) || "UTC";
  var zone = (meta && meta.content) || browserZone;
  var format;
  try {
    format = new Intl.DateTimeFormat("en-GB", {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23", timeZone: zone, timeZoneName: "short"
    });
  } catch (e) { return; }  // a zone this browser does not know: UTC it is

  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var text = el.textContent.trim();
    if (!/ UTC$/.test(text) || el.getAttribute("datetime").indexOf("T") < 0) { return; }
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    el.title = text;
    el.textContent = format.format(when).replace(/^(\d+ \w+ \d{4}),? /, "$1, ");
  });

  // The profile's time zone, never chosen (UTC, the default), starts as the browser's.
  var select = document.getElementById("time_zone");
  if (select && select.value === "UTC" && browserZone !== "UTC" && !meta &&
      select.querySelector('option[value="' + browserZone + '"]')) {
    select.value = browserZone;
    var note = document.createElement("p");
    note.className = "help";
    note.textContent = "Set to your browser's time zone (" + browserZone + "): save to keep it.";
    select.insertAdjacentElement("afterend", note);
  }
})();
