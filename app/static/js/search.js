/* Postil search: "/" focuses the search box from anywhere on a page, except while typing in a field. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
    var target = event.target;
    if (target && target.closest && target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']")) { return; }
    var box = document.getElementById("search-q") || document.getElementById("site-search-q");
    if (!box) { return; }
    event.preventDefault();
    box.focus();
    box.select();
  });
}());
